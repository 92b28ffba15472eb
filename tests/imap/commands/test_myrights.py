"""MYRIGHTS (RFC 4314 3.5) through imaplib.myrights: every right on one's own mailbox, the
granted ones on a shared one, NONEXISTENT without any; wrong state."""

from __future__ import annotations

import pytest

from tests.imap.commands.test_setacl import BOB, BOBPW, SHARED
from tests.imap.commands.util import Error, code_of, force_state
from tests.imap.conftest import ImapHandle


def test_myrights(imap: ImapHandle) -> None:
    a = imap.login()
    typ, data = a.myrights("INBOX")
    assert typ == "OK" and data == [b'"INBOX" lrswipkxtea'], data
    assert a.create("Team")[0] == "OK"
    b = imap.login(BOB, BOBPW)
    typ, data = b.myrights(SHARED)
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    assert a.setacl("Team", BOB, "lrc")[0] == "OK"  # c: the obsolete create right, now k
    typ, data = b.myrights(SHARED)
    assert typ == "OK" and data == [f"{SHARED} lrk".encode()], data
    typ, data = b.myrights('"Other Users/nobody@example.test/Team"')
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    b.logout()
    a.logout()


def test_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.myrights("INBOX")
    c.logout()
