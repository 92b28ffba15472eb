"""ESEARCH (RFC 4731) and SEARCHRES (RFC 5182) through imaplib's _simple_command: RETURN
options MIN MAX COUNT ALL SAVE, UID form, the saved "$" result, errors."""

from __future__ import annotations

import re

from tests.imap.commands.util import expect_bad, fill, fill_mail, pop, raw, selected
from tests.imap.conftest import ImapHandle


def _es(c: object) -> bytes:
    got = pop(c, "ESEARCH")  # type: ignore[arg-type]
    assert len(got) == 1, got
    m = re.fullmatch(rb'\(TAG "[A-Z]+\d+"\)(.*)', got[0])
    assert m, got
    return m.group(1).strip()


def test_esearch_return_options(imap: ImapHandle) -> None:
    fill(imap, 5)
    c = selected(imap)
    c.store("1,3,5", "+FLAGS.SILENT", "(\\Seen)")
    typ, _data = raw(c, "SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "UNSEEN")
    assert typ == "OK" and pop(c, "SEARCH") == []  # ESEARCH replaces SEARCH
    assert _es(c) == b"MIN 2 MAX 4 ALL 2,4 COUNT 2"
    raw(c, "UID", "SEARCH", "RETURN", "(COUNT)", "ALL")
    assert _es(c) == b"UID COUNT 5"
    raw(c, "SEARCH", "RETURN", "()", "SEEN")
    assert _es(c) == b"ALL 1,3,5"
    raw(c, "SEARCH", "RETURN", "(MIN MAX)", "LARGER", "99999")
    assert _es(c) == b""
    c.logout()


def test_searchres_save(imap: ImapHandle) -> None:
    fill(imap, 4)
    c = selected(imap)
    c.store("2,4", "+FLAGS.SILENT", "(\\Flagged)")
    typ, data = raw(c, "SEARCH", "RETURN", "(SAVE)", "FLAGGED")
    assert typ == "OK" and pop(c, "ESEARCH") == []  # SAVE alone returns nothing
    typ, data = c.fetch("$", "(UID)")
    assert data == [b"2 (UID 2)", b"4 (UID 4)"]
    typ, data = c.uid("SEARCH", "$", "NOT", "UID", "2")
    assert data == [b"4"]
    typ, data = c.copy("$", "Archive")
    assert typ == "OK"
    assert c.status("Archive", "(MESSAGES)")[1] == [b'"Archive" (MESSAGES 2)']
    c.logout()


def test_esearch_errors(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    expect_bad(raw, c, "SEARCH", "RETURN", "(BOGUS)", "ALL")
    expect_bad(raw, c, "SEARCH", "RETURN", "(MIN", "ALL")
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_store_search.py ------------------------
def test_rev2_search_is_esearch(imap: ImapHandle) -> None:
    r = fill_mail(imap, 2)
    r.cmd("e", "ENABLE IMAP4rev2")
    lines, _ = r.cmd("a", "SEARCH ALL")
    assert lines == [b'* ESEARCH (TAG "a") ALL 1:2']
    r.close()


def test_searchres_keywords_and_unchangedsince_zero(imap: ImapHandle) -> None:
    r = fill_mail(imap, 4)
    lines, t = r.cmd("a", "SEARCH RETURN (SAVE) UNSEEN")
    assert t.startswith(b"a OK") and lines == []
    lines, _ = r.cmd("b", "FETCH $ (UID)")
    assert lines == [b"* 2 FETCH (UID 2)", b"* 4 FETCH (UID 4)"]
    lines, _ = r.cmd("c", "UID SEARCH $ NOT 2")
    assert lines == [b"* SEARCH 4"]
    lines, _ = r.cmd("d", "SEARCH RETURN (SAVE MIN) ALL")
    assert lines == [b'* ESEARCH (TAG "d") MIN 1']
    lines, _ = r.cmd("e", "UID FETCH $ (UID)")
    assert lines == [b"* 1 FETCH (UID 1)"]
    # a new keyword is announced in FLAGS before it is used in FETCH
    lines, _ = r.cmd("f", "STORE 1 +FLAGS ($Important)")
    assert lines[0] == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)"
    assert lines[1].startswith(b"* OK [PERMANENTFLAGS (")
    assert b"$Important" in lines[2]
    lines, t = r.cmd("g", "STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)")
    assert t.startswith(b"g OK [MODIFIED 1:2]")
    # the first CONDSTORE-enabling command of the session (RFC 7162 3.1)
    assert len(lines) == 1 and lines[0].startswith(b"* OK [HIGHESTMODSEQ "), lines
    r.close()
