"""MULTIAPPEND (RFC 3502) on the wire: several messages in one APPEND, stored in order with
one APPENDUID uid-set (RFC 4315 3), and all or none: a message refused by the front-end
(empty) or by the metadata commit (over quota for the sum) leaves the mailbox untouched."""

from __future__ import annotations

import re

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.imap.conftest import USER, ImapHandle, Raw, msg


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def _count(r: Raw, mailbox: str = "INBOX") -> int:
    lines, t = r.cmd("st", f"STATUS {mailbox} (MESSAGES)")
    assert t.startswith(b"st OK"), t
    m = re.search(rb"MESSAGES (\d+)", lines[0])
    assert m, lines
    return int(m.group(1))


async def _set_quota(addr: str, quota: int) -> None:
    async with MetadataClient(addr) as c:
        await c.directory.UpsertUser(
            directory_pb.UpsertUserRequest(user=directory_pb.User(address=USER, quota_bytes=quota, enabled=True))
        )


def test_multiappend_stores_all_in_order_with_uid_set(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    caps, _ = r.cmd("c", "CAPABILITY")
    assert b" MULTIAPPEND" in caps[0]
    cmd = b"APPEND INBOX (\\Seen) " + _lit(msg(1)) + b" " + _lit(msg(2)) + b' (\\Flagged) "03-Feb-2024 04:05:06 +0000" '
    _, t = r.cmd("a", cmd + _lit(msg(3)))
    m = re.match(rb"a OK \[APPENDUID (\d+) ([0-9:,]+)\]", t)
    assert m and m.group(2) == b"1:3", t  # RFC 3502 6.3.11 / RFC 4315 3: the UIDs of all of them
    r.cmd("s", "SELECT INBOX")
    lines, t = r.cmd("f", "UID FETCH 1:3 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    text = b"\n".join(lines)
    assert text.count(b"FETCH") == 3, lines
    assert re.search(rb"UID 1 FLAGS \(\\Seen[^)]*\)", text), text
    assert re.search(rb"UID 2 FLAGS \(\\Recent\)", text) or re.search(rb"UID 2 FLAGS \(\)", text), text
    assert b'INTERNALDATE "03-Feb-2024 04:05:06 +0000"' in text
    for i in (1, 2, 3):
        assert b"Subject: hello %d" % i in text
    r.close()


def test_multiappend_refused_message_stores_none(imap: ImapHandle) -> None:
    """RFC 3502 6.3.11: if the server cannot append one message, none of them is appended."""
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX " + _lit(msg(1)) + b" " + _lit(b""))
    assert t.startswith(b"a NO"), t
    assert _count(r) == 0
    _, t = r.cmd("b", b"APPEND Missing " + _lit(msg(1)) + b" " + _lit(msg(2)))
    assert t.startswith(b"b NO [TRYCREATE]"), t
    r.close()


def test_multiappend_over_quota_is_atomic_in_the_metadata_commit(imap: ImapHandle) -> None:
    """Each message fits the quota alone, the two together do not: the one commit refuses both."""
    imap.run(_set_quota(imap.env["KUBEMAIL_METADATA_ADDR"], 10 * 1024))
    big = b"Subject: big\r\n\r\n" + b"x" * 6000
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX " + _lit(big) + b" " + _lit(big))
    assert t.startswith(b"a NO [OVERQUOTA]"), t
    assert _count(r) == 0
    _, t = r.cmd("b", b"APPEND INBOX " + _lit(big))
    assert t.startswith(b"b OK [APPENDUID "), t
    assert _count(r) == 1
    r.close()


def test_multiappend_notifies_selected_session(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    lines, t = r.cmd("a", b"APPEND INBOX " + _lit(msg(1)) + b" " + _lit(msg(2)))
    assert t.startswith(b"a OK"), t
    lines += r.cmd("n", "NOOP")[0]
    assert any(line == b"* 2 EXISTS" for line in lines), lines
    r.close()
