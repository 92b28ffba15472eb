"""SELECT (RFC 3501 6.3.1 / RFC 9051 6.3.2) through imaplib: the untagged state it reports,
[READ-WRITE], \\Recent claiming, failure deselects, nonexistent mailbox, wrong state, bad args."""

from __future__ import annotations

import re

import pytest

from tests.imap.commands.util import Error, expect_bad, fill, fill_raw, force_state, mailbox_id, pop, raw
from tests.imap.conftest import ImapHandle, Raw


def test_select_reports_mailbox_state(imap: ImapHandle) -> None:
    fill(imap, 3)
    c = imap.login()
    c.store  # noqa: B018 - imaplib API presence
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"3"]
    assert c.state == "SELECTED"
    assert pop(c, "READ-WRITE") == [b""]
    assert pop(c, "RECENT") == [b"3"]
    flags = pop(c, "FLAGS")[0]
    for f in (b"\\Answered", b"\\Flagged", b"\\Deleted", b"\\Seen", b"\\Draft"):
        assert f in flags
    assert b"\\*" in pop(c, "PERMANENTFLAGS")[0]
    uidvalidity = int(pop(c, "UIDVALIDITY")[0])
    assert uidvalidity > 0
    assert pop(c, "UIDNEXT") == [b"4"]
    assert pop(c, "UNSEEN") == [b"1"]  # first unseen sequence number
    assert pop(c, "HIGHESTMODSEQ")
    # a second session: same counts, \Recent already claimed by the first
    d = imap.login()
    assert d.select("INBOX") == ("OK", [b"3"])
    assert pop(d, "RECENT") == [b"0"]
    assert int(pop(d, "UIDVALIDITY")[0]) == uidvalidity
    d.logout()
    c.logout()


def test_select_other_mailbox_and_failure_deselects(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = imap.login()
    c.create("Work")
    assert c.select("INBOX") == ("OK", [b"2"])
    assert c.select("Work") == ("OK", [b"0"])
    assert c.search(None, "ALL") == ("OK", [b""])  # now Work is selected
    typ, data = c.select("Nope")
    assert typ == "NO" and b"NONEXISTENT" in data[-1], data
    assert c.state == "AUTH"
    force_state(c, "SELECTED")
    with pytest.raises(Error, match="BAD"):
        c.fetch("1", "FLAGS")  # RFC 3501: a failed SELECT leaves no mailbox selected
    force_state(c, "AUTH")
    assert c.select("inbox") == ("OK", [b"2"])  # INBOX is case-insensitive
    c.logout()


def test_select_errors(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    expect_bad(c.select, "INBOX")  # not authenticated
    force_state(c, "NONAUTH")
    c.login("alice@example.test", "secret")
    expect_bad(raw, c, "SELECT")
    expect_bad(raw, c, "SELECT", "INBOX", "extra", "args")
    expect_bad(raw, c, "SELECT", "INBOX", "(QRESYNC (1 1))")  # QRESYNC not enabled
    assert c.select("INBOX")[0] == "OK"
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_copy_move_expunge.py ------------------------
def test_qresync_select_reports_vanished(imap: ImapHandle) -> None:
    r = fill_raw(imap, 4)
    lines, _ = r.cmd("s0", "STATUS INBOX (UIDVALIDITY HIGHESTMODSEQ)")
    parts = lines[0].split(b"(")[1].rstrip(b")").split()
    uidvalidity, modseq = int(parts[1]), int(parts[3])
    r.cmd("a", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.cmd("b", "EXPUNGE")
    r.cmd("c", "STORE 2 +FLAGS.SILENT (\\Flagged)")
    r.cmd("u", "UNSELECT")
    r.cmd("e", "ENABLE QRESYNC")
    lines, t = r.cmd("s", f"SELECT INBOX (QRESYNC ({uidvalidity} {modseq} 1:4))")
    assert t.startswith(b"s OK"), t
    assert b"* VANISHED (EARLIER) 1" in lines, lines
    assert any(ln.startswith(b"* 2 FETCH (UID 3 FLAGS (\\Flagged") and b"MODSEQ" in ln for ln in lines), lines
    r.cmd("d", "STORE 3 +FLAGS.SILENT (\\Deleted)")
    lines, _ = r.cmd("x", "EXPUNGE")
    assert lines[0] == b"* VANISHED 4", lines
    r.close()


def test_select_and_examine_report_mailboxid(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("S", "SELECT INBOX")
    assert t.startswith(b"S OK"), t
    ids = [m.group(1) for m in (re.fullmatch(rb"\* OK \[MAILBOXID \(([A-Za-z0-9_-]+)\)\] .*", x) for x in lines) if m]
    assert ids == [mailbox_id(r, "INBOX").encode()]  # RFC 8474 4.2: the same id STATUS reports
    lines, t = r.cmd("E", "EXAMINE INBOX")
    assert any(x.startswith(b"* OK [MAILBOXID (" + ids[0] + b")]") for x in lines), lines
    r.close()
