"""UNSUBSCRIBE (RFC 3501 6.3.7) through imaplib.unsubscribe; read back with LSUB."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle


def _lsub(c: object) -> list[bytes]:
    """Subscribed one-letter names, i.e. this test's own (default folders are pre-subscribed)."""
    typ, data = c.lsub('""', "%")  # type: ignore[attr-defined]
    assert typ == "OK"
    return sorted(n for n in (d.rsplit(b' "/" ', 1)[1] for d in data if d) if len(n) == 3)


def test_unsubscribe(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("A")
    c.create("B")
    c.subscribe("A")
    c.subscribe("B")
    assert _lsub(c) == [b'"A"', b'"B"']
    typ, data = c.unsubscribe("A")
    assert typ == "OK", data
    other = imap.login()
    assert _lsub(other) == [b'"B"']
    # subscription of a deleted mailbox survives until UNSUBSCRIBE
    c.delete("B")
    assert _lsub(other) == [b'"B"']
    assert c.unsubscribe("B")[0] == "OK"
    assert _lsub(other) == []
    other.logout()
    c.logout()


def test_unsubscribe_errors(imap: ImapHandle) -> None:
    c = imap.login()
    expect_bad(raw, c, "UNSUBSCRIBE")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.unsubscribe, "INBOX")
    force_state(d, "NONAUTH")
    d.logout()
