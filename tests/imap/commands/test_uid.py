"""UID (RFC 3501 6.4.8, RFC 4315 UID EXPUNGE, RFC 6851 UID MOVE) through imaplib.uid: FETCH,
STORE, SEARCH, COPY, MOVE, EXPUNGE addressed by UID after UIDs and sequence numbers diverge;
nonexistent UIDs are ignored (not an error), unknown subcommands are BAD."""

from __future__ import annotations

import imaplib

from tests.imap.commands.util import code_of, expect_bad, fill, fill_raw, force_state, pop, raw, selected, uids
from tests.imap.conftest import ImapHandle


def _diverged(imap: ImapHandle) -> imaplib.IMAP4:
    """INBOX with UIDs 2 4 5 6 at sequence numbers 1..4."""
    fill(imap, 6)
    c = selected(imap)
    c.store("1,3", "+FLAGS.SILENT", "(\\Deleted)")
    c.expunge()
    assert uids(c) == [2, 4, 5, 6]
    return c


def test_uid_fetch_store_search(imap: ImapHandle) -> None:
    c = _diverged(imap)
    typ, data = c.uid("FETCH", "4:5", "(FLAGS)")
    assert typ == "OK" and [d.split(b" (")[0] for d in data] == [b"2", b"3"]
    assert all(b"UID " in d for d in data)  # UID is always returned by UID FETCH
    typ, data = c.uid("FETCH", "3", "(FLAGS)")
    assert typ == "OK" and data == [None]  # expunged UID: nothing, no error
    typ, data = c.uid("FETCH", "100:*", "(UID)")
    assert data == [b"4 (UID 6)"]  # "*" is the last UID, so n:* always matches it
    typ, data = c.uid("STORE", "5", "+FLAGS", "(\\Flagged)")
    assert typ == "OK" and data[0].startswith(b"3 (") and b"UID 5" in data[0] and b"\\Flagged" in data[0]
    assert c.uid("SEARCH", "FLAGGED") == ("OK", [b"5"])
    assert c.search(None, "FLAGGED") == ("OK", [b"3"])
    assert c.uid("SEARCH", "UID", "1:4") == ("OK", [b"2 4"])
    c.logout()


def test_uid_copy_move_expunge(imap: ImapHandle) -> None:
    c = _diverged(imap)
    other = selected(imap)
    typ, data = c.uid("COPY", "4:6", "Archive")
    assert typ == "OK"
    assert pop(c, "COPYUID")[-1].split()[1:] == [b"4:6", b"1:3"]
    typ, data = c.uid("MOVE", "2", "Archive")
    assert typ == "OK" and pop(c, "EXPUNGE") == [b"1"]
    typ, data = c.uid("COPY", "99", "Archive")
    assert typ == "OK"  # no matching UID: nothing to do, not an error
    assert c.status("Archive", "(MESSAGES)")[1] == [b'"Archive" (MESSAGES 4)']
    # UID EXPUNGE removes only the named \Deleted messages
    c.store("1:3", "+FLAGS.SILENT", "(\\Deleted)")  # UIDs 4 5 6
    typ, data = c.uid("EXPUNGE", "4:5")
    assert typ == "OK" and pop(c, "EXPUNGE") == [b"2", b"1"]
    assert uids(c) == [6]
    other.noop()
    assert len(pop(other, "EXPUNGE")) == 3  # UID 2 (moved), 4 and 5
    assert uids(other) == [6]
    typ, data = c.uid("COPY", "6", "Nowhere")
    assert typ == "NO" and code_of(data) == "TRYCREATE"
    c.logout()
    other.logout()


def test_uid_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    expect_bad(raw, c, "UID", "FROB", "1")
    expect_bad(raw, c, "UID", "FETCH", "x", "(FLAGS)")
    expect_bad(raw, c, "UID")
    expect_bad(raw, c, "UID", "EXPUNGE")  # UID EXPUNGE needs a UID set
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.uid, "FETCH", "1", "(FLAGS)")
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_copy_move_expunge.py ------------------------
def test_uid_fetch_changedsince_vanished(imap: ImapHandle) -> None:
    r = fill_raw(imap, 4)
    r.cmd("e", "ENABLE QRESYNC")
    r.cmd("s2", "SELECT INBOX")
    lines, _ = r.cmd("m", "FETCH 4 (MODSEQ)")
    base = int(lines[0].split(b"MODSEQ (")[1].split(b")")[0])
    r.cmd("a", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    r.cmd("b", "EXPUNGE")
    r.cmd("c", "UID STORE 3 +FLAGS.SILENT (\\Answered)")
    lines, t = r.cmd("f", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {base} VANISHED)")
    assert t.startswith(b"f OK"), t
    assert lines[0] == b"* VANISHED (EARLIER) 2", lines
    assert len(lines) == 2 and lines[1].startswith(b"* 2 FETCH (UID 3 FLAGS (\\Answered") and b"MODSEQ" in lines[1]
    _, t = r.cmd("g", f"FETCH 1:* (FLAGS) (CHANGEDSINCE {base} VANISHED)")
    assert t.startswith(b"g BAD")
    r.close()
