"""SORT and UID SORT (RFC 5256 section 3) with ESORT (RFC 5267) and DISPLAY (RFC 5957): every
sort key, REVERSE, ties in mailbox order, the sent date falling back to the internal date, base
subjects, RETURN options, errors."""

from __future__ import annotations

import imaplib

from tests.imap.commands.util import expect_bad, force_state, selected
from tests.imap.conftest import ImapHandle, Raw

MSGS = [
    # (headers, internal date); the Date: of message 3 is missing (its internal date sorts)
    (
        b"From: =?utf-8?q?Zed?= <c@example.test>\r\nTo: b@example.test\r\nCc: z@example.test\r\n"
        b"Subject: Re: banana\r\nDate: Sun, 31 Dec 2023 10:00:00 +0000\r\n",
        "05-Feb-2024 10:00:00 +0000",
    ),
    (
        b"From: a@example.test\r\nTo: c@example.test\r\nSubject: apple\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n",
        "01-Feb-2024 10:00:00 +0000",
    ),
    (
        b"From: Zulu <b@example.test>\r\nTo: a@example.test\r\nCc: a@example.test\r\nSubject: [list] Cherry\r\n",
        "10-Feb-2024 10:00:00 +0000",
    ),
    (
        b"From: B@example.test\r\nSubject: Fwd: APPLE\r\nDate: Tue, 2 Jan 2024 12:00:00 +0100\r\n",
        "02-Feb-2024 10:00:00 +0000",
    ),
]
BODIES = [b"x" * 30, b"x" * 300, b"x" * 10, b"x" * 100]


def _setup(imap: ImapHandle) -> Raw:
    """Messages 1-4 with UIDs 2-5 (UID 1 expunged, so UIDs and sequence numbers differ)."""
    c = imap.login()
    c.append("INBOX", "(\\Deleted)", None, b"Subject: gone\r\n\r\ngone\r\n")
    for (head, when), body in zip(MSGS, BODIES, strict=True):
        c.append("INBOX", None, f'"{when}"', head + b"\r\n" + body + b"\r\n")
    c.select("INBOX")
    c.expunge()
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


def _sort(r: Raw, args: str, uid: bool = False) -> list[int]:
    lines, t = r.cmd("S", ("UID " if uid else "") + "SORT " + args)
    assert t.startswith(b"S OK"), (args, t)
    assert len(lines) == 1 and lines[0].startswith(b"* SORT"), lines
    return [int(x) for x in lines[0].split()[2:]]


def test_sort_keys(imap: ImapHandle) -> None:
    r = _setup(imap)
    lines, _ = r.cmd("c", "CAPABILITY")
    for cap in (b" SORT ", b" SORT=DISPLAY ", b" ESORT "):
        assert cap in lines[0] + b" ", cap
    assert _sort(r, "(ARRIVAL) UTF-8 ALL") == [2, 4, 1, 3]
    assert _sort(r, "(DATE) UTF-8 ALL") == [1, 2, 4, 3]  # 3 has no Date: its internal date
    assert _sort(r, "(REVERSE DATE) US-ASCII ALL") == [3, 4, 2, 1]
    assert _sort(r, "(SUBJECT) UTF-8 ALL") == [2, 4, 1, 3]  # apple (Fwd: APPLE ties), banana, cherry
    assert _sort(r, "(SUBJECT REVERSE DATE) UTF-8 ALL") == [4, 2, 1, 3]
    assert _sort(r, "(FROM) UTF-8 ALL") == [2, 3, 4, 1]  # a, b, B (case-insensitive tie), c
    assert _sort(r, "(REVERSE FROM) UTF-8 ALL") == [1, 3, 4, 2]  # the tie still in mailbox order
    assert _sort(r, "(TO) UTF-8 ALL") == [4, 3, 1, 2]  # no To: sorts as empty
    assert _sort(r, "(CC) UTF-8 ALL") == [2, 4, 3, 1]
    assert _sort(r, "(SIZE) UTF-8 ALL") == [3, 1, 4, 2]
    assert _sort(r, "(REVERSE SIZE) UTF-8 ALL") == [2, 4, 1, 3]
    # RFC 5957: display names (decoded), else the address
    assert _sort(r, "(DISPLAYFROM) UTF-8 ALL") == [2, 4, 1, 3]
    assert _sort(r, "(DISPLAYTO ARRIVAL) UTF-8 ALL") == [4, 3, 1, 2]
    # with a search program; UID SORT answers UIDs
    assert _sort(r, "(SUBJECT) UTF-8 NOT SUBJECT banana SINCE 1-Feb-2024") == [2, 4, 3]
    assert _sort(r, "(ARRIVAL) UTF-8 ALL", uid=True) == [3, 5, 2, 4]
    assert _sort(r, "(DATE) UTF-8 2:3", uid=True) == [3, 4]
    assert _sort(r, "(DATE) UTF-8 SUBJECT nothing-matches") == []
    r.close()


