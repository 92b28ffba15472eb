"""SUBSCRIBE (RFC 3501 6.3.6) through imaplib.subscribe; the effect read back with LSUB and
LIST (SUBSCRIBED) from a second client."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle


def test_subscribe_and_read_back(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("News")
    c.create("Other")
    typ, data = c.lsub('""', "*")
    base = {d.rsplit(b' "/" ', 1)[1] for d in data if d}  # default folders are pre-subscribed
    assert b'"News"' not in base
    typ, data = c.subscribe("News")
    assert typ == "OK", data
    assert c.subscribe("Ghost")[0] == "OK"  # a nonexistent name may be subscribed (RFC 3501 6.3.6)
    assert c.subscribe("News")[0] == "OK"  # idempotent
    b = imap.login()
    typ, data = b.lsub('""', "*")
    names = [d.rsplit(b' "/" ', 1)[1] for d in data if d]
    assert set(names) - base == {b'"Ghost"', b'"News"'} and b'"Other"' not in names, data
    assert any(d.endswith(b'"Ghost"') and b"\\Noselect" in d for d in data)
    typ, data = raw(b, "LIST", "(SUBSCRIBED)", '""', "*")
    lists = b.untagged_responses.pop("LIST", [])
    ghost = [x for x in lists if x.endswith(b'"Ghost"')]
    assert ghost and b"\\NonExistent" in ghost[0] and b"\\Subscribed" in ghost[0], lists
    assert not any(x.endswith(b'"Other"') for x in lists)
    b.logout()
    c.logout()


def test_subscribe_errors(imap: ImapHandle) -> None:
    c = imap.login()
    expect_bad(raw, c, "SUBSCRIBE")
    expect_bad(raw, c, "SUBSCRIBE", "a", "b")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.subscribe, "INBOX")
    force_state(d, "NONAUTH")
    d.logout()
