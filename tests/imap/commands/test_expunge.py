"""EXPUNGE (RFC 3501 6.4.3) through imaplib.expunge: untagged EXPUNGE sequence numbers, the
effect read back, a second client told, read-only refused, wrong state, arguments."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, fill_raw, force_state, pop, raw, selected, uids
from tests.imap.conftest import ImapHandle


def test_expunge_and_second_client(imap: ImapHandle) -> None:
    fill(imap, 5)
    a = selected(imap)
    b = selected(imap)
    a.store("1,3,5", "+FLAGS.SILENT", "(\\Deleted)")
    typ, data = a.expunge()
    assert typ == "OK"
    # sequence numbers shift after each EXPUNGE: 5, 3, 1 (or equivalent 1, 2, 3)
    assert data in ([b"5", b"3", b"1"], [b"1", b"2", b"3"]), data
    assert uids(a) == [2, 4]
    typ, data = a.expunge()  # nothing left to expunge
    assert typ == "OK" and data == [None]
    b.noop()
    got = pop(b, "EXPUNGE")
    assert got in ([b"5", b"3", b"1"], [b"1", b"2", b"3"]), got
    assert uids(b) == [2, 4]
    typ, data = b.fetch("1", "(UID)")
    assert data == [b"1 (UID 2)"]
    a.logout()
    b.logout()


def test_expunge_refused(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    expect_bad(raw, c, "EXPUNGE", "1")
    c.select("INBOX", readonly=True)
    typ, data = raw(c, "EXPUNGE")  # imaplib itself refuses on READ-ONLY; go under it
    assert typ == "NO", data
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 1)']
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.expunge)
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_copy_move_expunge.py ------------------------
def test_expunge_variants(imap: ImapHandle) -> None:
    r = fill_raw(imap, 5)
    r.cmd("a", "STORE 1,3,5 +FLAGS.SILENT (\\Deleted)")
    lines, t = r.cmd("b", "UID EXPUNGE 1:3")
    # IMAP4rev1: RECENT follows once the mailbox size changed (RFC 3501 7.3.2)
    assert t.startswith(b"b OK") and lines == [b"* 3 EXPUNGE", b"* 1 EXPUNGE", b"* 3 RECENT"]
    lines, t = r.cmd("c", "EXPUNGE")
    assert lines == [b"* 3 EXPUNGE", b"* 2 RECENT"]
    lines, _ = r.cmd("d", "UID SEARCH ALL")
    assert lines == [b"* SEARCH 2 4"]
    r.cmd("e", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    _, t = r.cmd("f", "UNSELECT")
    assert t.startswith(b"f OK")
    _, t = r.cmd("g", "FETCH 1 FLAGS")
    assert t.startswith(b"g BAD")
    lines, _ = r.cmd("h", "EXAMINE INBOX")
    assert b"* 2 EXISTS" in lines
    _, t = r.cmd("i", "EXPUNGE")
    assert t.startswith(b"i NO")
    r.cmd("j", "SELECT INBOX")
    _, t = r.cmd("k", "CHECK")
    assert t.startswith(b"k OK")
    lines, t = r.cmd("l", "CLOSE")
    assert t.startswith(b"l OK") and lines == []
    lines, _ = r.cmd("m", "STATUS INBOX (MESSAGES)")
    assert lines == [b'* STATUS "INBOX" (MESSAGES 1)']
    r.close()


def test_pending_expunge_not_sent_during_store_search_and_no_phantom_copy(imap: ImapHandle) -> None:
    """RFC 9051 7.5.1: no EXPUNGE during FETCH/STORE/SEARCH; a message another session expunged
    is never copied."""
    fill(imap, 3)
    a = selected(imap)
    b = selected(imap)
    a.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    a.expunge()
    pop(b, "EXPUNGE")
    typ, _ = b.store("1", "+FLAGS", "(\\Flagged)")
    assert typ == "OK" and pop(b, "EXPUNGE") == []
    typ, data = b.search(None, "ALL")
    assert typ == "OK" and pop(b, "EXPUNGE") == []
    assert b"1" not in data[0].split()  # the gone message is not reported as a match
    typ, data = b.copy("1", "Archive")  # copying the expunged message copies nothing
    assert pop(b, "EXPUNGE") == [b"1"]  # COPY may (and does) announce it
    assert b.status("Archive", "(MESSAGES)")[1] == [b'"Archive" (MESSAGES 0)']
    assert uids(b) == [2, 3]
    a.logout()
    b.logout()
