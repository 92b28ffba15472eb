"""Fixes pinned end to end over real sockets: COPY/MOVE/FETCH of messages another session
expunged (RFC 2180 4.1.2, 4.4.1; RFC 5530 EXPUNGEISSUED), the IMAP4rev2 LIST response of
SELECT (RFC 9051 7.3.1) and case-insensitive keywords (RFC 9051 2.3.2)."""

from __future__ import annotations

import re

from tests.imap.commands.util import fill
from tests.imap.conftest import ImapHandle, Raw


def _login(imap: ImapHandle, select: str | None = "INBOX") -> Raw:
    r = Raw(imap.port)
    r.login()
    if select:
        _, tag = r.cmd("s", f"SELECT {select}")
        assert tag.startswith(b"s OK"), tag
    return r


def _expunge_elsewhere(imap: ImapHandle, seq: int) -> None:
    o = _login(imap)
    o.cmd("x", f"STORE {seq} +FLAGS.SILENT (\\Deleted)")
    _, tag = o.cmd("e", "EXPUNGE")
    assert tag.startswith(b"e OK"), tag
    o.close()


def _messages(r: Raw, mailbox: str) -> int:
    lines, tag = r.cmd("st", f"STATUS {mailbox} (MESSAGES)")
    assert tag.startswith(b"st OK"), tag
    m = re.search(rb"MESSAGES (\d+)", lines[0])
    assert m, lines
    return int(m.group(1))


def test_copy_move_of_message_expunged_elsewhere_says_no(imap: ImapHandle) -> None:
    fill(imap, 5)
    r = _login(imap)
    r.cmd("c", "CREATE Dest")
    # each time another session expunges what is sequence number 2 for r (uids 2, 3, 4)
    for tag_, cmd in (("c1", "COPY 1:2 Dest"), ("m1", "MOVE 2 Dest"), ("u1", "UID COPY 4:5 Dest")):
        _expunge_elsewhere(imap, 2)
        lines, tag = r.cmd(tag_, cmd)
        assert tag.startswith(tag_.encode() + b" NO [EXPUNGEISSUED]"), (cmd, tag)
        # COPY may carry EXPUNGE (RFC 3501 7.4.1): the client learns why, before the tagged NO
        # (and RECENT, since the size changed: RFC 3501 7.3.2)
        assert len(lines) == 2 and lines[0] == b"* 2 EXPUNGE" and lines[1].endswith(b" RECENT"), (cmd, lines)
    assert _messages(r, "Dest") == 0  # nothing copied, nothing moved
    _, tag = r.cmd("c2", "COPY 1:* Dest")  # uids 1 and 5
    assert tag.startswith(b"c2 OK [COPYUID "), tag
    assert _messages(r, "Dest") == 2
    r.close()


def test_fetch_of_message_expunged_elsewhere(imap: ImapHandle) -> None:
    fill(imap, 3)
    r = _login(imap)
    _expunge_elsewhere(imap, 2)
    lines, tag = r.cmd("f", "FETCH 1:3 (UID RFC822.SIZE)")
    assert tag.startswith(b"f NO [EXPUNGEISSUED]"), tag
    assert [ln.split()[1] for ln in lines if b" FETCH " in ln] == [b"1", b"3"], lines
    lines, tag = r.cmd("f2", "FETCH 2 (BODY.PEEK[])")  # now a known ghost
    assert tag.startswith(b"f2 NO [EXPUNGEISSUED]") and not lines, (lines, tag)
    # by UID a vanished message is simply not there (and UID FETCH may announce the EXPUNGE)
    lines, tag = r.cmd("u", "UID FETCH 1:3 (FLAGS)")
    assert tag.startswith(b"u OK"), tag
    assert b"* 2 EXPUNGE" in lines, lines
    lines, tag = r.cmd("f3", "FETCH 1:2 (FLAGS)")
    assert tag.startswith(b"f3 OK"), tag
    r.close()


def test_rev2_select_lists_real_attributes(imap: ImapHandle) -> None:
    r = _login(imap, select=None)
    _, tag = r.cmd("e", "ENABLE IMAP4rev2")
    assert tag.startswith(b"e OK"), tag
    r.cmd("c1", "CREATE Bin (USE (\\Trash))")
    r.cmd("c2", "CREATE Parent/child")
    for name, want in (
        ("Bin", b'* LIST (\\HasNoChildren \\Trash) "/" "Bin"'),
        ("Parent", b'* LIST (\\HasChildren) "/" "Parent"'),
        ("INBOX", b'* LIST (\\HasNoChildren) "/" "INBOX"'),
    ):
        lines, tag = r.cmd("s", f"EXAMINE {name}")
        assert tag.startswith(b"s OK"), tag
        assert [ln for ln in lines if ln.startswith(b"* LIST")] == [want], lines
    r.close()


def _flags(r: Raw) -> dict[int, set[bytes]]:
    lines, tag = r.cmd("ff", "FETCH 1:* (FLAGS)")
    assert tag.startswith(b"ff OK"), tag
    out: dict[int, set[bytes]] = {}
    for ln in lines:
        m = re.match(rb"\* (\d+) FETCH \(FLAGS \(([^)]*)\)", ln)
        if m:
            out[int(m.group(1))] = set(m.group(2).split())
    return out


def test_keywords_are_case_insensitive(imap: ImapHandle) -> None:
    fill(imap, 3)
    a = _login(imap)
    b = _login(imap)  # selected before any keyword exists: knows none of them yet
    _, tag = a.cmd("k1", "STORE 1 +FLAGS (Work)")
    assert tag.startswith(b"k1 OK"), tag
    # b has not seen "Work": it stores its own spelling, the mailbox now holds two
    _, tag = b.cmd("k2", "STORE 2 +FLAGS.SILENT (WORK)")
    assert tag.startswith(b"k2 OK"), tag
    # a knows "Work": another spelling (and a duplicate within the command) becomes "Work"
    _, tag = a.cmd("k3", "STORE 3 +FLAGS.SILENT (work wORK)")
    assert tag.startswith(b"k3 OK"), tag
    c = _login(imap)
    assert _flags(c) == {1: {b"Work"}, 2: {b"WORK"}, 3: {b"Work"}}
    for key, want in (
        ("KEYWORD work", b"* SEARCH 1 2 3"),
        ("UNKEYWORD WoRk", b"* SEARCH"),
        ("OR KEYWORD WORK SEEN", b"* SEARCH 1 2 3"),
        ("KEYWORD other", b"* SEARCH"),
    ):
        lines, tag = c.cmd("q", f"SEARCH {key}")
        assert tag.startswith(b"q OK") and lines == [want], (key, lines)
    # removing one spelling removes all of them
    _, tag = c.cmd("k4", "STORE 1:3 -FLAGS.SILENT (wOrK)")
    assert tag.startswith(b"k4 OK"), tag
    assert _flags(c) == {1: set(), 2: set(), 3: set()}
    lines, _ = c.cmd("q2", "SEARCH UNKEYWORD work")
    assert lines == [b"* SEARCH 1 2 3"], lines
    for r in (a, b, c):
        r.close()
