"""CLOSE (RFC 3501 6.4.2) through imaplib.close: silently expunges \\Deleted (no EXPUNGE
responses), returns to authenticated state, keeps messages in EXAMINE, other clients see the
expunge, wrong state."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, force_state, pop, raw, selected
from tests.imap.conftest import ImapHandle


def test_close_expunges_silently(imap: ImapHandle) -> None:
    fill(imap, 3)
    b = selected(imap)
    c = selected(imap)
    c.store("1,3", "+FLAGS.SILENT", "(\\Deleted)")
    pop(c, "EXPUNGE")
    typ, data = c.close()
    assert typ == "OK", data
    assert pop(c, "EXPUNGE") == []  # CLOSE sends no EXPUNGE responses
    assert c.state == "AUTH"
    force_state(c, "SELECTED")
    expect_bad(c.fetch, "1", "FLAGS")  # no mailbox selected any more
    force_state(c, "AUTH")
    assert c.status("INBOX", "(MESSAGES DELETED)")[1] == [b'"INBOX" (MESSAGES 1 DELETED 0)']
    b.noop()
    assert pop(b, "EXPUNGE") == [b"3", b"1"]  # the second client is told
    c.logout()
    b.logout()


def test_close_after_examine_keeps_deleted(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = selected(imap)
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    c.select("INBOX", readonly=True)
    assert c.close()[0] == "OK"
    assert c.status("INBOX", "(MESSAGES DELETED)")[1] == [b'"INBOX" (MESSAGES 2 DELETED 1)']
    c.logout()


def test_close_wrong_state_and_args(imap: ImapHandle) -> None:
    c = imap.login()
    force_state(c, "SELECTED")
    expect_bad(c.close)
    force_state(c, "AUTH")
    c.select("INBOX")
    expect_bad(raw, c, "CLOSE", "x")
    assert c.state == "SELECTED" and c.close()[0] == "OK"
    c.logout()
