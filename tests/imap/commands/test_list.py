"""LIST (RFC 3501 6.3.8, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154) through
imaplib.list: wildcards, reference, hierarchy delimiter query, attributes, extended forms,
a second client sees new mailboxes, errors."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, force_state, pop, raw
from tests.imap.conftest import ImapHandle, Raw, msg


def _names(data: list[bytes | None]) -> list[bytes]:
    return [d.rsplit(b' "/" ', 1)[1] for d in data if d]


def test_list_patterns(imap: ImapHandle) -> None:
    c = imap.login()
    for name in ("Work", "Work/Projects", "Work/Projects/X", "Play"):
        c.create(name)
    other = imap.login()
    typ, data = other.list('""', "*")
    assert typ == "OK"
    names = _names(data)
    for n in (b'"INBOX"', b'"Work"', b'"Work/Projects"', b'"Work/Projects/X"', b'"Play"'):
        assert n in names, (n, names)
    typ, data = other.list('""', "%")
    names = _names(data)
    assert b'"Work"' in names and b'"Work/Projects"' not in names
    assert _names(other.list('"Work/"', "%")[1]) == [b'"Work/Projects"']
    assert _names(other.list('""', "Work/*")[1]) == [b'"Work/Projects"', b'"Work/Projects/X"']
    assert _names(other.list('""', "inbox")[1]) == [b'"INBOX"']  # INBOX matches case-insensitively
    assert other.list('""', "NoSuch*")[1] == [None]
    # empty pattern: the hierarchy delimiter and root
    assert other.list('""', '""')[1] == [b'(\\Noselect) "/" ""']
    work = next(d for d in other.list('""', "Work")[1] if d)
    assert b"\\HasChildren" in work
    x = next(d for d in other.list('""', "Work/Projects/X")[1] if d)
    assert b"\\HasNoChildren" in x
    other.logout()
    c.logout()


def test_list_percent_shows_implied_parent(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("Top/Sub")
    c.delete("Top")
    _typ, data = c.list('""', "%")
    top = [d for d in data if d and d.endswith(b' "/" "Top"')]
    # RFC 3501 6.3.8: "%" returns the parent of a matching child, as \Noselect if it does not exist
    assert top and (b"\\Noselect" in top[0] or b"\\NonExistent" in top[0]), data
    c.logout()


def test_list_extended_and_status(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", "(\\Seen)", None, msg(1))
    c.append("INBOX", None, None, msg(2))
    c.create("Lists/a")
    c.subscribe("Lists/a")
    assert raw(c, "LIST", '""', "Lists/*", "RETURN", "(SUBSCRIBED CHILDREN)")[0] == "OK"
    lines = pop(c, "LIST")
    a = next(x for x in lines if x.endswith(b'"Lists/a"'))
    assert b"\\Subscribed" in a and b"\\HasNoChildren" in a
    typ, _data = raw(c, "LIST", '""', "INBOX", "RETURN", "(STATUS (MESSAGES UNSEEN))")
    assert typ == "OK"
    assert pop(c, "STATUS") == [b'"INBOX" (MESSAGES 2 UNSEEN 1)']
    pop(c, "LIST")
    typ, _data = raw(c, "LIST", "(SPECIAL-USE)", '""', "*")
    lines = pop(c, "LIST")
    assert lines and all(b"\\" in x.split(b")")[0] for x in lines)
    assert not any(x.endswith(b'"INBOX"') for x in lines)
    c.logout()


def test_list_errors(imap: ImapHandle) -> None:
    c = imap.login()
    expect_bad(raw, c, "LIST", '""')  # pattern missing
    expect_bad(raw, c, "LIST", "(BOGUS)", '""', "*")
    expect_bad(raw, c, "LIST", "(RECURSIVEMATCH)", '""', "*")
    expect_bad(raw, c, "LIST", '""', "*", "RETURN", "(BOGUS)")
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.list)
    force_state(d, "NONAUTH")
    d.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def _wire_names(lines: list[bytes]) -> list[bytes]:
    return [ln.rsplit(b' "/" ', 1)[1] for ln in lines if ln.startswith((b"* LIST", b"* LSUB"))]


def test_create_list_rename_delete(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    for tag, name in (("c1", "Work"), ("c2", "Work/Projects"), ("c3", "Deep/a/b")):
        _, t = r.cmd(tag, f"CREATE {name}")
        assert t.startswith(tag.encode() + b" OK"), t
    _, t = r.cmd("c4", "CREATE Work")
    assert t.startswith(b"c4 NO [ALREADYEXISTS]")
    _, t = r.cmd("c5", "CREATE INBOX")
    assert t.startswith(b"c5 NO")
    _, t = r.cmd("c6", 'CREATE "bad*name"')
    assert t.startswith(b"c6 NO")
    lines, t = r.cmd("l1", 'LIST "" "*"')
    assert t.startswith(b"l1 OK")
    names = _wire_names(lines)
    assert b'"INBOX"' in names and b'"Work/Projects"' in names and b'"Deep/a"' in names  # parents created
    work = next(ln for ln in lines if ln.endswith(b'"Work"'))
    assert b"\\HasChildren" in work
    lines, _ = r.cmd("l2", 'LIST "" "%"')
    assert b'"Work/Projects"' not in _wire_names(lines) and b'"Work"' in _wire_names(lines)
    lines, _ = r.cmd("l3", 'LIST "Work/" "%"')
    assert _wire_names(lines) == [b'"Work/Projects"']
    lines, _ = r.cmd("l4", 'LIST "" ""')
    assert lines == [b'* LIST (\\Noselect) "/" ""']
    lines, _ = r.cmd("l5", 'LIST "" "inbox"')
    assert _wire_names(lines) == [b'"INBOX"']
    _, t = r.cmd("r1", "RENAME Work Job")
    assert t.startswith(b"r1 OK"), t
    lines, _ = r.cmd("l6", 'LIST "" "Job*"')
    assert set(_wire_names(lines)) == {b'"Job"', b'"Job/Projects"'}
    _, t = r.cmd("r2", "RENAME Nope Other")
    assert t.startswith(b"r2 NO")
    _, t = r.cmd("d1", "DELETE Job/Projects")
    assert t.startswith(b"d1 OK")
    _, t = r.cmd("d2", "DELETE Job/Projects")
    assert t.startswith(b"d2 NO")
    _, t = r.cmd("d3", "DELETE INBOX")
    assert t.startswith(b"d3 NO")
    r.close()
