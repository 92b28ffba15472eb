"""SETQUOTA (RFC 9208) through imaplib.setquota: quotas are set by the operator, never by
the user, so the command is refused."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle


def test_setquota_refused(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.setquota('""', "(STORAGE 10)")
    assert typ == "NO", data
    c.logout()
