"""AUTHENTICATE (RFC 3501 6.2.2, RFC 4959 SASL-IR) through imaplib.authenticate: PLAIN and
LOGIN, bad credentials, cancellation, unknown mechanism, wrong state, authzid."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.imap.commands.util import Error, expect_bad, force_state, pop, raw
from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw


def _plain(authz: str, user: str, pw: str) -> Callable[[bytes], bytes]:
    return lambda challenge: f"{authz}\0{user}\0{pw}".encode()


def test_authenticate_plain(imap: ImapHandle) -> None:
    c = imap.client()
    typ, _data = c.authenticate("PLAIN", _plain("", USER, PASSWORD))
    assert typ == "OK" and c.state == "AUTH"
    assert b"UIDPLUS" in pop(c, "CAPABILITY")[-1]
    typ, _data = c.select("INBOX")
    assert typ == "OK"  # the effect: an authenticated session
    force_state(c, "NONAUTH")
    expect_bad(c.authenticate, "PLAIN", _plain("", USER, PASSWORD))  # already authenticated
    force_state(c, "SELECTED")
    c.logout()


def test_authenticate_login_mechanism_multi_step(imap: ImapHandle) -> None:
    seen: list[bytes] = []

    def answer(challenge: bytes) -> bytes:
        seen.append(challenge)
        return USER.encode() if challenge == b"Username:" else PASSWORD.encode()

    c = imap.client()
    typ, _ = c.authenticate("LOGIN", answer)
    assert typ == "OK" and seen == [b"Username:", b"Password:"]
    assert c.list()[0] == "OK"
    c.logout()


def test_authenticate_failures(imap: ImapHandle) -> None:
    c = imap.client()
    with pytest.raises(Error, match="AUTHENTICATIONFAILED"):
        c.authenticate("PLAIN", _plain("", USER, "wrong"))
    with pytest.raises(Error, match="AUTHENTICATIONFAILED"):
        c.authenticate("PLAIN", _plain("", "nobody@example.test", "x"))
    with pytest.raises(Error, match="AUTHORIZATIONFAILED"):  # authzid of another user
        c.authenticate("PLAIN", _plain("bob@example.test", USER, PASSWORD))
    with pytest.raises(Error):  # unknown mechanism: tagged NO
        c.authenticate("CRAM-MD5", lambda ch: b"x")
    expect_bad(c.authenticate, "PLAIN", lambda ch: None)  # imaplib sends "*": cancelled -> BAD
    assert c.state == "NONAUTH"
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.select("INBOX")  # none of the failures authenticated the session
    force_state(c, "NONAUTH")
    expect_bad(raw, c, "AUTHENTICATE")  # mechanism missing
    assert c.authenticate("PLAIN", _plain("", USER, PASSWORD))[0] == "OK"
    c.logout()


def test_authenticate_sasl_ir_and_bad_base64(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(b"!!!notbase64\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 BAD"), tag
    ir = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    _, tag = r.cmd("a2", f"AUTHENTICATE PLAIN {ir}")
    assert tag.startswith(b"a2 OK [CAPABILITY "), tag
    _lines, tag = r.cmd("a3", "SELECT INBOX")
    assert tag.startswith(b"a3 OK")
    r.close()


# -- wire-level tests, formerly in tests/imap/test_auth.py ------------------------
def test_authenticate_plain_sasl_ir_and_login(imap: ImapHandle) -> None:
    ir = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    r = Raw(imap.port)
    _, tag = r.cmd("a1", f"AUTHENTICATE PLAIN {ir}")
    assert tag.startswith(b"a1 OK"), tag
    r.close()
    r = Raw(imap.port)
    r.send(b"a1 AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(ir.encode() + b"\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 OK")
    r.close()
    r = Raw(imap.port)
    r.send(b"a1 AUTHENTICATE LOGIN\r\n")
    assert r.line() == b"+ " + base64.b64encode(b"Username:")
    r.send(base64.b64encode(USER.encode()) + b"\r\n")
    assert r.line() == b"+ " + base64.b64encode(b"Password:")
    r.send(base64.b64encode(b"nope") + b"\r\n")
    _, tag = r.until("a1")
    assert tag.startswith(b"a1 NO")
    r.send(b"a2 AUTHENTICATE PLAIN\r\n")
    r.line()
    r.send(b"*\r\n")
    _, tag = r.until("a2")
    assert tag.startswith(b"a2 BAD")
    _, tag = r.cmd("a3", "AUTHENTICATE CRAM-MD5")
    assert tag.startswith(b"a3 NO")
    r.close()
