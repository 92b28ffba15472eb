"""UNSELECT (RFC 3691) through imaplib.unselect: leaves the mailbox without expunging."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, force_state, pop, raw, selected
from tests.imap.conftest import ImapHandle


def test_unselect_does_not_expunge(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = selected(imap)
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    typ, data = c.unselect()
    assert typ == "OK", data
    assert c.state == "AUTH" and pop(c, "EXPUNGE") == []
    force_state(c, "SELECTED")
    expect_bad(c.fetch, "1", "FLAGS")
    force_state(c, "AUTH")
    assert c.status("INBOX", "(MESSAGES DELETED)")[1] == [b'"INBOX" (MESSAGES 2 DELETED 1)']
    c.logout()


def test_unselect_wrong_state_and_args(imap: ImapHandle) -> None:
    c = imap.login()
    force_state(c, "SELECTED")
    expect_bad(c.unselect)
    force_state(c, "AUTH")
    c.select("INBOX")
    expect_bad(raw, c, "UNSELECT", "x")
    assert c.unselect()[0] == "OK"
    c.logout()
