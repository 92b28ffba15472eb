"""SETMETADATA (RFC 5464 4.3): set and remove (NIL), values as literals and literal8,
the limits ([METADATA MAXSIZE n], [METADATA TOOMANY]) with nothing written on failure, bad
entry names, nonexistent mailbox, and one user's entries invisible to another."""

from __future__ import annotations

import imaplib

import pytest

from services.common import metaentries
from tests.imap.commands.test_getmetadata import getmeta, setmeta
from tests.imap.commands.util import Error, code_of, expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle, Raw


def test_set_and_remove(imap: ImapHandle) -> None:
    c = imap.login()
    assert setmeta(c, "INBOX", '(/private/x "1" /shared/y "2")')[0] == "OK"
    assert getmeta(c, "INBOX", "(/private/x /shared/y)")[1] == [b'"INBOX" (/private/x "1" /shared/y "2")']
    assert setmeta(c, "INBOX", '(/private/x NIL /shared/y "3")')[0] == "OK"
    assert getmeta(c, "INBOX", "(/private/x /shared/y)")[1] == [b'"INBOX" (/private/x NIL /shared/y "3")']
    # removing what does not exist is fine
    assert setmeta(c, "INBOX", "(/private/none NIL)")[0] == "OK"
    c.logout()


def test_literal_and_literal8_values(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    text = b"line one\r\nline two"
    r.send(b"s1 SETMETADATA INBOX (/private/note {%d}\r\n" % len(text))
    assert r.line().startswith(b"+")
    r.send(text + b")\r\n")
    _, t = r.until("s1")
    assert t.startswith(b"s1 OK"), t
    lines, t = r.cmd("g1", "GETMETADATA INBOX /private/note")
    assert lines == [b'* METADATA "INBOX" (/private/note {%d}\r\n' % len(text) + text + b")"], lines
    binary = b"a\x00b"
    r.send(b"s2 SETMETADATA INBOX (/private/bin ~{3}\r\n")
    assert r.line().startswith(b"+")
    r.send(binary + b")\r\n")
    _, t = r.until("s2")
    assert t.startswith(b"s2 OK"), t
    r.send(b"g2 GETMETADATA INBOX /private/bin\r\n")
    line = r.line()
    assert line == b'* METADATA "INBOX" (/private/bin ~{3}', line
    assert r.read_exact(3) == binary
    assert r.line() == b")"
    assert r.line().startswith(b"g2 OK")
    r.close()


def test_maxsize_limit(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    big = b"x" * (metaentries.MAX_VALUE + 1)
    r.send(b"s1 SETMETADATA INBOX (/private/ok {1+}\r\na /private/big {%d+}\r\n" % len(big) + big + b")\r\n")
    _, t = r.until("s1")
    assert t.startswith(b"s1 NO [METADATA MAXSIZE %d]" % metaentries.MAX_VALUE), t
    lines, _ = r.cmd("g1", "GETMETADATA INBOX /private/ok")
    assert lines == [b'* METADATA "INBOX" (/private/ok NIL)'], lines  # nothing was written
    r.close()


def test_toomany_limit(imap: ImapHandle) -> None:
    c = imap.login()
    n = metaentries.MAX_ENTRIES
    for start in range(0, n, 100):
        pairs = " ".join(f'/private/e{i} "v"' for i in range(start, min(n, start + 100)))
        assert setmeta(c, '""', f"({pairs})")[0] == "OK"
    typ, data = setmeta(c, '""', '(/private/one-more "v" /private/e0 NIL)')
    assert typ == "OK", data  # one removed, one added: still at the limit
    typ, data = setmeta(c, '""', '(/private/e1 "new" /private/too-many "v")')
    assert typ == "NO" and data[-1].startswith(b"[METADATA TOOMANY]"), data
    # all or nothing: the update of e1 in the failed command did not happen
    assert getmeta(c, '""', "/private/e1")[1] == [b'"" (/private/e1 "v")']
    # a mailbox has its own count
    assert setmeta(c, "INBOX", '(/private/too-many "v")')[0] == "OK"
    c.logout()


def test_bad_input_and_isolation(imap: ImapHandle) -> None:
    c = imap.login()
    for args in (
        ("INBOX", '(/private/x "1" /comment "2")'),
        ("INBOX", "(/private/x)"),
        ("INBOX", "()"),
        ("INBOX", '/private/x "1"'),
    ):
        expect_bad(raw, c, "SETMETADATA", *args)
    typ, data = setmeta(c, "Nope", '(/private/x "1")')
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    assert setmeta(c, '""', '(/private/secret "alice")')[0] == "OK"
    bob = imap.login("bob@example.test", "bobpw")
    assert getmeta(bob, '""', "/private/secret")[1] == [b'"" (/private/secret NIL)']
    bob.logout()
    c.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        raw(c, "SETMETADATA", '""', '(/private/x "1")')
    c.logout()


imaplib.Commands.setdefault("SETMETADATA", ("AUTH", "SELECTED"))
