"""Round trips per command (issue #14 item 3): a session's own changes move its view forward
without a re-read (the metadata service answers with the modseq before and after), change events
of other mailboxes do not make it re-read, SELECT is one call; and changes made elsewhere are
still reported. The re-read timer is an hour here, so only the change feed can trigger a sync."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.fixtures.servers import LoopThread
from tests.imap.conftest import PASSWORD, USER, ImapHandle, Raw, _seed, msg, start_imap, stop_imap


@pytest.fixture
def slowpoll(metadata: Any) -> Iterator[ImapHandle]:
    seed = LoopThread()
    user_id = seed.run(_seed(metadata.addr))
    seed.close()
    env = {**metadata.env, "KUBEMAIL_IMAP_POLL_INTERVAL": "3600"}
    srv, lt = start_imap(env)
    yield ImapHandle(srv.port_of("imap"), 0, srv, lt, env, user_id)
    stop_imap(srv, lt)


def rpcs(method: str) -> float:
    return REGISTRY.get_sample_value("kubemail_metadata_rpc_total", {"method": method, "code": "OK"}) or 0.0


def append(c: Raw, tag: str, mailbox: str, i: int, flags: str = "") -> tuple[list[bytes], bytes]:
    m = msg(i)
    c.send(f"{tag} APPEND {mailbox} {flags}{{{len(m)}}}\r\n".encode())
    assert c.line().startswith(b"+")
    c.send(m + b"\r\n")
    return c.until(tag)


def selected(h: ImapHandle, n: int) -> Raw:
    c = Raw(h.port)
    c.login(USER, PASSWORD)
    for i in range(n):
        assert append(c, f"a{i}", "INBOX", i)[1].startswith(b"a")
    _, t = c.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK"), t
    time.sleep(0.3)  # the change feed's HELLO (re-read once: anything before it may be missed) ...
    c.cmd("n", "NOOP")  # ... is behind us
    return c


def test_select_is_one_call_with_recent_claimed(slowpoll: ImapHandle) -> None:
    c = Raw(slowpoll.port)
    c.login(USER, PASSWORD)
    for i in range(3):
        append(c, f"a{i}", "INBOX", i)
    calls = {m: rpcs(m) for m in ("SelectMailbox", "GetMailbox", "ListUids", "ClaimRecent")}
    lines, t = c.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK [READ-WRITE]"), t
    assert b"* 3 EXISTS" in lines and b"* 3 RECENT" in lines, lines
    assert rpcs("SelectMailbox") == calls["SelectMailbox"] + 1
    assert all(rpcs(m) == calls[m] for m in ("GetMailbox", "ListUids", "ClaimRecent"))
    # claimed by the first session: a second one sees them without \Recent; EXAMINE claims nothing
    d = Raw(slowpoll.port)
    d.login(USER, PASSWORD)
    lines, _ = d.cmd("s", "SELECT INBOX")
    assert b"* 0 RECENT" in lines, lines
    append(d, "a9", "Archive", 9)
    lines, t = d.cmd("e", "EXAMINE Archive")
    assert t.startswith(b"e OK [READ-ONLY]") and b"* 1 RECENT" in lines, lines
    lines, _ = c.cmd("s2", "SELECT Archive")
    assert b"* 1 RECENT" in lines, lines  # EXAMINE left it unclaimed


def test_own_changes_need_no_reread(slowpoll: ImapHandle) -> None:
    c = selected(slowpoll, 3)
    before = rpcs("GetChanges"), rpcs("ClaimRecent")
    lines, t = c.cmd("st", "STORE 1 +FLAGS (\\Flagged)")
    assert t.startswith(b"st OK") and lines == [b"* 1 FETCH (FLAGS (\\Flagged \\Recent))"], lines
    c.cmd("d", "STORE 3 +FLAGS.SILENT (\\Deleted)")
    lines, t = c.cmd("x", "EXPUNGE")
    assert lines == [b"* 3 EXPUNGE", b"* 2 RECENT"], lines
    lines, t = append(c, "ap", "INBOX", 7, "($Work) ")
    assert b"* 3 EXISTS" in lines and b"* 3 RECENT" in lines, lines
    assert any(b"FLAGS (" in x and b"$Work" in x for x in lines), lines  # the new keyword announced
    time.sleep(0.3)  # the change events of all three arrive
    lines, _ = c.cmd("f", "FETCH 1:* (FLAGS)")
    assert lines == [
        b"* 1 FETCH (FLAGS (\\Flagged \\Recent))",
        b"* 2 FETCH (FLAGS (\\Recent))",
        b"* 3 FETCH (FLAGS ($Work \\Recent))",
    ], lines
    assert (rpcs("GetChanges"), rpcs("ClaimRecent")) == before  # the view moved with the answers


def test_changes_elsewhere_still_reported_and_other_mailboxes_ignored(slowpoll: ImapHandle) -> None:
    c = selected(slowpoll, 2)
    other = Raw(slowpoll.port)
    other.login(USER, PASSWORD)
    before = rpcs("GetChanges")
    append(other, "o1", "Archive", 5)  # another mailbox: no re-read of INBOX
    time.sleep(0.3)
    lines, _ = c.cmd("f0", "FETCH 1 (FLAGS)")
    assert lines == [b"* 1 FETCH (FLAGS (\\Recent))"], lines
    assert rpcs("GetChanges") == before
    other.cmd("s", "SELECT INBOX")
    other.cmd("st", "STORE 2 +FLAGS (\\Seen)")
    append(other, "o2", "INBOX", 6)
    deadline = time.monotonic() + 5
    seen: list[bytes] = []
    while time.monotonic() < deadline:
        lines, _ = c.cmd("f", "FETCH 1 (FLAGS)")
        seen += lines
        if b"* 3 EXISTS" in seen:
            break
        time.sleep(0.05)
    assert b"* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))" in seen and b"* 3 EXISTS" in seen, seen
    assert b"* 2 RECENT" in seen, seen  # the other session appended it there: \\Recent for that one
    assert rpcs("GetChanges") > before


def test_list_is_one_call(slowpoll: ImapHandle) -> None:
    c = Raw(slowpoll.port)
    c.login(USER, PASSWORD)
    before = rpcs("ListMailboxes"), rpcs("ListShared")
    lines, t = c.cmd("l", 'LIST "" "*"')
    assert t.startswith(b"l OK") and any(x.endswith(b' "INBOX"') for x in lines), lines
    assert (rpcs("ListMailboxes"), rpcs("ListShared")) == (before[0] + 1, before[1])


def redis_ops(op: str) -> float:
    return REGISTRY.get_sample_value("kubemail_metadata_redis_op_duration_seconds_count", {"op": op}) or 0.0


def test_list_is_one_call_of_two_redis_round_trips(slowpoll: ImapHandle) -> None:
    c = Raw(slowpoll.port)
    c.login(USER, PASSWORD)
    before = rpcs("ListMailboxes"), rpcs("ListShared"), redis_ops("mbx_list"), redis_ops("acl_hint")
    lines, t = c.cmd("l", 'LIST "" "*"')
    assert t.startswith(b"l OK") and any(b'"INBOX"' in x or b" INBOX" in x for x in lines), lines
    # shared mailboxes included: the share hints ride in the mailbox reads
    assert (rpcs("ListMailboxes"), rpcs("ListShared")) == (before[0] + 1, before[1])
    assert (redis_ops("mbx_list"), redis_ops("acl_hint")) == (before[2] + 2, before[3])
