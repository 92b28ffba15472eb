"""LOGIN (RFC 3501 6.2.3) through imaplib: success with [CAPABILITY], failures, wrong state,
bad arguments, literal credentials, and per-user isolation as the effect."""

from __future__ import annotations

import pytest

from tests.imap.commands.util import Error, expect_bad, force_state, pop, raw
from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw, msg


def test_login_success_and_isolation(imap: ImapHandle) -> None:
    c = imap.client()
    typ, data = c.login(USER, PASSWORD)
    assert typ == "OK" and c.state == "AUTH"
    caps = pop(c, "CAPABILITY")
    assert caps and b"IMAP4rev1" in caps[-1] and b"MOVE" in caps[-1]
    assert c.append("INBOX", None, None, msg(1))[0] == "OK"
    b = imap.client()
    assert b.login("bob@example.test", "bobpw")[0] == "OK"
    typ, data = b.select("INBOX")
    assert typ == "OK" and data == [b"0"]  # bob does not see alice's message
    b.logout()
    typ, data = c.select("INBOX")
    assert data == [b"1"]
    force_state(c, "NONAUTH")
    expect_bad(c.login, USER, PASSWORD)  # LOGIN only in not-authenticated state
    force_state(c, "SELECTED")
    c.logout()


def test_login_failures(imap: ImapHandle) -> None:
    c = imap.client()
    with pytest.raises(Error, match="AUTHENTICATIONFAILED"):
        c.login(USER, "wrong")
    with pytest.raises(Error, match="AUTHENTICATIONFAILED"):
        c.login("nobody@example.test", PASSWORD)
    with pytest.raises(Error, match="AUTHENTICATIONFAILED"):
        c.login(USER.upper() + "x", PASSWORD)
    expect_bad(raw, c, "LOGIN", USER)  # missing password
    expect_bad(raw, c, "LOGIN")
    assert c.state == "NONAUTH"
    assert c.login(USER, PASSWORD)[0] == "OK"  # failures leave the session usable
    c.logout()


def test_login_with_literals(imap: ImapHandle) -> None:
    c = imap.client()
    c.literal = PASSWORD.encode()  # imaplib sends the last argument as a synchronising literal
    typ, _ = c._simple_command("LOGIN", USER)  # type: ignore[attr-defined]
    assert typ == "OK"
    c.state = "AUTH"
    assert c.list()[0] == "OK"
    c.logout()
    r = Raw(imap.port)
    r.send(b'a1 LOGIN {%d+}\r\n%s "%s"\r\n' % (len(USER), USER.encode(), PASSWORD.encode()))
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 OK"), tag
    r.close()


# -- wire-level tests, formerly in tests/imap/test_auth.py ------------------------
def test_capability_and_login_variants(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    lines, tag = r.cmd("a1", "CAPABILITY")
    assert tag.startswith(b"a1 OK")
    caps = lines[0].split()
    assert b"STARTTLS" in caps and b"AUTH=PLAIN" in caps and b"LOGINDISABLED" not in caps
    assert b"IDLE" in caps and b"LITERAL+" in caps
    # unauthenticated commands are refused
    _, tag = r.cmd("a2", "SELECT INBOX")
    assert tag.startswith(b"a2 BAD")
    _, tag = r.cmd("a3", 'LOGIN "alice@example.test" "wrong"')
    assert tag.startswith(b"a3 NO [AUTHENTICATIONFAILED]")
    # literal password
    r.send(b"a4 LOGIN " + USER.encode() + b" {%d}\r\n" % len(PASSWORD))
    assert r.line().startswith(b"+ ")
    r.send(PASSWORD.encode() + b"\r\n")
    _, tag = r.until("a4")
    assert tag.startswith(b"a4 OK [CAPABILITY "), tag
    assert b"UIDPLUS" in tag and b"MOVE" in tag
    _, tag = r.cmd("a5", "LOGIN x y")
    assert tag.startswith(b"a5 BAD")
    lines, tag = r.cmd("a6", "LOGOUT")
    assert lines == [b"* BYE Logging out"] and tag.startswith(b"a6 OK")
    r.close()
