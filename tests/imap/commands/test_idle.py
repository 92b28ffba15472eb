"""IDLE (RFC 2177) driven over imaplib's connection: continuation, untagged EXISTS / FETCH /
EXPUNGE pushed while idling for changes made by a second client, DONE ends it with OK;
not authenticated -> BAD, anything but DONE -> BAD."""

from __future__ import annotations

import pytest

from tests.imap.commands.util import Error, Idler, fill, force_state, raw, selected
from tests.imap.conftest import ImapHandle, msg


def test_idle_sees_other_clients_changes(imap: ImapHandle) -> None:
    fill(imap, 2)
    watcher = selected(imap)
    writer = selected(imap)
    idle = Idler(watcher)
    writer.append("INBOX", None, None, msg(3))
    idle.wait_for(rb"^\* 3 EXISTS$")
    writer.store("1", "+FLAGS.SILENT", "(\\Flagged)")
    idle.wait_for(rb"^\* 1 FETCH \(.*\\Flagged")
    writer.store("2", "+FLAGS.SILENT", "(\\Deleted)")
    writer.expunge()
    idle.wait_for(rb"^\* 2 EXPUNGE$")
    typ, data = idle.done()
    assert typ == "OK", data
    # the session is back in normal command mode and consistent with what IDLE reported
    typ, data = watcher.uid("SEARCH", "ALL")
    assert data == [b"1 3"]
    watcher.logout()
    writer.logout()


def test_idle_in_authenticated_state_and_done(imap: ImapHandle) -> None:
    c = imap.login()
    idle = Idler(c)
    typ, _data = idle.done()
    assert typ == "OK"
    assert c.noop()[0] == "OK"
    c.logout()


def test_idle_errors(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        raw(c, "IDLE")  # not authenticated
    force_state(c, "NONAUTH")
    c.login("alice@example.test", "secret")
    idle = Idler(c)
    assert c.sock is not None
    c.send(b"NOT-DONE\r\n")
    with pytest.raises(Error, match="BAD"):
        c._command_complete("IDLE", idle.tag)  # type: ignore[attr-defined]
    assert c.noop()[0] == "OK"  # the session survives
    c.logout()


def test_idle_sees_move_into_selected_mailbox(imap: ImapHandle) -> None:
    fill(imap, 2)
    watcher = selected(imap, "Archive")
    mover = selected(imap)
    idle = Idler(watcher)
    typ, _ = raw(mover, "MOVE", "1:2", "Archive")
    assert typ == "OK"
    idle.wait_for(rb"^\* 2 EXISTS$")
    assert idle.done()[0] == "OK"
    typ, data = watcher.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert [d[1] for d in data if isinstance(d, tuple)] == [b"Subject: hello 1\r\n\r\n", b"Subject: hello 2\r\n\r\n"]
    watcher.logout()
    mover.logout()
