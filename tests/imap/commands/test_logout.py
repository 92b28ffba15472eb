"""LOGOUT through imaplib: BYE then tagged OK, connection closed, no implicit expunge."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, raw, selected
from tests.imap.conftest import ImapHandle, Raw


def test_logout_from_every_state(imap: ImapHandle) -> None:
    for state in ("NONAUTH", "AUTH", "SELECTED"):
        c = imap.client()
        if state != "NONAUTH":
            c.login("alice@example.test", "secret")
        if state == "SELECTED":
            c.select("INBOX")
        typ, data = c.logout()
        assert typ == "BYE" and data == [b"Logging out"], (state, typ, data)  # imaplib returns the BYE
        assert c.state == "LOGOUT"


def test_logout_wire_and_arguments(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    lines, tag = r.cmd("a1", "LOGOUT now")
    assert tag.startswith(b"a1 BAD"), tag
    lines, tag = r.cmd("a2", "LOGOUT")
    assert lines == [b"* BYE Logging out"] and tag.startswith(b"a2 OK")
    r.sock.settimeout(5)
    assert r.sock.recv(10) == b""
    r.close()
    c = imap.client()
    expect_bad(raw, c, "LOGOUT", "x")
    c.logout()


def test_logout_does_not_expunge(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = selected(imap)
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    c.logout()
    d = imap.login()
    _typ, data = d.status("INBOX", "(MESSAGES DELETED)")
    assert data == [b'"INBOX" (MESSAGES 2 DELETED 1)'], data
    d.logout()


def test_nothing_but_bye_and_the_tagged_ok_after_logout(imap: ImapHandle) -> None:
    """RFC 3501 6.1.3: changes pending for the session are not sent after * BYE (#13 item 2)."""
    fill(imap, 3)
    r = Raw(imap.port)
    r.cmd("a1", "LOGIN alice@example.test secret")
    r.cmd("a2", "SELECT INBOX")
    other = selected(imap)
    other.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    other.store("2", "+FLAGS.SILENT", "(\\Flagged)")
    other.expunge()
    other.logout()
    lines, tag = r.cmd("a3", "LOGOUT")
    assert lines == [b"* BYE Logging out"], lines
    assert tag.startswith(b"a3 OK"), tag
    r.close()
