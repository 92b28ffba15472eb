"""APPEND (RFC 3501 6.3.11, RFC 4315 APPENDUID, RFC 7889 APPENDLIMIT) through imaplib.append:
flags and internal date stored, [APPENDUID], content read back byte-exact, a second client
selected on the mailbox is told (EXISTS), TRYCREATE, TOOBIG, bad flags, wrong state."""

from __future__ import annotations

import imaplib
from datetime import UTC, datetime

from tests.imap.commands.util import code_of, expect_bad, force_state, pop, raw, selected
from tests.imap.conftest import ImapHandle, Raw, msg


def test_append_stores_message_flags_and_date(imap: ImapHandle) -> None:
    c = imap.login()
    date = imaplib.Time2Internaldate(datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert date == '"03-Feb-2024 04:05:06 +0000"'
    typ, data = c.append("INBOX", "(\\Seen $Label)", date, msg(1))
    assert typ == "OK", data
    uidvalidity, uid = pop(c, "APPENDUID")[0].split()
    assert int(uidvalidity) > 0 and uid == b"1"
    typ, data = c.status("INBOX", "(MESSAGES UIDVALIDITY)")
    assert data == [b'"INBOX" (MESSAGES 1 UIDVALIDITY ' + uidvalidity + b")"]
    c.select("INBOX")
    typ, data = c.uid("FETCH", "1", "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
    meta, body = data[0]
    assert body == msg(1)
    assert b"\\Seen" in meta and b"$Label" in meta
    assert b'INTERNALDATE "03-Feb-2024 04:05:06 +0000"' in meta
    assert b"RFC822.SIZE %d" % len(msg(1)) in meta
    # no date: now-ish; no flags: none (but \Recent for this session)
    assert c.append("INBOX", None, None, msg(2))[0] == "OK"
    assert pop(c, "APPENDUID")[0].split()[1] == b"2"
    c.logout()


def test_append_notifies_selected_client(imap: ImapHandle) -> None:
    b = selected(imap)
    pop(b, "EXISTS")
    a = imap.login()
    a.append("INBOX", None, None, msg(1))
    a.append("INBOX", None, None, msg(2))
    b.noop()
    assert pop(b, "EXISTS")[-1] == b"2"
    _typ, data = b.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"hello 2" in data[0][1]
    a.logout()
    b.logout()


def test_append_errors(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.append("Missing", None, None, msg(1))
    assert typ == "NO" and code_of(data) == "TRYCREATE", data
    expect_bad(c.append, "INBOX", "(\\Recent)", None, msg(1))  # \Recent cannot be set
    expect_bad(c.append, "INBOX", "(\\Bogus)", None, msg(1))
    expect_bad(c.append, "INBOX", None, '"not a date"', msg(1))
    typ, data = c.append("INBOX", None, None, b"")
    assert typ == "NO", data
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 0)']  # nothing was stored
    c.logout()
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a1", b"APPEND INBOX {%d}" % (60 * 1024 * 1024))  # over APPENDLIMIT
    assert t.startswith(b"a1 NO [TOOBIG]"), t
    _, t = r.cmd("a2", b"APPEND INBOX {5+}\r\nHi!\r\n")  # non-synchronising literal
    assert t.startswith(b"a2 OK [APPENDUID "), t
    r.close()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.append, "INBOX", None, None, msg(1))
    force_state(d, "NONAUTH")
    expect_bad(raw, d, "NOOP", "x")
    d.logout()


# -- wire-level tests, formerly in tests/imap/test_fetch.py ------------------------
def test_append_variants(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a1", b"APPEND INBOX (\\Seen $Label) {5+}\r\nHi!\r\n")
    assert t.startswith(b"a1 OK [APPENDUID "), t
    _, t = r.cmd("a2", b"APPEND Missing {5+}\r\nHi!\r\n")
    assert t.startswith(b"a2 NO [TRYCREATE]"), t
    r.send(b"a3 APPEND INBOX {10}\r\n")
    assert r.line().startswith(b"+ ")
    r.send(b"0123456789\r\n")
    _, t = r.until("a3")
    assert t.startswith(b"a3 OK [APPENDUID ")
    big = 60 * 1024 * 1024
    _, t = r.cmd("a4", b"APPEND INBOX {%d}" % big)
    assert t.startswith(b"a4 NO [TOOBIG]"), t
    _, t = r.cmd("a5", b"APPEND INBOX (\\Recent) {1+}\r\nx")
    assert t.startswith(b"a5 BAD"), t
    lines, t = r.cmd("s", "SELECT INBOX")
    assert b"* 2 EXISTS" in lines
    lines, _ = r.cmd("f", "FETCH 1 FLAGS")
    assert b"\\Seen" in lines[0] and b"$Label" in lines[0]
    r.close()
