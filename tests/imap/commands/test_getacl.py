"""GETACL (RFC 4314 3.3) through imaplib.getacl: the owner first with every right, then the
grantees; a grantee needs 'a'; nonexistent mailbox; wrong state."""

from __future__ import annotations

import pytest

from tests.imap.commands.test_setacl import BOB, BOBPW, SHARED
from tests.imap.commands.util import Error, code_of, force_state
from tests.imap.conftest import USER, ImapHandle


def test_getacl(imap: ImapHandle) -> None:
    a = imap.login()
    typ, data = a.getacl("INBOX")
    assert typ == "OK" and data == [f'"INBOX" {USER} lrswipkxtea'.encode()], data
    assert a.create("Team")[0] == "OK"
    assert a.setacl("Team", BOB, "rl")[0] == "OK"  # stored in canonical order
    typ, data = a.getacl("Team")
    assert data == [f'"Team" {USER} lrswipkxtea {BOB} lr'.encode()], data
    b = imap.login(BOB, BOBPW)
    typ, data = b.getacl(SHARED)
    assert typ == "NO" and code_of(data) == "NOPERM", data
    assert a.setacl("Team", BOB, "+a")[0] == "OK"
    typ, data = b.getacl(SHARED)
    assert typ == "OK" and data == [f"{SHARED} {USER} lrswipkxtea {BOB} lra".encode()], data
    b.logout()
    typ, data = a.getacl("Nope")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    a.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.getacl("INBOX")
    c.logout()
