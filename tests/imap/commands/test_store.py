"""STORE (RFC 3501 6.4.6, RFC 7162 UNCHANGEDSINCE) through imaplib.store: FLAGS / +FLAGS /
-FLAGS, .SILENT, keywords announced in FLAGS, a second client sees the FETCH, read-only, errors."""

from __future__ import annotations

from tests.imap.commands.util import code_of, expect_bad, fetch_flags, fill, fill_mail, force_state, pop, raw, selected
from tests.imap.conftest import ImapHandle


def test_store_modes(imap: ImapHandle) -> None:
    fill(imap, 3)
    c = selected(imap)
    typ, data = c.store("1", "FLAGS", "(\\Flagged $Work)")
    assert typ == "OK" and len(data) == 1 and data[0].startswith(b"1 (FLAGS (")
    assert b"$Work" in pop(c, "FLAGS")[-1]  # new keyword announced
    typ, data = c.store("1:2", "+FLAGS", "(\\Answered)")
    assert len(data) == 2 and all(b"\\Answered" in d for d in data)
    typ, data = c.store("1", "-FLAGS", "($Work)")
    assert b"$Work" not in data[0] and b"\\Answered" in data[0] and b"\\Flagged" in data[0]
    typ, data = c.store("3", "+FLAGS.SILENT", "(\\Draft)")
    assert typ == "OK" and data == [None]
    typ, data = c.store("2", "FLAGS", "()")
    assert typ == "OK"
    flags = fetch_flags(c)
    assert flags[1] >= {"\\Flagged", "\\Answered"} and "$Work" not in flags[1]
    assert "\\Answered" not in flags[2] and "\\Draft" in flags[3]
    c.logout()


def test_store_seen_by_second_client(imap: ImapHandle) -> None:
    fill(imap, 2)
    a = selected(imap)
    b = selected(imap)
    a.store("2", "+FLAGS.SILENT", "(\\Seen \\Flagged)")
    b.noop()
    fetches = pop(b, "FETCH")
    assert len(fetches) == 1 and fetches[0].startswith(b"2 (") and b"\\Flagged" in fetches[0]
    assert b"\\Seen" in fetches[0]
    assert fetch_flags(b)[2] >= {"\\Seen", "\\Flagged"}
    a.logout()
    b.logout()


def test_store_unchangedsince(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = selected(imap)
    typ, data = c.fetch("1:2", "(MODSEQ)")
    m = max(int(d.split(b"MODSEQ (")[1].split(b")")[0]) for d in data)
    typ, data = c.store("1", f"(UNCHANGEDSINCE {m}) +FLAGS", "(\\Flagged)")
    assert typ == "OK" and b"MODSEQ (" in data[0]
    typ, data = raw(c, "STORE", "1", f"(UNCHANGEDSINCE {m})", "+FLAGS", "(\\Answered)")
    assert typ == "OK" and code_of(data) == "MODIFIED", data
    assert "\\Answered" not in fetch_flags(c)[1]
    c.logout()


def test_store_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    expect_bad(c.store, "1", "+FLAGS", "(\\Bogus)")
    expect_bad(c.store, "1", "+FLAGS", "(\\Recent)")
    expect_bad(c.store, "9", "+FLAGS", "(\\Seen)")  # no such message
    expect_bad(c.store, "1", "FROB", "(\\Seen)")
    expect_bad(c.store, "x", "+FLAGS", "(\\Seen)")
    assert fetch_flags(c)[1] <= {"\\Recent"}  # none of the bad STOREs changed anything
    c.select("INBOX", readonly=True)
    typ, data = c.store("1", "+FLAGS", "(\\Seen)")
    assert typ == "NO", data
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.store, "1", "+FLAGS", "(\\Seen)")
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_store_search.py ------------------------
def test_store_modes_wire(imap: ImapHandle) -> None:
    r = fill_mail(imap, 3)
    lines, t = r.cmd("a", "STORE 1 FLAGS (\\Flagged $Work)")
    assert t.startswith(b"a OK") and len(lines) == 3  # FLAGS, PERMANENTFLAGS (new keyword), FETCH
    lines = lines[2:]
    assert lines[0].startswith(b"* 1 FETCH (FLAGS (")
    assert b"\\Seen" not in lines[0] and b"$Work" in lines[0]
    lines, _ = r.cmd("b", "STORE 1:2 +FLAGS (\\Answered)")
    assert len(lines) == 2 and all(b"\\Answered" in ln for ln in lines)
    lines, _ = r.cmd("c", "STORE 1 -FLAGS ($Work)")
    assert b"$Work" not in lines[0] and b"\\Answered" in lines[0]
    lines, _ = r.cmd("d", "STORE 2 +FLAGS.SILENT (\\Draft)")
    assert lines == []
    lines, _ = r.cmd("e", "UID STORE 2 +FLAGS (\\Deleted)")
    assert lines[0].startswith(b"* 2 FETCH (") and b"UID 2" in lines[0]
    _, t = r.cmd("f", "STORE 1 +FLAGS (\\Bogus)")
    assert t.startswith(b"f BAD")
    _, t = r.cmd("g", "STORE 9 +FLAGS (\\Seen)")
    assert t.startswith(b"g BAD")
    lines, _ = r.cmd("h", "FETCH 2 FLAGS")
    assert b"\\Draft" in lines[0] and b"\\Deleted" in lines[0]
    r.close()


def test_condstore_unchangedsince(imap: ImapHandle) -> None:
    r = fill_mail(imap, 2)
    lines, _ = r.cmd("a", "FETCH 1:2 (MODSEQ)")
    assert lines[0].startswith(b"* OK [HIGHESTMODSEQ ")  # CONDSTORE enabled by it (RFC 7162 3.1)
    m1 = max(int(ln.split(b"MODSEQ (")[1].split(b")")[0]) for ln in lines[1:])
    lines, t = r.cmd("b", f"STORE 1 (UNCHANGEDSINCE {m1}) +FLAGS (\\Flagged)")
    assert t.startswith(b"b OK") and b"MODSEQ (" in lines[0]
    lines, t = r.cmd("c", f"STORE 1 (UNCHANGEDSINCE {m1}) +FLAGS (\\Answered)")
    assert t.startswith(b"c OK [MODIFIED 1]"), t
    lines, _ = r.cmd("d", f"FETCH 1:* (FLAGS) (CHANGEDSINCE {m1})")
    assert len(lines) == 1 and lines[0].startswith(b"* 1 FETCH (") and b"MODSEQ" in lines[0]
    lines, t = r.cmd("e", f"SEARCH MODSEQ {m1 + 1}")
    assert lines[0].startswith(b"* SEARCH 1 (MODSEQ "), lines
    r.close()
