"""DELETEACL (RFC 4314 3.2) through imaplib.deleteacl: the grantee loses access at once
(NONEXISTENT, gone from LIST); deleting an absent entry is fine; wrong state."""

from __future__ import annotations

import pytest

from tests.imap.commands.test_setacl import BOB, BOBPW, SHARED
from tests.imap.commands.util import Error, code_of, force_state
from tests.imap.conftest import USER, ImapHandle


def test_deleteacl(imap: ImapHandle) -> None:
    a = imap.login()
    assert a.create("Team")[0] == "OK"
    assert a.setacl("Team", BOB, "lr")[0] == "OK"
    b = imap.login(BOB, BOBPW)
    assert b.myrights(SHARED)[0] == "OK"
    assert a.deleteacl("Team", BOB)[0] == "OK"
    typ, data = b.myrights(SHARED)
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    assert not any(b"Other Users" in (line or b"") for line in b.list('""', "*")[1])
    assert a.getacl("Team")[1] == [f'"Team" {USER} lrswipkxtea'.encode()]
    assert a.deleteacl("Team", BOB)[0] == "OK"  # nothing left to delete
    b.logout()
    a.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.deleteacl("INBOX", BOB)
    c.logout()
