"""SORT RETURN (UPDATE) (RFC 5267 4.3, CONTEXT=SORT): the sorted result is kept up to date with
ADDTO / REMOVEFROM pairs at positions in the sort order (4.3.3, 4.3.4), each pair applying to
the list the previous one left: new matches placed where the sort puts them, messages that stop
matching and expunged ones (before their EXPUNGE) taken out where they were."""

from __future__ import annotations

from tests.imap.commands.util import fill_raw
from tests.imap.conftest import ImapHandle, Raw


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def _mail(subject: str) -> bytes:
    return f"From: x@example.test\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()


def _apply(order: list[int], line: bytes) -> list[int]:
    """What a client does with one update line (RFC 5267 4.3.3 / 4.3.4)."""
    item, _, payload = line.partition(b" (")[2].partition(b") ")[2].partition(b" (")
    nums = payload.rstrip(b")").split()
    out = list(order)
    for pos, n in zip(nums[::2], nums[1::2], strict=True):
        if item.endswith(b"ADDTO"):
            out.insert(int(pos) - 1, int(n))
        else:
            assert out[int(pos) - 1] == int(n), (out, line)
            del out[int(pos) - 1]
    return out


def _updates(lines: list[bytes], tag: str) -> list[bytes]:
    return [ln for ln in lines if ln.startswith(f'* ESEARCH (TAG "{tag}")'.encode())]


def test_sort_update_positions(imap: ImapHandle) -> None:
    a = fill_raw(imap, 3)  # subjects "hello 1" .. "hello 3"
    lines, _ = a.cmd("u", "UID SORT RETURN (UPDATE) (REVERSE SUBJECT) UTF-8 UNSEEN")
    assert lines == [b'* ESEARCH (TAG "u") UID ALL 3,2,1'], lines
    order = [3, 2, 1]
    b = Raw(imap.port)
    b.login()
    b.cmd("s", "SELECT INBOX")
    b.cmd("a1", b"APPEND INBOX " + _lit(_mail("hello 4")))  # sorts first
    b.cmd("a2", b"APPEND INBOX " + _lit(_mail("hello 15")))  # between "hello 2" and "hello 1"
    lines, _ = a.cmd("n1", "NOOP")
    ups = _updates(lines, "u")
    assert ups, lines
    for up in ups:
        order = _apply(order, up)
    assert order == [4, 3, 2, 5, 1], (order, ups)
    b.cmd("st", "UID STORE 2 +FLAGS.SILENT (\\Seen)")  # stops matching
    b.cmd("d", "UID STORE 3 +FLAGS.SILENT (\\Deleted)")
    b.cmd("x", "EXPUNGE")
    lines, _ = a.cmd("n2", "NOOP")
    ups = _updates(lines, "u")
    for up in ups:
        order = _apply(order, up)
    assert order == [4, 5, 1], (order, lines)
    removal = lines.index(next(ln for ln in ups if b"REMOVEFROM" in ln and ln.endswith(b" 3)")))
    assert removal < next(i for i, ln in enumerate(lines) if ln.endswith(b" EXPUNGE")), lines
    lines, _ = a.cmd("check", "UID SORT (REVERSE SUBJECT) UTF-8 UNSEEN")
    assert lines == [b"* SORT 4 5 1"], lines  # what the client holds is what SORT says now
    a.close()
    b.close()


def test_sort_update_in_sequence_numbers_and_refusals(imap: ImapHandle) -> None:
    a = fill_raw(imap, 2)
    caps, _ = a.cmd("c", "CAPABILITY")
    assert b" CONTEXT=SORT" in caps[0]
    lines, _ = a.cmd("q", "SORT RETURN (COUNT UPDATE) (ARRIVAL) UTF-8 ALL")
    assert lines == [b'* ESEARCH (TAG "q") COUNT 2'], lines
    _, t = a.cmd("q", "SEARCH RETURN (UPDATE) ALL")
    assert t.startswith(b"q BAD"), t  # the tag is being updated by the SORT
    b = Raw(imap.port)
    b.login()
    b.cmd("a", b"APPEND INBOX " + _lit(_mail("later")))
    lines, _ = a.cmd("n", "NOOP")
    assert b'* ESEARCH (TAG "q") ADDTO (3 3)' in lines, lines  # position 3, sequence number 3
    a.close()
    b.close()
