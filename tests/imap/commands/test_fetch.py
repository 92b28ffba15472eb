"""FETCH (RFC 3501 6.4.5 / RFC 9051 6.4.5) through imaplib.fetch: data items, sections and
partials, BODY[] sets \\Seen (seen by a second client), BODY.PEEK does not, errors."""

from __future__ import annotations

import base64
import email
import imaplib
import re
import time

from tests.imap.commands.util import expect_bad, fetch_flags, fill, force_state, pop, selected
from tests.imap.conftest import ImapHandle, Raw, msg


def test_fetch_items(imap: ImapHandle) -> None:
    fill(imap, 3)
    c = selected(imap)
    typ, data = c.fetch("1:3", "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)")
    assert typ == "OK" and len(data) == 3
    assert data[1].startswith(b"2 (UID 2 FLAGS (")
    assert b"RFC822.SIZE %d" % len(msg(2)) in data[1]
    assert b'ENVELOPE ("Mon, 1 Jan 2024 10:00:00 +0000" "hello 2" (("Bob" NIL "bob" "example.test"))' in data[1]
    assert b'"<m2@example.test>")' in data[1]
    typ, data = c.fetch("2", "(BODYSTRUCTURE)")
    assert b'("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" ' in data[0]
    typ, data = c.fetch("*", "(RFC822)")
    assert data[0][1] == msg(3)
    assert email.message_from_bytes(data[0][1])["Subject"] == "hello 3"
    typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert data[0][1] == b"Subject: hello 1\r\n\r\n"
    typ, data = c.fetch("1", "(BODY.PEEK[TEXT])")
    assert data[0][1] == b"Body of message 1.\r\n"
    typ, data = c.fetch("1", "(BODY.PEEK[]<0.4>)")
    assert data[0][0].endswith(b"BODY[]<0> {4}") and data[0][1] == b"From"
    typ, data = c.fetch("1", "(RFC822.HEADER)")
    assert data[0][1] == msg(1).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    typ, data = c.fetch("1:2", "FAST")
    assert len(data) == 2 and b"RFC822.SIZE" in data[0]
    c.logout()


def test_fetch_body_sets_seen_peek_does_not(imap: ImapHandle) -> None:
    fill(imap, 2)
    a = selected(imap)
    b = selected(imap)
    a.fetch("1", "(BODY.PEEK[])")
    assert "\\Seen" not in fetch_flags(a)[1]
    _typ, data = a.fetch("2", "(BODY[])")
    assert b"\\Seen" in data[0][0] or any(b"\\Seen" in d for d in data if isinstance(d, bytes))
    b.noop()
    fetches = pop(b, "FETCH")
    assert any(f.startswith(b"2 (") and b"\\Seen" in f for f in fetches), fetches
    assert _unseen(b) == [1]
    a.logout()
    b.logout()


def _unseen(c: object) -> list[int]:
    _typ, data = c.search(None, "UNSEEN")  # type: ignore[attr-defined]
    return [int(x) for x in data[0].split()]


def test_fetch_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    expect_bad(c.fetch, "2", "(FLAGS)")  # beyond EXISTS
    expect_bad(c.fetch, "0", "(FLAGS)")
    expect_bad(c.fetch, "1", "(BOGUS)")
    expect_bad(c.fetch, "1", "(BODY[HEADER.FIELDS])")
    expect_bad(c.fetch, "1", "(FLAGS")
    assert c.fetch("1", "(UID)")[1] == [b"1 (UID 1)"]  # session still fine
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.fetch, "1", "(FLAGS)")
    force_state(c, "AUTH")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_fetch.py ------------------------
ATTACHMENT = bytes(range(256)) * 4


MIME = (
    b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.test>\r\n"
    b'To: alice@example.test, "Quote \\" Man" <q@example.test>\r\n'
    b"Subject: multi\r\n"
    b"Date: Tue, 2 Jan 2024 12:00:00 +0100\r\n"
    b"Message-ID: <multi@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="BOUND"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--BOUND\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello text part\r\nline two\r\n"
    b"--BOUND\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="a.bin"\r\n'
    b"\r\n" + base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n") + b"--BOUND\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: inner\r\n"
    b"From: in@example.test\r\n"
    b"\r\n"
    b"inner body\r\n"
    b"--BOUND--\r\n"
)


