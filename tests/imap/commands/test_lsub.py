"""LSUB (RFC 3501 6.3.9) through imaplib.lsub: only subscribed names, wildcards, \\Noselect for
subscribed names that do not exist, errors."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, force_state, raw
from tests.imap.conftest import ImapHandle, Raw


def test_lsub(imap: ImapHandle) -> None:
    c = imap.login()
    for n in ("Lists/a", "Lists/b", "Lists/c/d"):
        c.create(n)
    c.subscribe("Lists/a")
    c.subscribe("Lists/c/d")
    c.subscribe("Lists/gone")
    typ, data = c.lsub('""', "Lists/*")
    assert typ == "OK"
    names = sorted(d.rsplit(b' "/" ', 1)[1] for d in data if d)
    assert names == [b'"Lists/a"', b'"Lists/c/d"', b'"Lists/gone"'], data
    gone = next(d for d in data if d and d.endswith(b'"Lists/gone"'))
    assert b"\\Noselect" in gone
    typ, data = c.lsub('""', "Lists/%")
    names = sorted(d.rsplit(b' "/" ', 1)[1] for d in data if d)
    assert b'"Lists/a"' in names and b'"Lists/c/d"' not in names and b'"Lists/b"' not in names
    typ, data = c.lsub('"Lists/"', "a")
    assert [d for d in data if d] == [b'() "/" "Lists/a"'], data
    c.unsubscribe("Lists/a")
    names = [d.rsplit(b' "/" ', 1)[1] for d in c.lsub('""', "Lists/*")[1] if d]
    assert b'"Lists/a"' not in names
    c.logout()


def test_lsub_errors(imap: ImapHandle) -> None:
    c = imap.login()
    expect_bad(raw, c, "LSUB", '""')
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.lsub)
    force_state(d, "NONAUTH")
    d.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def _wire_names(lines: list[bytes]) -> list[bytes]:
    return [ln.rsplit(b' "/" ', 1)[1] for ln in lines if ln.startswith((b"* LIST", b"* LSUB"))]


def test_subscribe_lsub_and_list_extended(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    r.cmd("c1", "CREATE Lists/a")
    r.cmd("c2", "CREATE Lists/b")
    _, t = r.cmd("s1", "SUBSCRIBE Lists/a")
    assert t.startswith(b"s1 OK")
    r.cmd("s2", "SUBSCRIBE Ghost")
    lines, _ = r.cmd("l1", 'LSUB "" "*"')
    names = _wire_names(lines)
    assert b'"Lists/a"' in names and b'"Ghost"' in names and b'"Lists/b"' not in names
    lines, _ = r.cmd("l2", 'LIST (SUBSCRIBED) "" "*"')
    ghost = next(ln for ln in lines if ln.endswith(b'"Ghost"'))
    assert b"\\NonExistent" in ghost and b"\\Subscribed" in ghost
    lines, _ = r.cmd("l3", 'LIST "" "Lists/*" RETURN (SUBSCRIBED CHILDREN)')
    a = next(ln for ln in lines if ln.endswith(b'"Lists/a"'))
    b = next(ln for ln in lines if ln.endswith(b'"Lists/b"'))
    assert b"\\Subscribed" in a and b"\\Subscribed" not in b and b"\\HasNoChildren" in b
    _, t = r.cmd("u1", "UNSUBSCRIBE Lists/a")
    lines, _ = r.cmd("l4", 'LSUB "" "Lists/*"')
    assert _wire_names(lines) == []
    _, t = r.cmd("l5", 'LIST (BOGUS) "" "*"')
    assert t.startswith(b"l5 BAD")
    r.close()
