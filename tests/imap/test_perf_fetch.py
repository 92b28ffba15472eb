"""The fast FETCH path (flags-only batches, no await per message) and the SELECT read path
give the same answers as the general path, also when the metadata service caps a batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import _start_metadata, _stop_metadata
from tests.fixtures.servers import LoopThread
from tests.imap.conftest import ImapHandle, Raw, _seed, start_imap, stop_imap


@pytest.fixture
def capped(backend_env: dict[str, str]) -> Iterator[ImapHandle]:
    """IMAP on a metadata service that returns at most 3 messages per FetchMessages."""
    md = _start_metadata({**backend_env, "KUBEMAIL_METADATA_FETCH_LIMIT": "3"})
    lt0 = LoopThread()
    user_id = lt0.run(_seed(md.addr))
    lt0.close()
    srv, lt = start_imap(md.env)
    yield ImapHandle(srv.port_of("imap"), 0, srv, lt, md.env, user_id)
    stop_imap(srv, lt)
    _stop_metadata(md)


def _append(r: Raw, n: int) -> None:
    for i in range(n):
        body = b"Subject: m%d\r\n\r\nbody\r\n" % i
        flags = [b"\\Seen", b"$Label", b""][i % 3]
        r.send(b"p APPEND INBOX (%s) {%d}\r\n" % (flags, len(body)))
        assert r.line().startswith(b"+")
        r.send(body + b"\r\n")
        assert r.until("p")[1].startswith(b"p OK")


def _by_seq(lines: list[bytes]) -> dict[int, bytes]:
    out = {}
    for ln in lines:
        m = re.match(rb"\* (\d+) FETCH \((.*)\)$", ln)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def _flags(item: bytes) -> list[bytes]:
    m = re.search(rb"FLAGS \(([^)]*)\)", item)
    assert m, item
    return sorted(m.group(1).split())


def test_fetch_flags_across_capped_batches(capped: ImapHandle) -> None:
    r = Raw(capped.port)
    r.cmd("a", "LOGIN alice@example.test secret")
    _append(r, 11)
    r.cmd("s0", "SELECT INBOX")
    r.cmd("x", "STORE 4:5 +FLAGS (\\Deleted)")
    r.cmd("e", "EXPUNGE")
    lines, tag = r.cmd("s", "SELECT INBOX")
    assert tag.startswith(b"s OK") and b"* 9 EXISTS" in lines
    assert b"* OK [UNSEEN 2] First unseen" in lines  # seq 1 (uid 1) is \Seen, uid 2 is not
    lines, tag = r.cmd("f", "FETCH 1:* (FLAGS)")
    assert tag.startswith(b"f OK")
    fast = _by_seq(lines)
    assert sorted(fast) == list(range(1, 10))
    # the general path (ENVELOPE needs summaries) agrees on every message
    lines, _ = r.cmd("g", "FETCH 1:* (FLAGS ENVELOPE)")
    slow = _by_seq(lines)
    assert {k: _flags(v) for k, v in fast.items()} == {k: _flags(v) for k, v in slow.items()}
    assert _flags(fast[1]) == [b"\\Seen"] and _flags(fast[2]) == [b"$Label"]  # \\Recent went to s0
    # UID FETCH over several ranges, with MODSEQ (CONDSTORE) and FAST attributes
    lines, tag = r.cmd("u", "UID FETCH 1:2,7,9:* (FLAGS MODSEQ)")
    got = _by_seq(lines)
    uids = sorted(int(re.search(rb"UID (\d+)", v).group(1)) for v in got.values())  # type: ignore[union-attr]
    assert uids == [1, 2, 7, 9, 10, 11] and all(b"MODSEQ (" in v for v in got.values())
    lines, _ = r.cmd("fa", "FETCH 2,8 FAST")
    got = _by_seq(lines)
    assert sorted(got) == [2, 8] and all(b"RFC822.SIZE " in v and b"INTERNALDATE " in v for v in got.values())
    r.close()


def test_fetch_flags_skips_messages_expunged_elsewhere(capped: ImapHandle, **_: Any) -> None:
    r = Raw(capped.port)
    r.cmd("a", "LOGIN alice@example.test secret")
    _append(r, 5)
    r.cmd("s", "SELECT INBOX")
    other = Raw(capped.port)
    other.cmd("a", "LOGIN alice@example.test secret")
    other.cmd("s", "SELECT INBOX")
    other.cmd("x", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    other.cmd("e", "EXPUNGE")
    # FETCH may not announce the expunge: uid 2 stays a ghost, the others are answered and the
    # tagged reply says some are gone (RFC 2180 4.1.2, RFC 5530 EXPUNGEISSUED)
    lines, tag = r.cmd("f", "FETCH 1:* (FLAGS)")
    assert tag.startswith(b"f NO [EXPUNGEISSUED]"), tag
    assert sorted(_by_seq(lines)) == [1, 3, 4, 5]
    r.close()
    other.close()


def test_flag_columns_recent_condstore_and_order(capped: ImapHandle) -> None:
    """#14: the column writer (FetchMessages columns) keeps \\Recent per message, adds MODSEQ
    once CONDSTORE is on, and answers items in the order asked, across capped batches."""
    r = Raw(capped.port)
    r.cmd("a", "LOGIN alice@example.test secret")
    _append(r, 4)
    lines, _ = r.cmd("s", "SELECT INBOX")  # claims \Recent of all four
    lines, tag = r.cmd("f", "FETCH 1:* (FLAGS)")
    got = _by_seq(lines)
    assert tag.startswith(b"f OK") and sorted(got) == [1, 2, 3, 4]
    assert all(b"\\Recent" in v for v in got.values())
    assert _flags(got[1]) == [b"\\Recent", b"\\Seen"] and _flags(got[3]) == [b"\\Recent"]
    other = Raw(capped.port)
    other.cmd("a", "LOGIN alice@example.test secret")
    _append(other, 2)  # appended by a session without INBOX selected: we are the first told
    lines, _ = r.cmd("n", "NOOP")
    lines, tag = r.cmd("f2", "FETCH 5:* (FLAGS UID)")
    got = _by_seq(lines)
    assert sorted(got) == [5, 6] and all(b"\\Recent" in v for v in got.values())
    assert all(re.fullmatch(rb"FLAGS \([^)]*\) UID \d+", v) for v in got.values()), got
    r.cmd("c", "ENABLE CONDSTORE")
    lines, tag = r.cmd("f3", "UID FETCH 1:* (FLAGS)")
    got = _by_seq(lines)
    assert sorted(got) == list(range(1, 7))
    assert all(re.fullmatch(rb"UID \d+ FLAGS \([^)]*\) MODSEQ \(\d+\)", v) for v in got.values()), got
    r.close()
    other.close()
