"""RETURN (PARTIAL low:high) of ESEARCH and ESORT (RFC 5267 4.4): the messages at those
positions of the result (ascending for SEARCH, in sort order for SORT), NIL when there are
none, the range given either way round, not combined with ALL (RFC 9394 3.1), with the
other return options about the whole result."""

from __future__ import annotations

from tests.imap.commands.util import fill_raw
from tests.imap.conftest import ImapHandle


def test_search_return_partial(imap: ImapHandle) -> None:
    r = fill_raw(imap, 8)
    lines, t = r.cmd("a", "SEARCH RETURN (PARTIAL 2:4 COUNT) ALL")
    assert t.startswith(b"a OK"), t
    assert lines == [b'* ESEARCH (TAG "a") PARTIAL (2:4 2:4) COUNT 8'], lines
    lines, _ = r.cmd("b", "UID SEARCH RETURN (PARTIAL 7:5) NOT 3")  # reversed range: 5:7
    assert lines == [b'* ESEARCH (TAG "b") UID PARTIAL (5:7 6:8)'], lines
    lines, _ = r.cmd("c", "SEARCH RETURN (PARTIAL 20:30 MIN) ALL")
    assert lines == [b'* ESEARCH (TAG "c") MIN 1 PARTIAL (20:30 NIL)'], lines
    _, t = r.cmd("d", "SEARCH RETURN (PARTIAL 1:2 ALL) ALL")
    assert t.startswith(b"d BAD"), t
    _, t = r.cmd("e", "SEARCH RETURN (PARTIAL 0:2) ALL")
    assert t.startswith(b"e BAD"), t
    r.close()


def test_sort_return_partial_in_sort_order(imap: ImapHandle) -> None:
    r = fill_raw(imap, 5)
    lines, t = r.cmd("a", "SORT RETURN (PARTIAL 1:2) (REVERSE SUBJECT) UTF-8 ALL")
    assert t.startswith(b"a OK"), t
    assert lines == [b'* ESEARCH (TAG "a") PARTIAL (1:2 5,4)'], lines
    lines, _ = r.cmd("b", "UID SORT RETURN (PARTIAL 4:9 COUNT) (SUBJECT) UTF-8 ALL")
    assert lines == [b'* ESEARCH (TAG "b") UID PARTIAL (4:9 4:5) COUNT 5'], lines
    r.close()
