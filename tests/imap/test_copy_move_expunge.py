"""COPY / MOVE (UIDPLUS COPYUID), EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, CHECK, and what a
second session on the same mailbox sees (EXISTS / EXPUNGE / FETCH, never EXPUNGE during FETCH)."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, Raw, msg


def _fill(imap: ImapHandle, n: int) -> Raw:
    c = imap.login()
    for i in range(1, n + 1):
        c.append("INBOX", None, None, msg(i))
    c.create("Archive")
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


def test_copy_and_move_with_uidplus(imap: ImapHandle) -> None:
    r = _fill(imap, 4)
    _, t = r.cmd("c1", "COPY 1:2 Archive")
    assert t.startswith(b"c1 OK [COPYUID "), t
    _v, src, dst = t.split(b"[COPYUID ")[1].split(b"]")[0].split()
    assert src == b"1:2" and dst == b"1:2"
    _, t = r.cmd("c2", "COPY 1 Nowhere")
    assert t.startswith(b"c2 NO [TRYCREATE]")
    lines, t = r.cmd("m1", "MOVE 2:3 Archive")
    assert t.startswith(b"m1 OK"), t
    assert lines[0].startswith(b"* OK [COPYUID ") and b" 2:3 3:4]" in lines[0]
    assert lines[1:] == [b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    lines, t = r.cmd("m2", "UID MOVE 4 Archive")
    assert lines[-1] == b"* 2 EXPUNGE"
    lines, _ = r.cmd("st", "STATUS Archive (MESSAGES)")
    assert lines == [b'* STATUS "Archive" (MESSAGES 5)']
    lines, _ = r.cmd("f", "UID FETCH 1:* FLAGS")
    assert len(lines) == 1 and b"UID 1 " in lines[0]
    r.close()


def test_expunge_variants(imap: ImapHandle) -> None:
    r = _fill(imap, 5)
    r.cmd("a", "STORE 1,3,5 +FLAGS.SILENT (\\Deleted)")
    lines, t = r.cmd("b", "UID EXPUNGE 1:3")
    assert t.startswith(b"b OK") and lines == [b"* 3 EXPUNGE", b"* 1 EXPUNGE"]
    lines, t = r.cmd("c", "EXPUNGE")
    assert lines == [b"* 3 EXPUNGE"]
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


def test_second_session_sees_changes(imap: ImapHandle) -> None:
    a = _fill(imap, 3)
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


def test_qresync_select_reports_vanished(imap: ImapHandle) -> None:
    r = _fill(imap, 4)
    lines, _ = r.cmd("s0", "STATUS INBOX (UIDVALIDITY HIGHESTMODSEQ)")
    parts = lines[0].split(b"(")[1].rstrip(b")").split()
    uidvalidity, modseq = int(parts[1]), int(parts[3])
    r.cmd("a", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.cmd("b", "EXPUNGE")
    r.cmd("c", "STORE 2 +FLAGS.SILENT (\\Flagged)")
    r.cmd("u", "UNSELECT")
    r.cmd("e", "ENABLE QRESYNC")
    lines, t = r.cmd("s", f"SELECT INBOX (QRESYNC ({uidvalidity} {modseq} 1:4))")
    assert t.startswith(b"s OK"), t
    assert b"* VANISHED (EARLIER) 1" in lines, lines
    assert any(ln.startswith(b"* 2 FETCH (UID 3 FLAGS (\\Flagged") and b"MODSEQ" in ln for ln in lines), lines
    r.cmd("d", "STORE 3 +FLAGS.SILENT (\\Deleted)")
    lines, _ = r.cmd("x", "EXPUNGE")
    assert lines[0] == b"* VANISHED 4", lines
    r.close()


def test_uid_fetch_changedsince_vanished(imap: ImapHandle) -> None:
    r = _fill(imap, 4)
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
