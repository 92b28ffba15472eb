"""SETACL with the identifiers "anyone" and "authenticated" and negative rights (RFC 4314 2): a mailbox shared with a
whole team. Both mean every user of the owner's domain (kubemail has no anonymous access; users
of another domain served here get nothing). LIST shows such mailboxes from the domain's hint set,
without a per-grantee hint; the owner's ACL stays the source of truth (a revoke holds at once)."""

from __future__ import annotations

import imaplib

import pytest

from services.common.grpcclient import MetadataClient
from tests.fixtures.seed import seed_user
from tests.imap.commands.util import code_of
from tests.imap.conftest import USER, ImapHandle, msg

BOB = "bob@example.test"
CAROL = "carol@example.test"
DAVE = "dave@other.test"  # another domain served by the same metadata service
SHARED = f'"Other Users/{USER}/Team"'


async def _seed_more(addr: str) -> None:
    async with MetadataClient(addr) as c:
        await seed_user(c, CAROL, "carolpw")
        await seed_user(c, DAVE, "davepw")


@pytest.fixture
def team(imap: ImapHandle) -> ImapHandle:
    imap.run(_seed_more(imap.env["KUBEMAIL_METADATA_ADDR"]))
    return imap


def _lists_team(c: imaplib.IMAP4) -> bool:
    typ, data = c.list('""', "*")
    assert typ == "OK", data
    return any(SHARED.encode() in line for line in data if line)


def _owner_with_team(imap: ImapHandle, ident: str, rights: str) -> imaplib.IMAP4:
    a = imap.login()
    assert a.create("Team")[0] == "OK"
    assert a.append("Team", None, None, msg(1))[0] == "OK"
    typ, data = a.setacl("Team", ident, rights)
    assert typ == "OK", data
    return a


@pytest.mark.parametrize("ident", ["anyone", "authenticated"])
def test_group_shares_with_the_domain(team: ImapHandle, ident: str) -> None:
    a = _owner_with_team(team, ident, "lr")
    typ, data = a.getacl("Team")
    assert typ == "OK" and f"{ident} lr".encode() in data[0], data
    for who, pw in ((BOB, "bobpw"), (CAROL, "carolpw")):
        c = team.login(who, pw)
        assert _lists_team(c), who
        typ, data = c.select(SHARED, readonly=True)
        assert typ == "OK" and data == [b"1"], (who, data)
        typ, data = c.myrights(SHARED)
        assert typ == "OK" and data[0].endswith(b" lr"), data
        # lr only: nothing may be stored
        typ, data = c.append(SHARED, None, None, msg(2))
        assert typ == "NO" and code_of(data) == "NOPERM", data
        c.logout()
    # another domain on the same server is not "anyone" of this one
    d = team.login(DAVE, "davepw")
    assert not _lists_team(d)
    typ, data = d.select(SHARED)
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    d.logout()
    a.logout()


def test_group_rights_add_to_the_users_own(team: ImapHandle) -> None:
    a = _owner_with_team(team, "anyone", "lr")
    assert a.setacl("Team", BOB, "i")[0] == "OK"
    b = team.login(BOB, "bobpw")
    typ, data = b.myrights(SHARED)
    assert typ == "OK" and data[0].endswith(b" lri"), data
    assert b.append(SHARED, None, None, msg(2))[0] == "OK"
    c = team.login(CAROL, "carolpw")
    typ, data = c.append(SHARED, None, None, msg(3))
    assert typ == "NO" and code_of(data) == "NOPERM", data
    for x in (b, c, a):
        x.logout()


def test_group_revoke_holds_at_once(team: ImapHandle) -> None:
    a = _owner_with_team(team, "anyone", "lr")
    b = team.login(BOB, "bobpw")
    assert _lists_team(b)
    assert a.deleteacl("Team", "anyone")[0] == "OK"
    assert not _lists_team(b)
    typ, data = b.select(SHARED)
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    # a group hint left behind by a crash is ignored: grant 'r' only (no 'l'): not listed
    assert a.setacl("Team", "authenticated", "r")[0] == "OK"
    assert not _lists_team(b)
    assert b.select(SHARED, readonly=True)[0] == "OK"
    # the mailbox deleted: gone from LIST, and its hint is dropped on the next read
    assert a.setacl("Team", "authenticated", "lr")[0] == "OK"
    assert _lists_team(b)
    b.close()
    assert a.delete("Team")[0] == "OK"
    assert not _lists_team(b)
    b.logout()
    a.logout()


def test_negative_rights_take_away(team: ImapHandle) -> None:
    """RFC 4314 2: a "-identifier" entry removes its rights from what the other entries grant."""
    a = _owner_with_team(team, "anyone", "lr")
    assert a.setacl("Team", BOB, "lrsi")[0] == "OK"
    typ, data = a.setacl("Team", "-" + BOB, "ri")
    assert typ == "OK", data
    typ, data = a.getacl("Team")
    assert typ == "OK" and f"-{BOB} ir".encode() not in data[0] and f"-{BOB} ri".encode() in data[0], data
    b = team.login(BOB, "bobpw")
    typ, data = b.myrights(SHARED)
    assert typ == "OK" and data[0].endswith(b" ls"), data
    assert _lists_team(b)  # l is left
    typ, data = b.append(SHARED, None, None, msg(2))
    assert typ == "NO" and code_of(data) == "NOPERM", data
    # others keep what anyone grants; "-anyone" takes from everybody
    c = team.login(CAROL, "carolpw")
    assert c.myrights(SHARED)[1][0].endswith(b" lr")
    assert a.setacl("Team", "-anyone", "l")[0] == "OK"
    assert not _lists_team(c) and not _lists_team(b)
    # removing the negative entries gives the rights back (the grants and hints were kept)
    assert a.deleteacl("Team", "-anyone")[0] == "OK"
    assert a.deleteacl("Team", "-" + BOB)[0] == "OK"
    assert b.myrights(SHARED)[1][0].endswith(b" lrsi")
    assert _lists_team(b) and _lists_team(c)
    typ, data = a.setacl("Team", "-nobody@example.test", "r")
    assert typ == "NO" and code_of(data) == "CANNOT", data
    for x in (b, c, a):
        x.logout()
