"""GETQUOTAROOT (RFC 9208) through imaplib.getquotaroot: nonexistent mailbox, no roots without
a quota, wrong state. Roots with a quota and their usage: test_getquota.py, which reads both."""

from __future__ import annotations

from tests.imap.commands.util import code_of, expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle, Raw


def test_getquotaroot_errors(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.getquotaroot("Nope")
    assert typ == "NO" and code_of(data[0]) == "NONEXISTENT", data  # imaplib: [tagged text] twice
    expect_bad(raw, c, "GETQUOTAROOT")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.getquotaroot, "INBOX")
    force_state(d, "NONAUTH")
    d.logout()


def test_getquotaroot_without_quota_has_no_roots(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("q", "GETQUOTAROOT INBOX")
    assert t.startswith(b"q OK") and lines == [b'* QUOTAROOT "INBOX"'], lines  # no quota: no roots
    r.close()
