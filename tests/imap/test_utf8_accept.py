"""UTF8=ACCEPT (RFC 6855, as revised by RFC 9755) on the wire: after ENABLE UTF8=ACCEPT mailbox
names are UTF-8 and go out as UTF-8 quoted strings (3), SEARCH takes no CHARSET and SORT /
THREAD only UTF-8 (3, erratum 4029), quoted strings with 8-bit octets must be valid UTF-8 (3),
mailbox names may not hold C1 controls or line/paragraph separators (3); without it, APPEND
of a message with 8-bit header fields is NO (4) while UTF-8 in the body is fine."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, Raw

UTF8_HEADER = "Subject: caf\u00e9 cr\u00e8me\r\n\r\nbody\r\n".encode()


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def test_utf8_mailbox_names_quoted(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("e", "ENABLE UTF8=ACCEPT")
    assert lines == [b"* ENABLED UTF8=ACCEPT"], lines
    name = "Caf\u00e9/\u65e5\u672c".encode()
    _, t = r.cmd("c", b'CREATE "' + name + b'"')
    assert t.startswith(b"c OK"), t
    lines, t = r.cmd("l", b'LIST "" "Caf\xc3\xa9/*"')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "' + name + b'"'], lines  # a quoted string, not a literal
    lines, _ = r.cmd("s", b'STATUS "' + name + b'" (MESSAGES)')
    assert lines == [b'* STATUS "' + name + b'" (MESSAGES 0)'], lines
    _, t = r.cmd("b", b'CREATE "bad\xc3"')  # not UTF-8
    assert t.startswith(b"b BAD"), t
    _, t = r.cmd("c1", 'CREATE "x\u0085y"'.encode())  # C1 control (NEL)
    assert t.startswith(b"c1 NO"), t
    _, t = r.cmd("c2", 'CREATE "x\u2028y"'.encode())  # line separator
    assert t.startswith(b"c2 NO"), t
    r.close()


def test_utf8_search_charset_rules(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    r.cmd("a", b"APPEND INBOX " + _lit(b"Subject: x\r\n\r\nhello\r\n"))
    r.cmd("s", "SELECT INBOX")
    lines, t = r.cmd("s0", "SEARCH CHARSET UTF-8 BODY hello")  # before ENABLE: fine
    assert t.startswith(b"s0 OK") and lines == [b"* SEARCH 1"], (lines, t)
    r.cmd("u", "UNSELECT")
    r.cmd("e", "ENABLE UTF8=ACCEPT")
    r.cmd("s", "SELECT INBOX")
    _, t = r.cmd("s1", "SEARCH CHARSET UTF-8 BODY hello")
    assert t.startswith(b"s1 BAD"), t  # RFC 6855 3: conflicting charset labels
    lines, t = r.cmd("s2", b'SEARCH BODY "h\xc3\xa9llo"')
    assert t.startswith(b"s2 OK"), t
    _, t = r.cmd("s3", "SORT (ARRIVAL) US-ASCII ALL")
    assert t.startswith(b"s3 BAD"), t  # erratum 4029: only UTF-8
    lines, t = r.cmd("s4", "SORT (ARRIVAL) UTF-8 ALL")
    assert t.startswith(b"s4 OK") and lines == [b"* SORT 1"], (lines, t)
    _, t = r.cmd("s5", "THREAD REFERENCES US-ASCII ALL")
    assert t.startswith(b"s5 BAD"), t
    r.close()


def test_append_8bit_header_needs_utf8_accept(imap: ImapHandle) -> None:
    """RFC 6855 4: the server MUST refuse with NO an APPEND with 8-bit header fields from a
    client that has not enabled UTF8=ACCEPT; after ENABLE it is stored as sent."""
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a1", b"APPEND INBOX " + _lit(UTF8_HEADER))
    assert t.startswith(b"a1 NO"), t
    _, t = r.cmd("a2", b"APPEND INBOX " + _lit(b"Subject: ascii\r\n\r\nbody caf\xc3\xa9\r\n"))
    assert t.startswith(b"a2 OK"), t  # 8-bit in the body is not the header
    r.cmd("e", "ENABLE UTF8=ACCEPT")
    _, t = r.cmd("a3", b"APPEND INBOX " + _lit(UTF8_HEADER))
    assert t.startswith(b"a3 OK"), t
    _, t = r.cmd("a4", b"APPEND INBOX UTF8 (~{%d+}\r\n" % len(UTF8_HEADER) + UTF8_HEADER + b")")
    assert t.startswith(b"a4 OK"), t  # RFC 6855 4's UTF8 data item (literal8)
    r.cmd("x", "EXAMINE INBOX")
    lines, _ = r.cmd("f", "FETCH 2 BODY.PEEK[]")
    assert UTF8_HEADER in lines[0]
    r.close()
