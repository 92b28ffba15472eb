"""Session core over a real socket with imaplib: login, select, append, fetch, store, expunge."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, msg


def test_basic_flow(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.append("INBOX", None, None, msg(1))
    assert typ == "OK", data
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"1"]
    typ, data = c.fetch("1", "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    assert b"Subject: hello 1" in data[0][1]
    typ, data = c.store("1", "+FLAGS", "(\\Deleted)")
    assert typ == "OK" and b"\\Deleted" in data[0]
    typ, data = c.expunge()
    assert typ == "OK" and data == [b"1"]
    c.logout()
