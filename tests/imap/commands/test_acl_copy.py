"""COPY and MOVE between one's own mailboxes and a shared one (RFC 4314 4, RFC 6851) with real
imaplib clients: bob copies into alice's Team with i, moves out of it with r t e, and gets
[NOPERM] (nothing copied) without; COPYUID names the destination's UIDVALIDITY."""

from __future__ import annotations

import imaplib

from tests.imap.commands.util import code_of, move
from tests.imap.conftest import USER, ImapHandle, msg

BOB = "bob@example.test"
SHARED = f'"Other Users/{USER}/Team"'


def _setup(imap: ImapHandle, rights: str) -> tuple[object, object]:
    a = imap.login()
    assert a.create("Team")[0] == "OK"
    assert a.append("Team", "(\\Seen)", None, msg(1))[0] == "OK"
    assert a.setacl("Team", BOB, rights)[0] == "OK"
    b = imap.login(BOB, "bobpw")
    assert b.append("INBOX", None, None, msg(2))[0] == "OK"
    return a, b


def test_copy_into_and_out_of_a_shared_mailbox(imap: ImapHandle) -> None:
    a, b = _setup(imap, "lrsi")
    assert b.select("INBOX")[0] == "OK"
    typ, data = b.copy("1", SHARED)
    assert typ == "OK" and b"COPYUID" in data[0], data
    a.select("Team")
    typ, data = a.fetch("2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and b"hello 2" in data[0][1], data
    # out of the shared mailbox into bob's own
    assert b.select(SHARED)[0] == "OK"
    typ, data = b.copy("1", "INBOX")
    assert typ == "OK", data
    b.select("INBOX")
    typ, data = b.fetch("2", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and b"hello 1" in data[0][1] and b"\\Seen" in data[0][0], data
    b.logout()
    a.logout()


def test_move_needs_te_on_the_source_and_i_on_the_destination(imap: ImapHandle) -> None:
    a, b = _setup(imap, "lrsw")
    assert b.select(SHARED)[0] == "OK"
    typ, data = move(b, "1", "INBOX")
    assert typ == "NO" and code_of(data) == "NOPERM", data
    b.select("INBOX")
    typ, data = b.copy("1", SHARED)  # no i on Team
    assert typ == "NO" and code_of(data) == "NOPERM", data
    assert b.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 1)")
    assert a.setacl("Team", BOB, "lrswite")[0] == "OK"
    assert b.select(SHARED)[0] == "OK"
    typ, data = move(b, "1", "INBOX")
    assert typ == "OK", data
    assert a.status("Team", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 0)")
    assert b.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    # and back into the Team from bob's INBOX
    b.select("INBOX")
    typ, data = move(b, "1:*", SHARED)
    assert typ == "OK", data
    assert a.status("Team", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 2)")
    assert b.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 0)")
    b.logout()
    a.logout()


def test_flags_follow_the_destination_rights(imap: ImapHandle) -> None:
    """RFC 4314 4: COPY and APPEND into a shared mailbox set only the flags the rights allow
    (s: \\Seen, t: \\Deleted, w: the others)."""
    a, b = _setup(imap, "lrsi")
    assert b.append(SHARED, "(\\Seen \\Deleted $Team)", None, msg(3))[0] == "OK"
    b.select("INBOX")
    assert b.store("1", "+FLAGS", "(\\Seen \\Flagged)")[0] == "OK"
    assert b.copy("1", SHARED)[0] == "OK"
    a.select("Team")
    typ, data = a.fetch("2:3", "FLAGS")
    assert typ == "OK", data
    flags = [set(imaplib.ParseFlags(d)) - {b"\\Recent"} for d in data]
    assert flags == [{b"\\Seen"}, {b"\\Seen"}], data
    b.logout()
    a.logout()
