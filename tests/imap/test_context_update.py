"""SEARCH RETURN (UPDATE) (RFC 5267 4.3): the result is kept up to date with unsolicited
ESEARCH ADDTO / REMOVEFROM (position 0, as for any SEARCH) for changes made by other sessions
and by this one: new matching messages after their EXISTS, messages that stop matching, and
expunged ones before their EXPUNGE; in UIDs for UID SEARCH, else sequence numbers; until
CANCELUPDATE or the mailbox is closed."""

from __future__ import annotations

from tests.imap.commands.util import fill_raw
from tests.imap.conftest import ImapHandle, Raw, msg


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def _other(imap: ImapHandle) -> Raw:
    b = Raw(imap.port)
    b.login()
    b.cmd("s", "SELECT INBOX")
    return b


def test_update_follows_changes_from_everywhere(imap: ImapHandle) -> None:
    a = fill_raw(imap, 3)
    lines, t = a.cmd("u", "UID SEARCH RETURN (UPDATE) UNSEEN")
    assert t.startswith(b"u OK") and lines == [b'* ESEARCH (TAG "u") UID ALL 1:3'], (lines, t)
    b = _other(imap)
    b.cmd("a", b"APPEND INBOX " + _lit(msg(4)))  # a new unseen message: ADDTO after EXISTS
    lines, _ = a.cmd("n1", "NOOP")
    assert b"* 4 EXISTS" in lines and lines.index(b"* 4 EXISTS") < lines.index(b'* ESEARCH (TAG "u") UID ADDTO (0 4)')
    b.cmd("st", "UID STORE 2 +FLAGS.SILENT (\\Seen)")  # stops matching
    lines, _ = a.cmd("n2", "NOOP")
    assert b'* ESEARCH (TAG "u") UID REMOVEFROM (0 2)' in lines, lines
    lines, _ = a.cmd("st", "UID STORE 3 +FLAGS (\\Seen)")  # this session's own change
    assert b'* ESEARCH (TAG "u") UID REMOVEFROM (0 3)' in lines, lines
    b.cmd("d", "UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("x", "EXPUNGE")
    lines, _ = a.cmd("n3", "NOOP")
    removal = lines.index(b'* ESEARCH (TAG "u") UID REMOVEFROM (0 1)')
    assert removal < lines.index(b"* 1 EXPUNGE"), lines  # before the EXPUNGE
    b.cmd("un", "UID STORE 2 -FLAGS.SILENT (\\Seen)")  # matches again
    lines, _ = a.cmd("n4", "NOOP")
    assert b'* ESEARCH (TAG "u") UID ADDTO (0 2)' in lines, lines
    lines, t = a.cmd("c", 'CANCELUPDATE "u"')
    assert t.startswith(b"c OK"), t
    b.cmd("a2", b"APPEND INBOX " + _lit(msg(5)))
    lines, _ = a.cmd("n5", "NOOP")
    assert not any(b"ESEARCH" in line for line in lines), lines
    a.close()
    b.close()


def test_update_in_sequence_numbers(imap: ImapHandle) -> None:
    a = fill_raw(imap, 2)
    lines, _ = a.cmd("q", "SEARCH RETURN (ALL UPDATE) UNFLAGGED")
    assert lines == [b'* ESEARCH (TAG "q") ALL 1:2'], lines
    b = _other(imap)
    b.cmd("a", b"APPEND INBOX " + _lit(msg(3)))
    b.cmd("f", "STORE 1 +FLAGS.SILENT (\\Flagged)")
    lines, _ = a.cmd("n", "NOOP")
    assert b'* ESEARCH (TAG "q") REMOVEFROM (0 1)' in lines and b'* ESEARCH (TAG "q") ADDTO (0 3)' in lines, lines
    a.close()
    b.close()


def test_update_limits_and_lifetime(imap: ImapHandle) -> None:
    a = fill_raw(imap, 2)
    caps, _ = a.cmd("cap", "CAPABILITY")
    assert b" CONTEXT=SEARCH" in caps[0]
    lines, t = a.cmd("m", "SEARCH RETURN (COUNT UPDATE) ALL")  # 4.3: no interaction with COUNT
    assert lines == [b'* ESEARCH (TAG "m") COUNT 2'], lines
    _, t = a.cmd("m", "SEARCH RETURN (UPDATE) ALL")
    assert t.startswith(b"m BAD"), t  # 4.3: tag reuse
    lines, t = a.cmd("p", "SEARCH RETURN (PARTIAL 1:5 UPDATE CONTEXT) ALL")  # 4.4: nor with PARTIAL
    assert lines == [b'* ESEARCH (TAG "p") PARTIAL (1:5 1:2)'], lines
    for i in range(14):
        a.cmd(f"k{i}", "SEARCH RETURN (UPDATE) ALL")
    lines, t = a.cmd("over", "SEARCH RETURN (MIN UPDATE) ALL")  # the 17th: refused, MIN still answered
    assert t.startswith(b"over OK"), t
    assert lines == [b'* ESEARCH (TAG "over") MIN 1', b'* NO [NOUPDATE "over"] Too many searches being updated'], lines
    b = _other(imap)
    b.cmd("a", b"APPEND INBOX " + _lit(msg(3)))
    lines, _ = a.cmd("n", "NOOP")
    adds = [line for line in lines if b"ADDTO" in line]
    assert len(adds) == 16 and not any(b'"over"' in line for line in adds), lines  # m, p and k0..k13
    a.cmd("r", "SELECT INBOX")  # a new selection ends every update
    b.cmd("a2", b"APPEND INBOX " + _lit(msg(4)))
    lines, _ = a.cmd("n2", "NOOP")
    assert not any(b"ESEARCH" in line for line in lines), lines
    a.close()
    b.close()


def test_update_sequence_numbers_fixed_when_received(imap: ImapHandle) -> None:
    """RFC 5267 4.3: sequence numbers in the search program are evaluated when the command is
    received; later renumbering changes nothing."""
    a = fill_raw(imap, 4)
    lines, _ = a.cmd("u", "UID SEARCH RETURN (UPDATE) 3:4")
    assert lines == [b'* ESEARCH (TAG "u") UID ALL 3:4'], lines
    b = _other(imap)
    b.cmd("d", "UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd("x", "EXPUNGE")
    b.cmd("a", b"APPEND INBOX " + _lit(msg(5)))  # now sequence number 4, but not in the program
    lines, _ = a.cmd("n", "NOOP")
    assert b"* 1 EXPUNGE" in lines and not any(b"ESEARCH" in line for line in lines), lines
    a.close()
    b.close()
