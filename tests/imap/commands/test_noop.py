"""NOOP through imaplib: any state, arguments refused, and it delivers another session's
changes (EXISTS, FETCH flags, EXPUNGE) to a selected client."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, fill_raw, pop, raw, selected
from tests.imap.conftest import ImapHandle, Raw, msg


def test_noop_in_every_state(imap: ImapHandle) -> None:
    c = imap.client()
    assert c.noop()[0] == "OK"
    c.login("alice@example.test", "secret")
    typ, data = c.noop()
    assert typ == "OK" and b"NOOP" in data[0]
    c.select("INBOX")
    assert c.noop()[0] == "OK"
    expect_bad(raw, c, "NOOP", "extra")
    assert c.noop()[0] == "OK"
    c.logout()


def test_noop_reports_other_sessions_changes(imap: ImapHandle) -> None:
    fill(imap, 3)
    a = selected(imap)
    b = selected(imap)
    pop(b, "EXISTS")
    # nothing changed: NOOP reports nothing
    b.noop()
    assert pop(b, "EXISTS") == [] and pop(b, "FETCH") == [] and pop(b, "EXPUNGE") == []
    # new message
    assert a.append("INBOX", None, None, msg(9))[0] == "OK"
    b.noop()
    assert pop(b, "EXISTS") == [b"4"]
    # flag change
    a.store("2", "+FLAGS", "(\\Flagged)")
    b.noop()
    fetches = pop(b, "FETCH")
    assert len(fetches) == 1 and fetches[0].startswith(b"2 (") and b"\\Flagged" in fetches[0]
    # expunge
    a.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    a.expunge()
    b.noop()
    assert pop(b, "EXPUNGE") == [b"1"]
    _typ, data = b.search(None, "ALL")
    assert data == [b"1 2 3"]
    a.logout()
    b.logout()


# -- wire-level tests, formerly in tests/imap/test_copy_move_expunge.py ------------------------
def test_second_session_sees_changes(imap: ImapHandle) -> None:
    a = fill_raw(imap, 3)
    b = Raw(imap.port)
    b.login()
    lines, _ = b.cmd("s", "SELECT INBOX")
    assert b"* 3 EXISTS" in lines and b"* 0 RECENT" in lines  # session a claimed \Recent
    a.cmd("a1", "STORE 2 +FLAGS.SILENT (\\Flagged)")
    a.cmd("a2", "STORE 3 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a3", "EXPUNGE")
    a.cmd("a4", b"APPEND INBOX {5+}\r\nHi!\r\n")
    # FETCH with sequence numbers must not carry EXPUNGE
    flines, _ = b.cmd("f", "FETCH 1 FLAGS")
    assert not any(ln.endswith(b"EXPUNGE") for ln in flines), flines
    lines, _ = b.cmd("n", "NOOP")
    assert b"* 3 EXPUNGE" in lines
    # the new message is announced (during FETCH while UID 3 still counts, or after the expunge)
    assert b"* 4 EXISTS" in flines or lines.index(b"* 3 EXPUNGE") < lines.index(b"* 3 EXISTS")
    assert any(ln.startswith(b"* 2 FETCH (UID 2 FLAGS (\\Flagged") for ln in flines + lines), lines
    lines, _ = b.cmd("n2", "NOOP")
    assert lines == []
    lines, _ = b.cmd("f2", "FETCH 3 (UID)")
    assert lines == [b"* 3 FETCH (UID 4)"]
    a.close()
    b.close()