def _setup_mime(imap: ImapHandle) -> Raw:
    c = imap.login()
    assert c.append("INBOX", None, '"02-Jan-2024 12:00:00 +0100"', MIME)[0] == "OK"
    c.logout()
    r = Raw(imap.port)
    r.login()
    return r


def test_fetch_metadata_items(imap: ImapHandle) -> None:
    r = _setup_mime(imap)
    lines, t = r.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK [READ-WRITE]")
    assert b"* 1 EXISTS" in lines and b"* 1 RECENT" in lines
    assert any(ln.startswith(b"* OK [UIDVALIDITY ") for ln in lines)
    assert any(ln.startswith(b"* OK [UNSEEN 1]") for ln in lines)
    lines, t = r.cmd("f1", "FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")
    assert t.startswith(b"f1 OK")
    ln = lines[0]
    assert ln.startswith(b'* 1 FETCH (UID 1 FLAGS (\\Recent) INTERNALDATE "02-Jan-2024 11:00:00 +0000" ')
    assert b"RFC822.SIZE %d " % len(MIME) in ln
    assert b'ENVELOPE ("Tue, 2 Jan 2024 12:00:00 +0100" "multi" ' in ln
    assert b'"=?utf-8?q?J=C3=B6rg?=" NIL "jorg" "example.test"' in ln
    assert b'("Quote \\" Man" NIL "q" "example.test")' in ln
    assert ln.endswith(b'NIL NIL NIL "<multi@example.test>"))')
    lines, _ = r.cmd("f2", "FETCH 1 BODYSTRUCTURE")
    bs = lines[0]
    assert b'("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 25 2' in bs
    assert b'"application" "octet-stream" NIL NIL NIL "BASE64"' in bs
    assert b'("attachment" ("filename" "a.bin"))' in bs
    assert b'"message" "rfc822" NIL NIL NIL "7BIT"' in bs and b'"mixed" ("boundary" "BOUND")' in bs
    lines, _ = r.cmd("f3", "FETCH 1 BODY")
    assert lines[0].startswith(b'* 1 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 25 2)')
    lines, _ = r.cmd("f4", "FETCH 1 (FLAGS)")
    assert b"\\Seen" not in lines[0]
    lines, t = r.cmd("f5", "FETCH 1 ALL")
    assert t.startswith(b"f5 OK") and b"ENVELOPE" in lines[0]
    lines, t = r.cmd("f6", "UID FETCH 1:* FAST")
    assert lines[0].startswith(b"* 1 FETCH (UID 1 ")
    lines, t = r.cmd("f7", "FETCH 2 FLAGS")
    assert t.startswith(b"f7 BAD")
    lines, t = r.cmd("f8", "UID FETCH 5:9 FLAGS")  # no such UIDs except via *: still the last one
    assert t.startswith(b"f8 OK") and lines == []
    r.close()