def test_esort_return_options(imap: ImapHandle) -> None:
    r = _setup(imap)
    lines, t = r.cmd("E1", "SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL")
    assert t.startswith(b"E1 OK"), t
    # MIN / MAX are the first and last in sort order; ALL lists the sort order
    assert lines == [b'* ESEARCH (TAG "E1") MIN 1 MAX 3 ALL 1:2,4,3 COUNT 4'], lines
    lines, _ = r.cmd("E2", "UID SORT RETURN () (REVERSE ARRIVAL) UTF-8 ALL")
    assert lines == [b'* ESEARCH (TAG "E2") UID ALL 4,2,5,3'], lines
    lines, _ = r.cmd("E3", "SORT RETURN (COUNT MIN) (SIZE) UTF-8 SUBJECT none")
    assert lines == [b'* ESEARCH (TAG "E3") COUNT 0'], lines
    _, t = r.cmd("E4", "SORT RETURN (SAVE) (SIZE) UTF-8 ALL")
    assert t.startswith(b"E4 BAD"), t
    r.close()


def test_sort_errors(imap: ImapHandle) -> None:
    r = _setup(imap)
    _, t = r.cmd("e1", "SORT (DATE) KOI8-R ALL")
    assert t.startswith(b"e1 NO [BADCHARSET"), t
    for tag, args in (
        ("e2", "SORT (DATE) ALL"),  # the charset is required
        ("e3", "SORT () UTF-8 ALL"),
        ("e4", "SORT (BOGUS) UTF-8 ALL"),
        ("e5", "SORT DATE UTF-8 ALL"),
        ("e6", "SORT (REVERSE) UTF-8 ALL"),
        ("e7", "SORT (DATE) UTF-8"),
    ):
        _, t = r.cmd(tag, args)
        assert t.startswith(f"{tag} BAD".encode()), (args, t)
    r.cmd("u", "UNSELECT")
    _, t = r.cmd("e8", "SORT (DATE) UTF-8 ALL")
    assert t.startswith(b"e8 BAD"), t
    r.close()


def test_sort_through_imaplib(imap: ImapHandle) -> None:
    _setup(imap).close()
    c = selected(imap)
    typ, data = c.sort("(REVERSE SUBJECT)", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"3 1 2 4"], data
    typ, data = c.uid("SORT", "(SIZE)", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"4 2 5 3"], data
    c.logout()
    d = imap.client()
    force_state(d, "SELECTED")
    expect_bad(d.sort, "(DATE)", "UTF-8", "ALL")
    force_state(d, "NONAUTH")
    d.logout()
    assert imaplib.Commands["SORT"]


def test_sort_sends_no_expunge_but_uid_sort_does(imap: ImapHandle) -> None:
    """Sequence numbers in a SORT result must stay valid: no EXPUNGE during SORT (as during
    SEARCH, RFC 3501 7.4.1 / RFC 5256); UID SORT may announce it."""
    r = _setup(imap)
    other = selected(imap)
    other.store("1", "+FLAGS", "(\\Deleted)")
    other.expunge()
    other.logout()
    lines, t = r.cmd("S1", "SORT (ARRIVAL) UTF-8 ALL")
    assert t.startswith(b"S1 OK") and not any(b"EXPUNGE" in ln for ln in lines), lines
    lines, t = r.cmd("S2", "UID SORT (ARRIVAL) UTF-8 ALL")
    # an IMAP4rev1 session also hears the new RECENT count after the expunge (RFC 3501 7.3.2)
    assert lines == [b"* SORT 3 5 4", b"* 1 EXPUNGE", b"* 0 RECENT"], lines
    r.close()
