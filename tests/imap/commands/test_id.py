"""ID (RFC 2971) through imaplib's xatom: any state, server identification, bad arguments."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, pop, raw
from tests.imap.conftest import ImapHandle


def test_id_in_every_state(imap: ImapHandle) -> None:
    c = imap.client()
    typ, data = c.xatom("ID", '("name" "pytest" "version" "1")')
    assert typ == "OK", data
    ident = pop(c, "ID")
    assert ident and ident[0].startswith(b'("name" "kubemail" "version" ')
    c.login("alice@example.test", "secret")
    typ, _ = c.xatom("ID", "NIL")
    assert typ == "OK" and pop(c, "ID")
    c.select("INBOX")
    assert c.xatom("ID", "NIL")[0] == "OK" and pop(c, "ID")
    c.logout()


def test_id_bad_arguments(imap: ImapHandle) -> None:
    c = imap.client()
    expect_bad(raw, c, "ID")  # the argument is mandatory (NIL or a list)
    expect_bad(raw, c, "ID", '("name")')  # odd number of list items
    expect_bad(raw, c, "ID", "garbage")
    assert pop(c, "ID") == []
    assert c.xatom("ID", "NIL")[0] == "OK"
    c.logout()