def test_fetch_sections_and_seen(imap: ImapHandle) -> None:
    r = _setup_mime(imap)
    r.cmd("s", "SELECT INBOX")
    lines, _ = r.cmd("f1", "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject To)]")
    assert lines[0].startswith(b"* 1 FETCH (BODY[HEADER.FIELDS (Subject To)] {")
    assert lines[0].endswith(b"Subject: multi\r\n\r\n)")
    assert b"To: alice@example.test" in lines[0] and b"From:" not in lines[0]
    lines, _ = r.cmd("f2", "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Subject To From Date Message-ID)]")
    assert b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed" in lines[0] and b"Subject:" not in lines[0]
    lines, _ = r.cmd("f3", "FETCH 1 BODY.PEEK[1]")
    assert lines[0] == b"* 1 FETCH (BODY[1] {25}\r\nHello text part\r\nline two)"
    lines, _ = r.cmd("f4", "FETCH 1 BODY.PEEK[1.MIME]")
    assert lines[0] == b"* 1 FETCH (BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n)"
    lines, _ = r.cmd("f5", "FETCH 1 BODY.PEEK[3.HEADER]")
    assert lines[0].endswith(b"Subject: inner\r\nFrom: in@example.test\r\n\r\n)")
    lines, _ = r.cmd("f6", "FETCH 1 BODY.PEEK[3.TEXT]")
    assert lines[0] == b"* 1 FETCH (BODY[3.TEXT] {10}\r\ninner body)"
    lines, _ = r.cmd("f7", "FETCH 1 BODY.PEEK[3.1]")
    assert lines[0] == b"* 1 FETCH (BODY[3.1] {10}\r\ninner body)"
    lines, _ = r.cmd("f8", "FETCH 1 BODY.PEEK[]<0.4>")
    assert lines[0] == b"* 1 FETCH (BODY[]<0> {4}\r\nFrom)"
    lines, _ = r.cmd("f9", "FETCH 1 BODY.PEEK[1]<6.100>")
    assert lines[0] == b"* 1 FETCH (BODY[1]<6> {19}\r\ntext part\r\nline two)"
    lines, _ = r.cmd("f10", "FETCH 1 BODY.PEEK[9]")
    assert lines[0] == b"* 1 FETCH (BODY[9] NIL)"
    lines, _ = r.cmd("f11", "FETCH 1 BINARY.PEEK[2]")
    assert lines[0].startswith(b"* 1 FETCH (BINARY[2] ~{1024}\r\n") and ATTACHMENT in lines[0]
    lines, _ = r.cmd("f12", "FETCH 1 BINARY.SIZE[2]")
    assert lines[0] == b"* 1 FETCH (BINARY.SIZE[2] 1024)"
    lines, _ = r.cmd("f13", "FETCH 1 (FLAGS)")
    assert b"\\Seen" not in lines[0]
    # EXAMINE never sets \Seen
    r.cmd("e", "EXAMINE INBOX")
    lines, _ = r.cmd("f14", "FETCH 1 BODY[TEXT]")
    assert b"FLAGS" not in lines[0]
    lines, _ = r.cmd("f15", "FETCH 1 FLAGS")
    assert b"\\Seen" not in lines[0]
    # BODY[] in read-write sets \Seen and reports FLAGS
    r.cmd("s2", "SELECT INBOX")
    lines, _ = r.cmd("f16", "FETCH 1 BODY[]")
    assert lines[0].startswith(b"* 1 FETCH (BODY[] {%d}\r\n" % len(MIME))
    assert b"\\Seen" in lines[0]
    assert lines[0][lines[0].index(b"\r\n") + 2 :].startswith(MIME)
    r.close()


def test_imaplib_rfc822_roundtrip(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", None, None, MIME)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1", "(RFC822)")
    assert typ == "OK" and data[0][1] == MIME
    parsed = email.message_from_bytes(data[0][1])
    assert parsed["Subject"] == "multi"
    typ, data = c.fetch("1", "(RFC822.HEADER RFC822.TEXT)")
    assert typ == "OK"
    c.logout()


def test_fetch_many_messages_imaplib(imap: ImapHandle) -> None:
    c = imap.login()
    for i in range(30):
        c.append("INBOX", None, None, b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i))
    c.select("INBOX")
    typ, data = c.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER])")
    assert typ == "OK"
    subjects = [d[1] for d in data if isinstance(d, tuple)]
    assert len(subjects) == 30 and subjects[29] == b"Subject: m29\r\n\r\n"
    try:
        c.fetch("40", "FLAGS")
        raise AssertionError("expected an error")
    except imaplib.IMAP4.error:
        pass
    c.logout()


