"""CHECK (RFC 3501 6.4.1) through imaplib.check: selected state only, no arguments, and (like
NOOP) it reports pending changes to the selected mailbox."""

from __future__ import annotations

from tests.imap.commands.util import expect_bad, fill, force_state, pop, raw, selected
from tests.imap.conftest import ImapHandle, msg


def test_check(imap: ImapHandle) -> None:
    fill(imap, 1)
    c = selected(imap)
    typ, data = c.check()
    assert typ == "OK", data
    pop(c, "EXISTS")
    other = imap.login()
    other.append("INBOX", None, None, msg(2))
    c.check()
    assert pop(c, "EXISTS") == [b"2"]
    expect_bad(raw, c, "CHECK", "now")
    other.logout()
    c.logout()


def test_check_wrong_state(imap: ImapHandle) -> None:
    c = imap.login()
    force_state(c, "SELECTED")
    expect_bad(c.check)  # RFC 9051 removed CHECK; RFC 3501 allows it only in selected state
    force_state(c, "AUTH")
    assert c.noop()[0] == "OK"
    c.logout()
