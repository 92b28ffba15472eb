"""EXAMINE (RFC 3501 6.3.2) through imaplib.select(readonly=True): [READ-ONLY], no \\Seen side
effect, no \\Recent claim, writes refused, nonexistent mailbox, wrong state."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fetch_flags, fill, force_state, pop, raw
from tests.imap.conftest import ImapHandle


def test_examine_is_read_only(imap: ImapHandle) -> None:
    fill(imap, 2)
    c = imap.login()
    typ, data = c.select("INBOX", readonly=True)
    assert typ == "OK" and data == [b"2"]
    assert pop(c, "READ-ONLY") == [b""]
    assert len(pop(c, "RECENT")) == 1  # count: see test_examine_reports_recent_count
    assert pop(c, "PERMANENTFLAGS") == [b"()"]  # nothing can be changed
    typ, data = c.fetch("1", "(BODY[])")
    assert typ == "OK" and b"Subject: hello 1" in data[0][1]
    assert "\\Seen" not in fetch_flags(c)[1]
    typ, data = c.store("1", "+FLAGS", "(\\Flagged)")
    assert typ == "NO", data
    typ, data = raw(c, "EXPUNGE")  # imaplib.expunge() refuses on READ-ONLY locally
    assert typ == "NO", data
    c.logout()
    # the effect: nothing changed, and \Recent was not claimed by EXAMINE
    d = imap.login()
    assert d.select("INBOX") == ("OK", [b"2"])
    assert pop(d, "RECENT") == [b"2"]
    flags = fetch_flags(d)
    assert "\\Seen" not in flags[1] and "\\Flagged" not in flags[1]
    d.logout()


def test_examine_errors(imap: ImapHandle) -> None:
    c = imap.client()
    force_state(c, "AUTH")
    expect_bad(c.select, "INBOX", True)
    force_state(c, "NONAUTH")
    c.login("alice@example.test", "secret")
    typ, data = c.select("Missing", readonly=True)
    assert typ == "NO" and b"NONEXISTENT" in data[-1]
    c.logout()


def test_examine_reports_recent_count(imap: ImapHandle) -> None:
    """RFC 3501 6.3.2: EXAMINE returns the same output as SELECT and MUST NOT clear \\Recent, so
    the RECENT count is that of SELECT (the messages stay \\Recent for a later SELECT)."""
    fill(imap, 2)
    c = imap.login()
    assert c.select("INBOX", readonly=True) == ("OK", [b"2"])
    assert pop(c, "RECENT") == [b"2"]
    typ, data = c.search(None, "RECENT")
    assert typ == "OK" and data == [b"1 2"], data
    # a message arriving while examined is counted too, still without claiming it
    fill(imap, 1, start=3)
    typ, _ = c.noop()
    assert pop(c, "RECENT")[-1] == b"3"
    c.logout()
    # SELECT after EXAMINE still gets all three (nothing was claimed); a second EXAMINE sees 0
    d = imap.login()
    assert d.select("INBOX") == ("OK", [b"3"])
    assert pop(d, "RECENT") == [b"3"]
    e = imap.login()
    assert e.select("INBOX", readonly=True) == ("OK", [b"3"])
    assert pop(e, "RECENT") == [b"0"]
    e.logout()
    d.logout()
