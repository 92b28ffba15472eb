"""GETMETADATA (RFC 5464 4.2) through imaplib: server and mailbox entries, /private and
/shared, NIL for missing entries, DEPTH 0 / 1 / infinity, MAXSIZE with [METADATA LONGENTRIES],
entries following RENAME and dying with DELETE, bad entry names, wrong state."""

from __future__ import annotations

import imaplib

import pytest

from tests.imap.commands.util import Error, code_of, expect_bad, force_state, pop, raw
from tests.imap.conftest import ImapHandle

imaplib.Commands.setdefault("GETMETADATA", ("AUTH", "SELECTED"))
imaplib.Commands.setdefault("SETMETADATA", ("AUTH", "SELECTED"))


def getmeta(c: imaplib.IMAP4, *args: str) -> tuple[str, list[bytes], list[bytes]]:
    """(status, untagged METADATA responses, tagged text) of one GETMETADATA."""
    pop(c, "METADATA")
    typ, data = raw(c, "GETMETADATA", *args)
    return typ, pop(c, "METADATA"), data


def setmeta(c: imaplib.IMAP4, mailbox: str, pairs: str) -> tuple[str, list[bytes]]:
    return raw(c, "SETMETADATA", mailbox, pairs)  # type: ignore[no-any-return]


def test_capability_advertised(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.capability()
    assert typ == "OK" and b"METADATA" in data[0].split(), data
    c.logout()


def test_server_and_mailbox_entries(imap: ImapHandle) -> None:
    c = imap.login()
    assert setmeta(c, '""', '(/shared/comment "Hello server" /private/comment "mine")')[0] == "OK"
    typ, lines, _ = getmeta(c, '""', "(/shared/comment /private/comment)")
    assert typ == "OK"
    assert lines == [b'"" (/private/comment "mine" /shared/comment "Hello server")'], lines
    # mailbox entries are separate from the server's
    typ, lines, _ = getmeta(c, "INBOX", "/shared/comment")
    assert typ == "OK" and lines == [b'"INBOX" (/shared/comment NIL)'], lines
    assert setmeta(c, "INBOX", '(/private/vendor/kubemail/color "blue")')[0] == "OK"
    typ, lines, _ = getmeta(c, "inbox", "/PRIVATE/Vendor/kubemail/COLOR")
    assert lines == [b'"INBOX" (/private/vendor/kubemail/color "blue")'], lines
    # another session of the same user sees them; NIL removes
    other = imap.login()
    assert getmeta(other, '""', "/shared/comment")[1] == [b'"" (/shared/comment "Hello server")']
    assert setmeta(other, '""', "(/shared/comment NIL)")[0] == "OK"
    other.logout()
    assert getmeta(c, '""', "/shared/comment")[1] == [b'"" (/shared/comment NIL)']
    c.logout()


def test_depth(imap: ImapHandle) -> None:
    c = imap.login()
    pairs = '(/private/a "1" /private/a/b "2" /private/a/b/c "3" /private/ab "x")'
    assert setmeta(c, "INBOX", pairs)[0] == "OK"
    assert getmeta(c, "INBOX", "/private/a")[1] == [b'"INBOX" (/private/a "1")']
    lines = getmeta(c, "(DEPTH 1)", "INBOX", "/private/a")[1]
    assert lines == [b'"INBOX" (/private/a "1" /private/a/b "2")'], lines
    lines = getmeta(c, "(DEPTH infinity)", "INBOX", "/private/a")[1]
    assert lines == [b'"INBOX" (/private/a "1" /private/a/b "2" /private/a/b/c "3")'], lines
    # DEPTH below an entry that has no value itself: only the children
    lines = getmeta(c, "(DEPTH infinity)", "INBOX", "/private/a/b")[1]
    assert lines == [b'"INBOX" (/private/a/b "2" /private/a/b/c "3")'], lines
    c.logout()


def test_maxsize_longentries(imap: ImapHandle) -> None:
    c = imap.login()
    assert setmeta(c, '""', f'(/private/small "abc" /private/big "{"x" * 300}")')[0] == "OK"
    typ, lines, _ = getmeta(c, "(MAXSIZE 100)", '""', "(/private/small /private/big)")
    # imaplib files the tagged [METADATA LONGENTRIES n] code under METADATA too
    assert typ == "OK" and lines == [b'"" (/private/small "abc")', b"LONGENTRIES 300"], lines
    # the option after the mailbox (the drafts' order) is accepted too
    typ, lines, _ = getmeta(c, '""', "(MAXSIZE 1000)", "(/private/big)")
    assert typ == "OK" and len(lines) == 1 and len(lines[0]) > 300, lines
    c.logout()


def test_follows_rename_dies_with_delete(imap: ImapHandle) -> None:
    c = imap.login()
    assert c.create("Projects")[0] == "OK"
    assert setmeta(c, "Projects", '(/shared/comment "work")')[0] == "OK"
    assert c.rename("Projects", "Work")[0] == "OK"
    assert getmeta(c, "Work", "/shared/comment")[1] == [b'"Work" (/shared/comment "work")']
    typ, _, data = getmeta(c, "Projects", "/shared/comment")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    assert c.delete("Work")[0] == "OK"
    assert c.create("Work")[0] == "OK"
    assert getmeta(c, "Work", "/shared/comment")[1] == [b'"Work" (/shared/comment NIL)']
    c.logout()


def test_bad_input(imap: ImapHandle) -> None:
    c = imap.login()
    for args in (
        ('""', "/comment"),  # neither /private nor /shared
        ('""', "/private/"),
        ('""', "/private//x"),
        ('""', "/shared/*"),
        ("(DEPTH 2)", '""', "/private/x"),
        ("(MAXSIZE 10 MAXSIZE 20)", '""', "/private/x"),
        ("(FOO 1)", '""', "/private/x"),
        ('""', "()"),
    ):
        expect_bad(raw, c, "GETMETADATA", *args)
    typ, _, data = getmeta(c, "Nope", "/private/x")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    c.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        raw(c, "GETMETADATA", '""', "/private/x")
    c.logout()
