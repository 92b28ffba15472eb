"""SEARCH (RFC 3501 6.4.4) through imaplib.search: keys, combinations, CHARSET, sequence sets,
results follow other sessions' changes, BADCHARSET, syntax errors, wrong state."""

from __future__ import annotations

import time

from tests.imap.commands.util import code_of, expect_bad, fill, fill_mail, force_state, object_ids, raw, selected
from tests.imap.conftest import ImapHandle, Raw, msg


def _s(c: object, *crit: str) -> list[int]:
    typ, data = c.search(None, *crit)  # type: ignore[attr-defined]
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


def test_search_keys(imap: ImapHandle) -> None:
    fill(imap, 5)
    c = selected(imap)
    c.store("1,3,5", "+FLAGS.SILENT", "(\\Seen)")
    c.store("2", "+FLAGS.SILENT", "($Todo)")
    assert _s(c, "ALL") == [1, 2, 3, 4, 5]
    assert _s(c, "SEEN") == [1, 3, 5]
    assert _s(c, "UNSEEN") == [2, 4]
    assert _s(c, "NOT", "SEEN") == [2, 4]
    assert _s(c, "OR", "1", "5") == [1, 5]
    assert _s(c, "2:4", "UNSEEN") == [2, 4]
    assert _s(c, "KEYWORD", "$Todo") == [2]
    assert _s(c, "UNKEYWORD", "$Todo", "UNSEEN") == [4]
    assert _s(c, "SUBJECT", '"hello 3"') == [3]
    assert _s(c, "FROM", "bob@example.test") == [1, 2, 3, 4, 5]
    assert _s(c, "TO", "nobody") == []
    assert _s(c, "HEADER", "Message-ID", "<m4@example.test>") == [4]
    assert _s(c, "BODY", '"message 2."') == [2]
    assert _s(c, "TEXT", "hello") == [1, 2, 3, 4, 5]
    assert _s(c, "SENTON", "1-Jan-2024") == [1, 2, 3, 4, 5]
    assert _s(c, "SMALLER", "10") == []
    assert _s(c, "(SEEN", "NOT", "1)") == [3, 5]
    assert _s(c, "UID", "4:*") == [4, 5]
    assert _s(c, "*") == [5]
    typ, data = c.search("UTF-8", "SUBJECT", "hello")
    assert typ == "OK" and data == [b"1 2 3 4 5"]
    c.logout()


def test_search_follows_other_session(imap: ImapHandle) -> None:
    fill(imap, 2)
    a = selected(imap)
    b = selected(imap)
    b.store("1", "+FLAGS.SILENT", "(\\Flagged)")
    assert _s(a, "FLAGGED") == [1]
    b.store("1", "-FLAGS.SILENT", "(\\Flagged)")
    assert _s(a, "FLAGGED") == []
    a.logout()
    b.logout()


def test_search_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    typ, data = c.search("KOI8-R", "ALL")
    assert typ == "NO" and code_of(data).startswith("BADCHARSET"), data
    expect_bad(c.search, None, "FOO")
    expect_bad(c.search, None, "(ALL")
    expect_bad(c.search, None, "BEFORE", "notadate")
    expect_bad(c.search, None, "LARGER", "x")
    expect_bad(raw, c, "SEARCH")
    assert _s(c, "ALL") == [1]
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.search, None, "ALL")
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_store_search.py ------------------------
def test_search_keys_wire(imap: ImapHandle) -> None:
    r = fill_mail(imap, 5)

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


def test_search_emailid_threadid(imap: ImapHandle) -> None:
    fill(imap, 3)
    r = Raw(imap.port)
    r.login()
    r.cmd("S", "SELECT INBOX")
    ids = object_ids(r)
    r.cmd("K", "UID COPY 2 INBOX")  # uid 4: the same message again
    lines, t = r.cmd("Q", f"UID SEARCH EMAILID {ids[2][0]}")
    assert t.startswith(b"Q OK") and lines == [b"* SEARCH 2 4"], (lines, t)
    lines, _ = r.cmd("Q2", f"SEARCH THREADID {ids[3][1]}")
    assert lines == [b"* SEARCH 3"]
    lines, _ = r.cmd("Q3", "SEARCH OR EMAILID E0 THREADID T0")
    assert lines == [b"* SEARCH"]
    _, t = r.cmd("Q4", "SEARCH EMAILID bad.id")
    assert t.startswith(b"Q4 BAD"), t
    _, t = r.cmd("Q5", "SEARCH THREADID " + "x" * 256)
    assert t.startswith(b"Q5 BAD"), t
    r.close()


def test_search_savedate_keys(imap: ImapHandle) -> None:
    """RFC 8514 SAVEDBEFORE / SAVEDON / SAVEDSINCE compare the save date (today for messages just
    appended with an old internal date), SAVEDATESUPPORTED matches every message."""
    c = imap.login()
    c.append("INBOX", None, '"01-Feb-2020 10:00:00 +0000"', msg(1))
    c.append("INBOX", None, '"01-Mar-2020 10:00:00 +0000"', msg(2))
    c.select("INBOX")
    today = time.strftime("%d-%b-%Y", time.gmtime())
    assert _s(c, "SAVEDATESUPPORTED") == [1, 2]
    assert _s(c, "SAVEDON", today) == [1, 2]
    assert _s(c, "SAVEDSINCE", today) == [1, 2]
    assert _s(c, "SAVEDBEFORE", today) == []
    assert _s(c, "SAVEDBEFORE", "01-Jan-2100", "SINCE", "15-Feb-2020") == [2]  # internal date still its own
    assert _s(c, "ON", today) == []
    expect_bad(c.search, None, "SAVEDON", "yesterday")
    c.logout()
