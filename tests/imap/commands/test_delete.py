"""DELETE (RFC 3501 6.3.4) through imaplib.delete: effect, messages gone with the mailbox,
NONEXISTENT, INBOX refused, a session with the mailbox selected is told, wrong state, bad args."""

from __future__ import annotations

import imaplib

import pytest

from tests.imap.commands.util import code_of, expect_bad, fill, force_state, raw
from tests.imap.conftest import ImapHandle, Raw


def test_delete_removes_mailbox_and_messages(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("Old")
    fill(imap, 2, "Old")
    typ, data = c.status("Old", "(MESSAGES UIDVALIDITY)")
    assert b"MESSAGES 2" in data[0]
    typ, data = c.delete("Old")
    assert typ == "OK", data
    typ, data = c.list('""', "Old")
    assert data == [None]
    typ, data = c.status("Old", "(MESSAGES)")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    # re-created: empty, and UIDs start over
    c.create("Old")
    typ, data = c.status("Old", "(MESSAGES UIDNEXT)")
    assert data == [b'"Old" (MESSAGES 0 UIDNEXT 1)'], data
    c.logout()


def test_delete_errors(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.delete("Nope")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    typ, data = c.delete("INBOX")
    assert typ == "NO", data
    typ, data = c.select("INBOX")
    assert typ == "OK"  # INBOX survived
    expect_bad(raw, c, "DELETE")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.delete, "X")
    force_state(d, "NONAUTH")
    d.logout()


def test_delete_parent_keeps_children(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("P/child")
    assert c.delete("P")[0] == "OK"
    assert c.select("P/child")[0] == "OK"
    _typ, data = c.list('""', "P*")
    assert any(d.endswith(b' "/" "P/child"') for d in data), data
    # RFC 3501 6.3.4: the parent name stays, as \Noselect, while it has children
    parent = [d for d in data if d.endswith(b' "/" "P"')]
    assert parent and b"\\Noselect" in parent[0], data
    c.logout()


def test_delete_selected_mailbox_in_other_session(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("Shared")
    fill(imap, 1, "Shared")
    b = imap.login()
    b.select("Shared")
    assert c.delete("Shared")[0] == "OK"
    # the other session must not keep working on a deleted mailbox
    with pytest.raises(imaplib.IMAP4.abort, match="Selected mailbox was deleted"):
        b.noop()  # the server ends the session with BYE
    c.logout()


def test_delete_own_selected_mailbox_unselects(imap: ImapHandle) -> None:
    """Deleting the session's own selected mailbox: one tagged OK, no BYE (it used to send two),
    the session stays connected in the authenticated state (decision 0005)."""
    r = Raw(imap.port)
    r.login()
    r.cmd("c", "CREATE Mine")
    fill(imap, 1, "Mine")
    r.cmd("s", "SELECT Mine")
    lines, tag = r.cmd("d", "DELETE Mine")
    assert tag.startswith(b"d OK"), tag
    assert not any(b"BYE" in ln for ln in lines), lines
    # unselected: selected-state commands are refused, the connection still works
    lines, tag = r.cmd("f", "FETCH 1 FLAGS")
    assert tag.startswith(b"f BAD"), (lines, tag)
    lines, tag = r.cmd("n", "NOOP")
    assert tag.startswith(b"n OK") and not any(b"BYE" in ln for ln in lines), lines
    lines, tag = r.cmd("s2", "SELECT INBOX")
    assert tag.startswith(b"s2 OK"), tag
    _, tag = r.cmd("s3", "SELECT Mine")
    assert tag.startswith(b"s3 NO"), tag
    r.close()
