"""STATUS (RFC 3501 6.3.10, RFC 9051 / RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ) through
imaplib.status: every item, kept current by other sessions' writes, errors."""

from __future__ import annotations

import re

from tests.imap.commands.util import code_of, expect_bad, force_state, mailbox_id, raw, selected
from tests.imap.conftest import ImapHandle, Raw, msg


def _items(data: list[bytes]) -> dict[str, int]:
    body = data[0].split(b"(", 1)[1].rstrip(b")").decode().split()
    return {body[i]: int(body[i + 1]) for i in range(0, len(body), 2)}


def test_status_items_and_changes(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", "(\\Seen)", None, msg(1))
    c.append("INBOX", None, None, msg(2))
    typ, data = c.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ DELETED)")
    assert typ == "OK" and data[0].startswith(b'"INBOX" (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY ')
    st = _items(data)
    assert st["UNSEEN"] == 1 and st["DELETED"] == 0 and st["SIZE"] == len(msg(1)) + len(msg(2))
    assert st["UIDVALIDITY"] > 0 and st["HIGHESTMODSEQ"] > 0
    # another session changes the mailbox; STATUS follows
    other = selected(imap)
    other.store("2", "+FLAGS", "(\\Seen \\Deleted)")
    other.append("INBOX", None, None, msg(3))
    st2 = _items(c.status("INBOX", "(MESSAGES UNSEEN DELETED UIDNEXT HIGHESTMODSEQ RECENT)")[1])
    assert st2["MESSAGES"] == 3 and st2["UNSEEN"] == 1 and st2["DELETED"] == 1 and st2["UIDNEXT"] == 4
    assert st2["HIGHESTMODSEQ"] > st["HIGHESTMODSEQ"]
    other.expunge()
    assert _items(c.status("INBOX", "(MESSAGES DELETED)")[1]) == {"MESSAGES": 2, "DELETED": 0}
    # STATUS on the selected mailbox is allowed
    typ, data = other.status("INBOX", "(MESSAGES)")
    assert typ == "OK" and data == [b'"INBOX" (MESSAGES 2)']
    typ, data = c.status("INBOX", "(APPENDLIMIT)")
    assert re.fullmatch(rb'"INBOX" \(APPENDLIMIT \d+\)', data[0])
    other.logout()
    c.logout()


def test_status_errors(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.status("Nope", "(MESSAGES)")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    expect_bad(c.status, "INBOX", "(BOGUS)")
    expect_bad(c.status, "INBOX", "()")
    expect_bad(raw, c, "STATUS", "INBOX")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.status, "INBOX", "(MESSAGES)")
    force_state(d, "NONAUTH")
    d.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def test_status_and_list_status(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", "(\\Seen)", None, msg(1))
    c.append("INBOX", None, None, msg(2))
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("s1", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE HIGHESTMODSEQ DELETED)")
    assert t.startswith(b"s1 OK")
    st = lines[0]
    assert st.startswith(b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 1 UIDNEXT 3 UIDVALIDITY ')
    size = len(msg(1)) + len(msg(2))
    assert f"SIZE {size}".encode() in st and b"DELETED 0" in st
    _, t = r.cmd("s2", "STATUS INBOX (BOGUS)")
    assert t.startswith(b"s2 BAD")
    _, t = r.cmd("s3", "STATUS Nope (MESSAGES)")
    assert t.startswith(b"s3 NO")
    lines, t = r.cmd("l1", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))')
    assert lines[0].startswith(b"* LIST (") and lines[1] == b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 1)'
    r.close()
    c.logout()


def test_status_mailboxid(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("S1", 'STATUS "INBOX" (MESSAGES MAILBOXID)')
    assert t.startswith(b"S1 OK"), t
    assert re.fullmatch(rb'\* STATUS "INBOX" \(MESSAGES 0 MAILBOXID \([A-Za-z0-9_-]{1,255}\)\)', lines[0]), lines
    r.cmd("C", "CREATE Other")
    a, b = mailbox_id(r, "INBOX"), mailbox_id(r, "Other")
    assert a != b and mailbox_id(r, "INBOX") == a
    r.close()
