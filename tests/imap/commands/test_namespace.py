"""NAMESPACE (RFC 2342) through imaplib.namespace."""

from __future__ import annotations

import pytest

from tests.imap.commands.util import Error, expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle, Raw


def test_namespace(imap: ImapHandle) -> None:
    c = imap.login()
    typ, data = c.namespace()
    assert typ == "OK" and data == [b'(("" "/")) (("Other Users/" "/")) NIL']
    # the personal namespace's delimiter is the one LIST reports
    typ, data = c.list('""', '""')
    assert data == [b'(\\Noselect) "/" ""']
    c.select("INBOX")
    assert c.namespace()[1] == [b'(("" "/")) (("Other Users/" "/")) NIL']
    expect_bad(raw, c, "NAMESPACE", "x")
    c.logout()


def test_namespace_requires_authentication(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    with pytest.raises(Error, match="BAD"):
        c.namespace()
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def test_special_use_namespace_quota_enable_id(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("c1", "CREATE MySent (USE (\\Sent))")
    assert t.startswith(b"c1 OK"), t
    _, t = r.cmd("c2", "CREATE Odd (USE (\\Bogus))")
    assert t.startswith(b"c2 NO [USEATTR]")
    lines, _ = r.cmd("l1", 'LIST (SPECIAL-USE) "" "*"')
    assert any(ln.endswith(b'"MySent"') and b"\\Sent" in ln for ln in lines)
    assert all(b"\\HasChildren" in ln or b"\\HasNoChildren" in ln for ln in lines)
    assert not any(ln.endswith(b'"INBOX"') for ln in lines)
    lines, _ = r.cmd("n1", "NAMESPACE")
    assert lines == [b'* NAMESPACE (("" "/")) (("Other Users/" "/")) NIL']
    lines, t = r.cmd("q1", "GETQUOTAROOT INBOX")
    assert t.startswith(b"q1 OK") and lines[0].startswith(b'* QUOTAROOT "INBOX"')
    _, t = r.cmd("q2", 'SETQUOTA "" (STORAGE 10)')
    assert t.startswith(b"q2 NO")
    lines, t = r.cmd("e1", "ENABLE CONDSTORE X-UNKNOWN")
    assert lines == [b"* ENABLED CONDSTORE"]
    lines, t = r.cmd("i1", 'ID ("name" "test")')
    assert lines[0].startswith(b'* ID ("name" "kubemail"')
    r.close()
