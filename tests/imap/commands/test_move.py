"""MOVE (RFC 6851) through imaplib.move: COPYUID in an untagged OK, EXPUNGE for the moved
messages, a client on the source sees EXPUNGE and one on the destination sees EXISTS,
TRYCREATE, read-only, wrong state."""

from __future__ import annotations

from tests.imap.commands.util import (
    code_of,
    expect_bad,
    fill,
    fill_raw,
    force_state,
    move,
    object_ids,
    pop,
    raw,
    selected,
    uids,
)
from tests.imap.conftest import ImapHandle, Raw


def test_move_and_both_sides_observe(imap: ImapHandle) -> None:
    fill(imap, 4)
    src_watch = selected(imap)
    dst_watch = selected(imap, "Archive")
    pop(dst_watch, "EXISTS")
    c = selected(imap)
    typ, data = move(c, "2:3", "Archive")
    assert typ == "OK", data
    _v, src, dst = pop(c, "COPYUID")[-1].split()
    assert src == b"2:3" and dst == b"1:2"
    assert pop(c, "EXPUNGE") in ([b"3", b"2"], [b"2", b"2"])
    assert uids(c) == [1, 4]
    src_watch.noop()
    assert pop(src_watch, "EXPUNGE") in ([b"3", b"2"], [b"2", b"2"])
    assert uids(src_watch) == [1, 4]
    dst_watch.noop()
    assert pop(dst_watch, "EXISTS") == [b"2"]
    typ, data = dst_watch.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [d[1] for d in data if isinstance(d, tuple)] == [b"Subject: hello 2\r\n\r\n", b"Subject: hello 3\r\n\r\n"]
    for x in (c, src_watch, dst_watch):
        x.logout()


def test_move_errors(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = selected(imap)
    typ, data = move(c, "1", "Nowhere")
    assert typ == "NO" and code_of(data) == "TRYCREATE", data
    expect_bad(move, c, "7", "Archive")
    expect_bad(raw, c, "MOVE", "1")
    c.select("INBOX", readonly=True)
    typ, data = raw(c, "MOVE", "1", "Archive")
    assert typ == "NO", data  # would expunge from a read-only mailbox
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 2)']
    assert c.status("Archive", "(MESSAGES)")[1] == [b'"Archive" (MESSAGES 0)']
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(move, c, "1", "Archive")
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_copy_move_expunge.py ------------------------
def test_copy_and_move_with_uidplus(imap: ImapHandle) -> None:
    r = fill_raw(imap, 4)
    _, t = r.cmd("c1", "COPY 1:2 Archive")
    assert t.startswith(b"c1 OK [COPYUID "), t
    _v, src, dst = t.split(b"[COPYUID ")[1].split(b"]")[0].split()
    assert src == b"1:2" and dst == b"1:2"
    _, t = r.cmd("c2", "COPY 1 Nowhere")
    assert t.startswith(b"c2 NO [TRYCREATE]")
    lines, t = r.cmd("m1", "MOVE 2:3 Archive")
    assert t.startswith(b"m1 OK"), t
    assert lines[0].startswith(b"* OK [COPYUID ") and b" 2:3 3:4]" in lines[0]
    assert lines[1:] == [b"* 3 EXPUNGE", b"* 2 EXPUNGE", b"* 2 RECENT"]
    lines, t = r.cmd("m2", "UID MOVE 4 Archive")
    assert lines[-2:] == [b"* 2 EXPUNGE", b"* 1 RECENT"]
    lines, _ = r.cmd("st", "STATUS Archive (MESSAGES)")
    assert lines == [b'* STATUS "Archive" (MESSAGES 5)']
    lines, _ = r.cmd("f", "UID FETCH 1:* FLAGS")
    assert len(lines) == 1 and b"UID 1 " in lines[0]
    r.close()


def test_move_keeps_emailid_and_threadid(imap: ImapHandle) -> None:
    fill(imap, 3)
    r = Raw(imap.port)
    r.login()
    r.cmd("C", "CREATE There")
    r.cmd("P", "APPEND There {5+}\r\nx\r\n\r\n")
    r.cmd("S", "SELECT INBOX")
    src = object_ids(r)
    _, t = r.cmd("M", "UID MOVE 2:3 There")
    assert t.startswith(b"M OK"), t
    assert object_ids(r) == {1: src[1]}
    r.cmd("S2", "SELECT There")
    dst = object_ids(r)
    assert [dst[2], dst[3]] == [src[2], src[3]]
    r.cmd("M2", "UID MOVE 2 INBOX")  # and back: still the same ids
    r.cmd("S3", "SELECT INBOX")
    back = object_ids(r)
    assert back[1] == src[1] and back[4] == src[2]
    r.close()
