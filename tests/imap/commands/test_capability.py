"""CAPABILITY (RFC 3501 6.1.1 / RFC 9051 6.1.1) through imaplib, in every state."""

from __future__ import annotations

import imaplib

from tests.imap.commands.util import expect_bad, force_state, pop, raw
from tests.imap.conftest import ImapHandle, Raw, start_imap, stop_imap


def _caps(c: imaplib.IMAP4) -> list[str]:
    typ, data = c.capability()
    assert typ == "OK", data
    return data[0].decode().split()


def test_capability_before_and_after_login(imap: ImapHandle) -> None:
    c = imap.client()
    assert c.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    pre = _caps(c)
    assert pre[0] == "IMAP4rev1" and "IMAP4rev2" in pre
    for cap in ("STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"):
        assert cap in pre, cap
    assert "LOGINDISABLED" not in pre  # loopback is trusted
    assert "UIDPLUS" not in pre  # post-auth extensions are only advertised after login
    typ, _data = c.login("alice@example.test", "secret")
    assert typ == "OK"
    code = pop(c, "CAPABILITY")  # LOGIN's tagged OK carries [CAPABILITY ...]
    assert code and b"UIDPLUS" in code[-1]
    post = _caps(c)
    for cap in ("NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "ESEARCH", "CONDSTORE", "QRESYNC", "QUOTA"):
        assert cap in post, cap
    assert "STARTTLS" not in post and "AUTH=PLAIN" not in post
    assert any(cp.startswith("APPENDLIMIT=") for cp in post)
    c.select("INBOX")
    assert _caps(c) == post  # unchanged in selected state
    c.logout()


def test_capability_rejects_arguments(imap: ImapHandle) -> None:
    c = imap.client()
    expect_bad(raw, c, "CAPABILITY", "IMAP4rev1")
    assert _caps(c)[0] == "IMAP4rev1"  # session still usable
    force_state(c, "NONAUTH")
    c.logout()


def test_capability_objectid_after_login(imap: ImapHandle) -> None:
    c = imap.client()
    assert "OBJECTID" not in _caps(c)
    c.login("alice@example.test", "secret")
    assert "OBJECTID" in _caps(c)  # RFC 8474
    c.logout()


def test_capability_literal_minus(imap: ImapHandle) -> None:
    """KUBEMAIL_IMAP_LITERAL_MINUS: LITERAL- replaces LITERAL+ (RFC 7888 5: never both); a
    non-synchronising literal of up to 4096 octets is taken, a larger one is refused with a tagged
    BAD [TOOBIG] (RFC 7888 4), its octets dropped, and the session goes on."""
    c = imap.client()
    assert "LITERAL+" in _caps(c) and "LITERAL-" not in _caps(c)
    c.logout()
    srv, lt = start_imap(imap.env, KUBEMAIL_IMAP_LITERAL_MINUS="true")
    try:
        r = Raw(srv.port_of("imap"))
        assert b"LITERAL-" in r.greeting and b"LITERAL+" not in r.greeting
        r.send(b"L LOGIN {18+}\r\nalice@example.test secret\r\n")
        _, t = r.until("L")
        assert t.startswith(b"L OK") and b"LITERAL-" in t and b"LITERAL+" not in t, t
        big = b"x" * 4097
        r.send(b"A1 STATUS {4097+}\r\n" + big + b" (MESSAGES)\r\n")
        _, t = r.until("A1")
        assert t.startswith(b"A1 BAD [TOOBIG]"), t
        r.send(b"A2 STATUS {5+}\r\nINBOX (MESSAGES)\r\n")  # 4096 or fewer: accepted
        lines, t = r.until("A2")
        assert t.startswith(b"A2 OK") and lines == [b'* STATUS "INBOX" (MESSAGES 0)'], (lines, t)
        r.close()
    finally:
        stop_imap(srv, lt)
