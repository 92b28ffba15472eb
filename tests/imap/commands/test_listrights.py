"""LISTRIGHTS (RFC 4314 3.4) through imaplib.listrights: the owner's fixed rights, each right
grantable on its own to others; needs 'a'; wrong state."""

from __future__ import annotations

import imaplib
from typing import Any

import pytest

from tests.imap.commands.test_setacl import BOB, BOBPW, SHARED
from tests.imap.commands.util import Error, code_of, force_state, pop, raw
from tests.imap.conftest import USER, ImapHandle

imaplib.Commands.setdefault("LISTRIGHTS", ("AUTH", "SELECTED"))


def listrights(c: Any, mailbox: str, ident: str) -> tuple[str, list[Any]]:
    """imaplib has no listrights(): (status, the LISTRIGHTS responses or the tagged text)."""
    pop(c, "LISTRIGHTS")
    typ, data = raw(c, "LISTRIGHTS", mailbox, ident)
    return typ, (pop(c, "LISTRIGHTS") if typ == "OK" else data)


def test_listrights(imap: ImapHandle) -> None:
    a = imap.login()
    typ, data = listrights(a, "INBOX", BOB)
    assert typ == "OK" and data == [f'"INBOX" {BOB} "" l r s w i p k x t e a'.encode()], data
    typ, data = listrights(a, "INBOX", USER)
    assert data == [f'"INBOX" {USER} lrswipkxtea'.encode()], data
    assert a.create("Team")[0] == "OK"
    assert a.setacl("Team", BOB, "lr")[0] == "OK"
    b = imap.login(BOB, BOBPW)
    typ, data = listrights(b, SHARED, BOB)
    assert typ == "NO" and code_of(data) == "NOPERM", data
    b.logout()
    a.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        listrights(c, "INBOX", BOB)
    c.logout()
