"""CANCELUPDATE (RFC 5267 4.3): ends the updates of SEARCH RETURN (UPDATE) by tag; a tag with
no updates is no error; only in the selected state. The updates themselves: tests/imap/test_context_update.py."""

from __future__ import annotations

from tests.imap.commands.util import fill_raw
from tests.imap.conftest import ImapHandle, Raw


def test_cancelupdate(imap: ImapHandle) -> None:
    r = fill_raw(imap, 1)
    r.cmd("u1", "SEARCH RETURN (UPDATE) ALL")
    r.cmd("u2", "UID SEARCH RETURN (UPDATE) SEEN")
    _, t = r.cmd("c", 'CANCELUPDATE "u1" "u2"')
    assert t.startswith(b"c OK"), t
    _, t = r.cmd("c2", 'CANCELUPDATE "u1" "never"')
    assert t.startswith(b"c2 OK"), t  # no updates for those tags (any more): nothing to cancel
    _, t = r.cmd("c3", "CANCELUPDATE")
    assert t.startswith(b"c3 BAD"), t
    r.close()
    n = Raw(imap.port)
    n.login()
    _, t = n.cmd("c4", 'CANCELUPDATE "x"')
    assert t.startswith(b"c4 BAD"), t  # not selected
    n.close()
