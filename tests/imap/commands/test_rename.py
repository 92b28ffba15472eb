"""RENAME (RFC 3501 6.3.5) through imaplib.rename: messages and UIDVALIDITY move with the name,
children are renamed, INBOX rename moves its messages, errors: NONEXISTENT, ALREADYEXISTS,
rename below itself, to INBOX, wrong state, bad args."""

from __future__ import annotations

from tests.imap.commands.util import code_of, expect_bad, fill, force_state, mailbox_id, object_ids, raw
from tests.imap.conftest import ImapHandle, Raw


def _names(c: object) -> set[str]:
    _typ, data = c.list('""', "*")  # type: ignore[attr-defined]
    return {d.rsplit(b' "/" ', 1)[1].decode().strip('"') for d in data if d}


def test_rename_moves_messages_and_children(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("Work/Projects")
    fill(imap, 2, "Work")
    typ, before = c.status("Work", "(MESSAGES UIDVALIDITY UIDNEXT)")
    typ, data = c.rename("Work", "Job")
    assert typ == "OK", data
    names = _names(c)
    assert {"Job", "Job/Projects"} <= names and not {"Work", "Work/Projects"} & names, names
    typ, after = c.status("Job", "(MESSAGES UIDVALIDITY UIDNEXT)")
    assert after[0].split(b" ", 1)[1] == before[0].split(b" ", 1)[1]  # same counts, same UIDVALIDITY
    other = imap.login()
    assert other.select("Job") == ("OK", [b"2"])
    typ, data = other.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"hello 1" in data[0][1]
    assert c.rename("Job", "Archive/2024/Job")[0] == "OK"  # new parents are created
    assert {"Archive", "Archive/2024", "Archive/2024/Job"} <= _names(c)
    other.logout()
    c.logout()


def test_rename_inbox_moves_its_messages(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = imap.login()
    assert c.rename("INBOX", "OldInbox")[0] == "OK"
    assert c.status("OldInbox", "(MESSAGES)")[1] == [b'"OldInbox" (MESSAGES 2)']
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 0)']  # INBOX stays, empty
    c.logout()


def test_rename_errors(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("A")
    c.create("B")
    typ, data = c.rename("Nope", "Other")
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    typ, data = c.rename("A", "B")
    assert typ == "NO" and code_of(data) == "ALREADYEXISTS", data
    typ, data = c.rename("A", "INBOX")
    assert typ == "NO", data
    typ, data = c.rename("A", "A/sub")
    assert typ == "NO", data
    typ, data = c.rename("A", '"x*y"')
    assert typ == "NO", data
    expect_bad(raw, c, "RENAME", "A")
    assert {"A", "B"} <= _names(c) and "Other" not in _names(c)
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.rename, "A", "C")
    force_state(d, "NONAUTH")
    d.logout()


def test_rename_keeps_mailboxid_and_object_ids(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    r.cmd("C", "CREATE Before")
    r.cmd("C2", "CREATE Before/Child")
    fill(imap, 2, "Before")
    mid, child = mailbox_id(r, "Before"), mailbox_id(r, "Before/Child")
    r.cmd("S", "SELECT Before")
    ids = object_ids(r)
    r.cmd("U", "UNSELECT")
    _, t = r.cmd("R", "RENAME Before After")
    assert t.startswith(b"R OK"), t
    assert mailbox_id(r, "After") == mid and mailbox_id(r, "After/Child") == child
    r.cmd("S2", "SELECT After")
    assert object_ids(r) == ids  # same UIDs, same ids
    # INBOX rename: INBOX keeps its id, the new mailbox gets a new one; the messages keep theirs
    fill(imap, 1)
    inbox = mailbox_id(r, "INBOX")
    r.cmd("S3", "SELECT INBOX")
    moved = set(object_ids(r).values())
    r.cmd("U2", "UNSELECT")
    r.cmd("R2", "RENAME INBOX Old")
    assert mailbox_id(r, "INBOX") == inbox and mailbox_id(r, "Old") not in (inbox, mid, child)
    r.cmd("S4", "SELECT Old")
    assert set(object_ids(r).values()) == moved
    r.close()
