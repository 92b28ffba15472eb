"""COPY (RFC 3501 6.4.7, RFC 4315 COPYUID) through imaplib.copy: messages, flags and internal
dates copied, source untouched, [COPYUID], a client selected on the destination sees EXISTS,
TRYCREATE, bad sequence, wrong state."""

from __future__ import annotations

from tests.imap.commands.util import (
    code_of,
    expect_bad,
    fetch_flags,
    fill,
    force_state,
    object_ids,
    pop,
    raw,
    selected,
    uids,
)
from tests.imap.conftest import ImapHandle, Raw


def test_copy_and_destination_client(imap: ImapHandle) -> None:
    fill(imap, 3)
    setup = imap.login()
    setup.create("Dest")
    setup.logout()
    fill(imap, 1, "Dest", start=10)
    watcher = selected(imap, "Dest")
    pop(watcher, "EXISTS")
    c = selected(imap)
    c.store("2", "+FLAGS.SILENT", "(\\Flagged $Tag)")
    typ, data = c.copy("2:3", "Dest")
    assert typ == "OK", data
    assert code_of(data) == "COPYUID"
    _v, src, dst = pop(c, "COPYUID")[-1].split()
    assert src == b"2:3" and dst == b"2:3"
    assert uids(c) == [1, 2, 3]  # source untouched
    watcher.noop()
    assert pop(watcher, "EXISTS") == [b"3"]
    typ, data = watcher.uid("FETCH", "2:3", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    parts = [d for d in data if isinstance(d, tuple)]
    assert [p[1] for p in parts] == [b"Subject: hello 2\r\n\r\n", b"Subject: hello 3\r\n\r\n"]
    flags = fetch_flags(watcher)
    assert {"\\Flagged", "$Tag"} <= flags[2] and "\\Flagged" not in flags[3]
    typ, data = c.fetch("2", "(INTERNALDATE)")
    _typ2, data2 = watcher.fetch("2", "(INTERNALDATE)")
    assert data[0].split(b"INTERNALDATE ")[1] == data2[0].split(b"INTERNALDATE ")[1]
    # COPY into the selected mailbox itself: the session sees its own new message
    pop(watcher, "EXISTS")
    assert watcher.copy("1", "Dest")[0] == "OK"
    assert pop(watcher, "EXISTS") == [b"4"]
    c.logout()
    watcher.logout()


def test_copy_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    typ, data = c.copy("1", "Nowhere")
    assert typ == "NO" and code_of(data) == "TRYCREATE", data
    expect_bad(c.copy, "5", "INBOX")
    expect_bad(raw, c, "COPY", "1")
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 1)']
    c.unselect()
    force_state(c, "SELECTED")
    expect_bad(c.copy, "1", "INBOX")
    force_state(c, "AUTH")
    c.logout()


def test_copy_keeps_emailid_and_threadid(imap: ImapHandle) -> None:
    fill(imap, 2)
    r = Raw(imap.port)
    r.login()
    r.cmd("C", "CREATE Dest")
    r.cmd("C2", "CREATE Dest2")
    r.cmd("P", "APPEND Dest2 {5+}\r\nx\r\n\r\n")  # Dest2's UIDs run ahead of INBOX's
    r.cmd("S", "SELECT INBOX")
    src = object_ids(r)
    assert len({e for e, _ in src.values()}) == 2
    _, t = r.cmd("K", "COPY 1:2 Dest2")
    assert t.startswith(b"K OK"), t
    r.cmd("K2", "UID COPY 2 INBOX")  # a copy within the mailbox: same ids, new UID
    again = object_ids(r)
    assert again[3] == src[2] and {u: again[u] for u in (1, 2)} == src
    r.cmd("S2", "SELECT Dest2")
    dst = object_ids(r)
    assert sorted(dst) == [1, 2, 3] and [dst[2], dst[3]] == [src[1], src[2]]  # UIDs changed, ids did not
    r.close()
