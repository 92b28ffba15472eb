"""GETQUOTA (RFC 9208) through imaplib.getquota: the user's storage quota and usage, usage
following APPEND, enforcement (OVERQUOTA), nonexistent root, wrong state. GETQUOTAROOT and
SETQUOTA have their own modules."""

from __future__ import annotations

from tests.imap.commands.util import code_of, expect_bad, force_state, raw
from tests.imap.conftest import USER, ImapHandle, Raw


async def _set_quota(addr: str, quota: int) -> None:
    from services.common.grpcclient import MetadataClient
    from services.gen.kubemail.v1 import directory_pb2 as directory_pb

    async with MetadataClient(addr) as c:
        await c.directory.UpsertUser(
            directory_pb.UpsertUserRequest(user=directory_pb.User(address=USER, quota_bytes=quota, enabled=True))
        )


def test_getquotaroot_and_getquota(imap: ImapHandle) -> None:
    imap.run(_set_quota(imap.env["KUBEMAIL_METADATA_ADDR"], 10 * 1024))
    c = imap.login()
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK", data
    assert data == [[b'"INBOX" ""'], [b'"" (STORAGE 0 10)']], data
    assert c.append("INBOX", None, None, b"Subject: q\r\n\r\n" + b"x" * 4082)[0] == "OK"  # 4096 bytes = 4 KiB
    typ, data = c.getquota('""')
    assert typ == "OK" and data == [b'"" (STORAGE 4 10)'], data
    # a second client sees the same usage through another mailbox's root
    other = imap.login()
    typ, data = other.getquotaroot("Archive")
    assert data == [[b'"Archive" ""'], [b'"" (STORAGE 4 10)']], data
    other.logout()
    typ, data = c.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"y" * 9000)
    assert typ == "NO" and code_of(data) == "OVERQUOTA", data
    assert c.status("INBOX", "(MESSAGES)")[1] == [b'"INBOX" (MESSAGES 1)']
    c.logout()


def test_getquota_errors(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.getquota('""')  # no quota configured for this user
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    typ, data = c.getquota('"other-root"')
    assert typ == "NO" and code_of(data) == "NONEXISTENT", data
    expect_bad(raw, c, "GETQUOTA")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.getquota, '""')
    force_state(d, "NONAUTH")
    d.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def test_quota_reported_and_enforced(imap: ImapHandle) -> None:
    imap.run(_set_quota(imap.env["KUBEMAIL_METADATA_ADDR"], 10 * 1024))
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX {%d+}\r\n" % 4096 + b"Subject: q\r\n\r\n" + b"x" * (4096 - 14))
    assert t.startswith(b"a OK"), t
    lines, t = r.cmd("q", "GETQUOTAROOT INBOX")
    assert lines == [b'* QUOTAROOT "INBOX" ""', b'* QUOTA "" (STORAGE 4 10)'], lines
    lines, t = r.cmd("g", 'GETQUOTA ""')
    assert lines == [b'* QUOTA "" (STORAGE 4 10)']
    big = b"Subject: big\r\n\r\n" + b"y" * 9000
    _, t = r.cmd("b", b"APPEND INBOX {%d+}\r\n" % len(big) + big)
    assert t.startswith(b"b NO [OVERQUOTA]"), t
    r.close()
