"""THREAD and UID THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES over the search matches,
with References / In-Reply-To, a missing parent (dummy), duplicate Message-IDs, subject
merging; errors."""

from __future__ import annotations

from tests.imap.commands.util import selected
from tests.imap.conftest import ImapHandle, Raw

# (Message-ID, References header line or "", Subject, day of January 2024)
MSGS = [
    ("a", "", "hello", 1),
    ("b", "References: <a>", "Re: hello", 2),
    ("c", "In-Reply-To: <a>", "Re: hello", 3),
    ("d", "References: <a> <b>", "RE: Hello", 4),
    ("e", "", "other", 5),
    ("f", "References: <missing>", "Re: other", 6),
    ("g", "References: <x1>", "third", 7),
    ("h", "References: <x1>", "fourth", 8),
    ("a", "", "dup", 9),  # a duplicate Message-ID: threaded as if it had none
]


def _setup(imap: ImapHandle) -> Raw:
    """Messages 1-9 with UIDs 2-10."""
    c = imap.login()
    c.append("INBOX", "(\\Deleted)", None, b"Subject: gone\r\n\r\ngone\r\n")
    for mid, refs, subject, day in MSGS:
        head = f"Message-ID: <{mid}>\r\nSubject: {subject}\r\nDate: {day} Jan 2024 10:00:00 +0000\r\n"
        if refs:
            head += refs + "\r\n"
        c.append("INBOX", None, None, head.encode() + b"From: x@example.test\r\n\r\nbody\r\n")
    c.select("INBOX")
    c.expunge()
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


def _thread(r: Raw, args: str) -> bytes:
    lines, t = r.cmd("T", args)
    assert t.startswith(b"T OK"), (args, t)
    assert len(lines) == 1 and lines[0].startswith(b"* THREAD"), lines
    return lines[0][len(b"* THREAD") :].strip()


def test_thread_references(imap: ImapHandle) -> None:
    r = _setup(imap)
    lines, _ = r.cmd("c", "CAPABILITY")
    assert b" THREAD=ORDEREDSUBJECT" in lines[0] and b" THREAD=REFERENCES" in lines[0]
    # 1 has replies 2 (with its reply 4) and 3; 6's parent is missing (the dummy goes, 6 joins
    # 5 by subject as a reply); 7 and 8 share a missing parent (a dummy at the top); 9 alone
    assert _thread(r, "THREAD REFERENCES UTF-8 ALL") == b"(1 (2 4)(3))(5 6)((7)(8))(9)"
    assert _thread(r, "UID THREAD REFERENCES UTF-8 ALL") == b"(2 (3 5)(4))(6 7)((8)(9))(10)"
    # only the matches are threaded: without 2, message 4's chain still hangs below 1
    assert _thread(r, "THREAD REFERENCES UTF-8 NOT 2 NOT 5:*") == b"(1 (3)(4))"
    assert _thread(r, "THREAD REFERENCES US-ASCII SUBJECT nothing") == b""
    r.close()


def test_thread_orderedsubject(imap: ImapHandle) -> None:
    r = _setup(imap)
    assert _thread(r, "THREAD ORDEREDSUBJECT UTF-8 ALL") == b"(1 (2)(3)(4))(5 6)(7)(8)(9)"
    assert _thread(r, "UID THREAD ORDEREDSUBJECT UTF-8 5:*") == b"(6 7)(8)(9)(10)"
    r.close()


def test_thread_errors(imap: ImapHandle) -> None:
    r = _setup(imap)
    _, t = r.cmd("e1", "THREAD REFERENCES KOI8-R ALL")
    assert t.startswith(b"e1 NO [BADCHARSET"), t
    for tag, args in (
        ("e2", "THREAD BOGUS UTF-8 ALL"),
        ("e3", "THREAD REFERENCES ALL"),
        ("e4", "THREAD REFERENCES UTF-8"),
        ("e5", "THREAD"),
    ):
        _, t = r.cmd(tag, args)
        assert t.startswith(f"{tag} BAD".encode()), (args, t)
    r.cmd("u", "UNSELECT")
    _, t = r.cmd("e6", "THREAD REFERENCES UTF-8 ALL")
    assert t.startswith(b"e6 BAD"), t
    r.close()


def test_thread_through_imaplib(imap: ImapHandle) -> None:
    _setup(imap).close()
    c = selected(imap)
    typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"(1 (2 4)(3))(5 6)((7)(8))(9)"], data
    c.logout()
