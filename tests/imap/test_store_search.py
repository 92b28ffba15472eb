"""STORE (all modes, .SILENT, UNCHANGEDSINCE), SEARCH (keys, charsets, UID, ESEARCH, MODSEQ)."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, Raw


def _fill(imap: ImapHandle, n: int = 5) -> Raw:
    c = imap.login()
    for i in range(1, n + 1):
        body = (
            b"From: s%d@example.test\r\nSubject: subj %d\r\nDate: %d Jan 2024 10:00:00 +0000\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nword%d \xc3\xa9t\xc3\xa9\r\n" % (i, i, i, i)
        )
        c.append("INBOX", "(\\Seen)" if i % 2 else None, f'"0{i}-Feb-2024 10:00:00 +0000"', body)
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


def test_store_modes(imap: ImapHandle) -> None:
    r = _fill(imap, 3)
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
    r = _fill(imap, 2)
    lines, _ = r.cmd("a", "FETCH 1:2 (MODSEQ)")
    m1 = max(int(ln.split(b"MODSEQ (")[1].split(b")")[0]) for ln in lines)
    lines, t = r.cmd("b", f"STORE 1 (UNCHANGEDSINCE {m1}) +FLAGS (\\Flagged)")
    assert t.startswith(b"b OK") and b"MODSEQ (" in lines[0]
    lines, t = r.cmd("c", f"STORE 1 (UNCHANGEDSINCE {m1}) +FLAGS (\\Answered)")
    assert t.startswith(b"c OK [MODIFIED 1]"), t
    lines, _ = r.cmd("d", f"FETCH 1:* (FLAGS) (CHANGEDSINCE {m1})")
    assert len(lines) == 1 and lines[0].startswith(b"* 1 FETCH (") and b"MODSEQ" in lines[0]
    lines, t = r.cmd("e", f"SEARCH MODSEQ {m1 + 1}")
    assert lines[0].startswith(b"* SEARCH 1 (MODSEQ "), lines
    r.close()


def test_search_keys(imap: ImapHandle) -> None:
    r = _fill(imap, 5)

    def search(q: str) -> list[int]:
        lines, t = r.cmd("s", q)
        assert t.startswith(b"s OK"), (q, t)
        out = [ln for ln in lines if ln.startswith(b"* SEARCH")]
        assert len(out) == 1, lines
        return [int(x) for x in out[0].split()[2:]]

    assert search("SEARCH ALL") == [1, 2, 3, 4, 5]
    assert search("SEARCH SEEN") == [1, 3, 5]
    assert search("SEARCH UNSEEN") == [2, 4]
    assert search("SEARCH NOT SEEN") == [2, 4]
    assert search("SEARCH OR 1 5") == [1, 5]
    assert search("SEARCH 2:4 UNSEEN") == [2, 4]
    assert search("SEARCH UID 4:*") == [4, 5]
    assert search("UID SEARCH UID 4:*") == [4, 5]
    assert search('SEARCH SUBJECT "subj 3"') == [3]
    assert search("SEARCH FROM s4@example.test") == [4]
    assert search("SEARCH HEADER Subject subj") == [1, 2, 3, 4, 5]
    assert search("SEARCH BODY word2") == [2]
    assert search("SEARCH TEXT word5") == [5]
    assert search("SEARCH SINCE 3-Feb-2024") == [3, 4, 5]
    assert search("SEARCH BEFORE 3-Feb-2024") == [1, 2]
    assert search("SEARCH ON 3-Feb-2024") == [3]
    assert search("SEARCH SENTSINCE 4-Jan-2024") == [4, 5]
    assert search("SEARCH LARGER 10000") == []
    assert search("SEARCH SMALLER 10000") == [1, 2, 3, 4, 5]
    assert search("SEARCH (SEEN SUBJECT subj) NOT 1") == [3, 5]
    assert search("SEARCH RECENT") == [1, 2, 3, 4, 5]
    assert search("SEARCH NEW") == [2, 4]
    assert search("SEARCH OLD") == []
    assert search("SEARCH KEYWORD $Nothing") == []
    assert search("SEARCH CHARSET UTF-8 BODY {5+}\r\nété") == [1, 2, 3, 4, 5]
    _, t = r.cmd("x", "SEARCH CHARSET KOI8-R ALL")
    assert t.startswith(b"x NO [BADCHARSET")
    _, t = r.cmd("y", "SEARCH FOO")
    assert t.startswith(b"y BAD")
    lines, t = r.cmd("z", "UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
    assert lines == [b'* ESEARCH (TAG "z") UID MIN 2 MAX 4 ALL 2,4 COUNT 2'], lines
    lines, t = r.cmd("w", "SEARCH RETURN () SEEN")
    assert lines == [b'* ESEARCH (TAG "w") ALL 1,3,5'], lines
    lines, t = r.cmd("v", "SEARCH RETURN (COUNT) LARGER 99999")
    assert lines == [b'* ESEARCH (TAG "v") COUNT 0'], lines
    r.close()


def test_rev2_search_is_esearch(imap: ImapHandle) -> None:
    r = _fill(imap, 2)
    r.cmd("e", "ENABLE IMAP4rev2")
    lines, _ = r.cmd("a", "SEARCH ALL")
    assert lines == [b'* ESEARCH (TAG "a") ALL 1:2']
    r.close()


def test_searchres_keywords_and_unchangedsince_zero(imap: ImapHandle) -> None:
    r = _fill(imap, 4)
    lines, t = r.cmd("a", "SEARCH RETURN (SAVE) UNSEEN")
    assert t.startswith(b"a OK") and lines == []
    lines, _ = r.cmd("b", "FETCH $ (UID)")
    assert lines == [b"* 2 FETCH (UID 2)", b"* 4 FETCH (UID 4)"]
    lines, _ = r.cmd("c", "UID SEARCH $ NOT 2")
    assert lines == [b"* SEARCH 4"]
    lines, _ = r.cmd("d", "SEARCH RETURN (SAVE MIN) ALL")
    assert lines == [b'* ESEARCH (TAG "d") MIN 1']
    lines, _ = r.cmd("e", "UID FETCH $ (UID)")
    assert lines == [b"* 1 FETCH (UID 1)"]
    # a new keyword is announced in FLAGS before it is used in FETCH
    lines, _ = r.cmd("f", "STORE 1 +FLAGS ($Important)")
    assert lines[0] == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)"
    assert lines[1].startswith(b"* OK [PERMANENTFLAGS (")
    assert b"$Important" in lines[2]
    lines, t = r.cmd("g", "STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)")
    assert t.startswith(b"g OK [MODIFIED 1:2]") and lines == []
    r.close()