def test_fetch_emailid_threadid(imap: ImapHandle) -> None:
    fill(imap, 2)
    r = Raw(imap.port)
    r.login()
    r.cmd("S", "SELECT INBOX")
    lines, t = r.cmd("F", "FETCH 1:2 (EMAILID THREADID)")
    assert t.startswith(b"F OK"), t
    got = [
        re.fullmatch(rb"\* (\d) FETCH \(EMAILID \(([A-Za-z0-9_-]+)\) THREADID \(([A-Za-z0-9_-]+)\)\)", x) for x in lines
    ]
    assert all(got), lines
    assert got[0][2] != got[1][2] and got[0][3] != got[1][3]  # type: ignore[index]
    lines, _ = r.cmd("F2", "FETCH 1 (EMAILID)")
    assert lines == [b"* 1 FETCH (EMAILID (" + got[0][2] + b"))"]  # type: ignore[index]
    r.close()


def test_envelope_address_list_has_no_space_between_addresses(imap: ImapHandle) -> None:
    """#13 item 7: RFC 3501's env-to is "(" 1*address ")"; strict parsers break on ") ("."""
    c = imap.login()
    raw_msg = b'From: "Ann" <ann@x.y>\r\nTo: "Fred" <fred@x.y>, "Sue" <sue@x.y>\r\nSubject: two\r\n\r\nbody\r\n'
    c.append("INBOX", None, None, raw_msg)
    c.select("INBOX")
    _typ, data = c.fetch("1", "(ENVELOPE)")
    line = data[0] if isinstance(data[0], bytes) else data[0][0]
    assert b'(("Fred" NIL "fred" "x.y")("Sue" NIL "sue" "x.y"))' in line, line
    assert b'(("Ann" NIL "ann" "x.y"))' in line, line
    c.logout()


def test_bodystructure_of_text_without_charset_reports_us_ascii(imap: ImapHandle) -> None:
    """#13 item 8: RFC 2046 4.1.2 default, as peers report it; an explicit charset is kept."""
    c = imap.login()
    c.append("INBOX", None, None, b"From: a@x.y\r\nContent-Type: text/plain\r\nSubject: p\r\n\r\nplain\r\n")
    c.append("INBOX", None, None, b"From: a@x.y\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nu\r\n")
    c.select("INBOX")
    _typ, data = c.fetch("1:2", "(BODYSTRUCTURE)")
    first, second = (d if isinstance(d, bytes) else d[0] for d in data)
    assert b'("text" "plain" ("charset" "us-ascii") nil nil "7bit"' in first.lower(), first
    assert b'("charset" "utf-8")' in second.lower() and b"us-ascii" not in second.lower(), second
    c.logout()


def test_fetch_savedate(imap: ImapHandle) -> None:
    """RFC 8514 SAVEDATE: when the message was saved in this mailbox, not its internal date (an
    APPEND with an old date, a COPY keeping the internal date both get the time of saving)."""
    c = imap.login()
    c.append("INBOX", None, '"01-Feb-2020 10:00:00 +0000"', msg(1))
    c.create("Other")
    c.logout()
    r = Raw(imap.port)
    r.login()
    lines, _ = r.cmd("c", "CAPABILITY")
    assert b" SAVEDATE" in lines[0]
    r.cmd("s", "SELECT INBOX")
    lines, t = r.cmd("f1", "FETCH 1 (INTERNALDATE SAVEDATE)")
    assert t.startswith(b"f1 OK"), t
    m = re.fullmatch(rb'\* 1 FETCH \(INTERNALDATE "01-Feb-2020 10:00:00 \+0000" SAVEDATE "([^"]+)"\)', lines[0])
    assert m, lines
    saved = email.utils.parsedate_to_datetime(m.group(1).decode().replace("-", " ", 2)).timestamp()
    assert abs(saved - time.time()) < 120  # saved just now
    _, t = r.cmd("c1", "COPY 1 Other")
    r.cmd("s2", "SELECT Other")
    lines, _ = r.cmd("f2", "UID FETCH 1 (SAVEDATE INTERNALDATE)")
    m2 = re.search(rb'SAVEDATE "([^"]+)" INTERNALDATE "01-Feb-2020 10:00:00 \+0000"', lines[0])
    assert m2, lines
    r.close()
