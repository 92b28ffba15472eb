"""SETACL (RFC 4314 3.1) through imaplib.setacl: alice grants bob rights on one of her
mailboxes; bob sees it under Other Users in LIST and NAMESPACE, may SELECT / FETCH / STORE /
APPEND / EXPUNGE as far as the rights go ([NOPERM] beyond), and a revoke holds for the next
SELECT. Bad rights, unknown identifiers, wrong state."""

from __future__ import annotations

import imaplib

import pytest

from tests.imap.commands.util import Error, code_of, expect_bad, fetch_flags, force_state, raw
from tests.imap.conftest import USER, ImapHandle, Raw, msg

BOB = "bob@example.test"
BOBPW = "bobpw"
SHARED = f'"Other Users/{USER}/Team"'


def alice_shares(imap: ImapHandle, rights: str, n: int = 2) -> imaplib.IMAP4:
    a = imap.login()
    assert a.create("Team")[0] == "OK"
    for i in range(n):
        assert a.append("Team", None, None, msg(i + 1))[0] == "OK"
    typ, data = a.setacl("Team", BOB, rights)
    assert typ == "OK", data
    return a


def bob(imap: ImapHandle) -> imaplib.IMAP4:
    return imap.login(BOB, BOBPW)


def test_grant_list_select_fetch_store(imap: ImapHandle) -> None:
    a = alice_shares(imap, "lrsw")
    b = bob(imap)
    typ, data = b.list('""', "*")
    assert typ == "OK"
    assert any(f'"Other Users/{USER}/Team"'.encode() in line for line in data), data
    assert any(line.endswith(b'"Other Users"') and b"\\Noselect" in line for line in data), data
    assert not any(b"Other Users/" + USER.encode() + b"/INBOX" in line for line in data)  # only what was shared
    typ, data = b.select(SHARED)
    assert typ == "OK" and data == [b"2"], data
    typ, data = b.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and b"hello 1" in data[0][1], data
    assert b.store("1", "+FLAGS", "(\\Seen $Important)")[0] == "OK"
    # the owner sees bob's flags
    a.select("Team")
    assert fetch_flags(a, "1")[1] >= {"\\Seen", "$Important"}
    # STATUS of the shared mailbox works with 'r'
    typ, data = b.status(SHARED, "(MESSAGES)")
    assert typ == "OK" and data[0].endswith(b"(MESSAGES 2)"), data
    b.logout()
    a.logout()


def test_rights_are_enforced(imap: ImapHandle) -> None:
    a = alice_shares(imap, "lr")
    b = bob(imap)
    # no s, t, w or e: SELECT answers READ-ONLY and STORE is refused
    r = Raw(imap.port)
    r.login(BOB, BOBPW)
    _, t = r.cmd("s1", f"SELECT {SHARED}")
    assert t.startswith(b"s1 OK [READ-ONLY]"), t
    _, t = r.cmd("s2", "STORE 1 +FLAGS (\\Flagged)")
    assert t.startswith(b"s2 NO"), t
    r.close()
    assert b.select(SHARED, readonly=True)[0] == "OK"
    # a FETCH of the body does not set \Seen without 's'
    assert b.fetch("1", "(BODY[])")[0] == "OK"
    a.select("Team")
    assert "\\Seen" not in fetch_flags(a, "1")[1]
    # no 'i': APPEND is refused with NOPERM, nothing stored
    typ, data = b.append(SHARED, None, None, msg(9))
    assert typ == "NO" and code_of(data) == "NOPERM", data
    assert a.status("Team", "(MESSAGES)")[1] == [b'"Team" (MESSAGES 2)']
    # rights with s but not w: \Seen may be set, \Flagged not
    assert a.setacl("Team", BOB, "lrs")[0] == "OK"
    assert b.select(SHARED)[0] == "OK"
    assert b.store("1", "+FLAGS", "(\\Seen)")[0] == "OK"
    typ, data = b.store("1", "+FLAGS", "(\\Flagged)")
    assert typ == "NO" and code_of(data) == "NOPERM", data
    # with i, t and e: APPEND, delete and EXPUNGE
    assert a.setacl("Team", BOB, "+ite")[0] == "OK"
    assert b.append(SHARED, None, None, msg(3))[0] == "OK"
    assert b.select(SHARED)[0] == "OK"
    assert b.store("3", "+FLAGS", "(\\Deleted)")[0] == "OK"
    typ, data = b.expunge()
    assert typ == "OK" and data == [b"3"], data
    # without 'r' SELECT is refused with NOPERM (the mailbox is still visible with 'l')
    assert a.setacl("Team", BOB, "l")[0] == "OK"
    typ, data = b.select(SHARED)
    assert typ == "NO" and code_of(data) == "NOPERM", data
    b.logout()
    a.logout()


def test_revoke_holds_for_the_next_select(imap: ImapHandle) -> None:
    a = alice_shares(imap, "lrsw")
    b = bob(imap)
    assert b.select(SHARED)[0] == "OK"
    assert a.deleteacl("Team", BOB)[0] == "OK"
    typ, data = b.select(SHARED)
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    typ, data = b.list('""', "*")
    assert not any(b"Other Users" in line for line in data if line), data
    # commands on the previously selected mailbox are refused by the service too
    b2 = bob(imap)
    typ, data = b2.status(SHARED, "(MESSAGES)")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    b2.logout()
    b.logout()
    a.logout()


def test_bad_input(imap: ImapHandle) -> None:
    a = imap.login()
    expect_bad(a.setacl, "INBOX", BOB, "lrz")
    typ, data = a.setacl("INBOX", "nobody@example.test", "lr")
    assert typ == "NO" and code_of(data) == "CANNOT", data
    typ, data = a.setacl("INBOX", "-" + USER, "lr")  # not even negative rights on the owner
    assert typ == "NO", data
    typ, data = a.setacl("Nope", BOB, "lr")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    typ, data = a.setacl("INBOX", USER, "lr")  # the owner's rights are fixed
    assert typ == "NO", data
    expect_bad(raw, a, "SETACL", "INBOX", BOB)
    # a grantee without 'a' cannot change the ACL
    assert a.create("Team")[0] == "OK"
    assert a.setacl("Team", BOB, "lr")[0] == "OK"
    b = bob(imap)
    typ, data = b.setacl(SHARED, BOB, "lrswipkxtea")
    assert typ == "NO" and code_of(data) == "NOPERM", data
    # names in Other Users cannot be created
    typ, data = b.create('"Other Users/x"')
    assert typ == "NO" and code_of(data) == "CANNOT", data
    b.logout()
    a.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.setacl("INBOX", BOB, "lr")
    c.logout()
