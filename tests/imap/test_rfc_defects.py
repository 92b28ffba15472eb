"""Defects of issue #13 (items 3-6 and 8), checked byte for byte over raw sockets against the
RFCs: sent-date search keys, addresses with comments, CONDSTORE's implicit enable and ESEARCH
MODSEQ, BINARY of message parts and quoted-printable, RECENT after EXPUNGE, keywords a sync
introduces, BODY[n.TEXT] of a non-message part."""

from __future__ import annotations

import re

from tests.imap.conftest import ImapHandle, Raw, msg


def _append(r: Raw, data: bytes, extra: bytes = b"", mailbox: bytes = b"INBOX") -> bytes:
    r.send(b"A APPEND " + mailbox + b" " + extra + b"{%d+}\r\n" % len(data) + data + b"\r\n")
    _, t = r.until("A")
    assert t.startswith(b"A OK"), t
    return t


def _session(imap: ImapHandle, *messages: bytes) -> Raw:
    r = Raw(imap.port)
    r.login()
    for m in messages:
        _append(r, m)
    lines, t = r.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK"), (lines, t)
    return r


def _search(r: Raw, criteria: str) -> bytes:
    lines, t = r.cmd("q", "SEARCH " + criteria)
    assert t == b"q OK SEARCH completed", (lines, t)
    return lines[-1]


# item 3: RFC 3501 6.4.4 / RFC 9051 6.4.4: "disregarding time and timezone" ------------------
def test_sent_date_keys_compare_the_date_header_day(imap: ImapHandle) -> None:
    r = _session(
        imap,
        b"Date: Sun, 25 Mar 2007 00:00:00 +0200\r\nSubject: east\r\n\r\nx\r\n",  # 24 Mar 22:00 UTC
        b"Date: Sat, 24 Mar 2007 23:30:00 -0500\r\nSubject: west\r\n\r\nx\r\n",  # 25 Mar 04:30 UTC
    )
    assert _search(r, "SENTON 25-Mar-2007") == b"* SEARCH 1"
    assert _search(r, "SENTON 24-Mar-2007") == b"* SEARCH 2"
    assert _search(r, "SENTBEFORE 25-Mar-2007") == b"* SEARCH 2"
    assert _search(r, "SENTSINCE 25-Mar-2007") == b"* SEARCH 1"
    assert _search(r, "SENTSINCE 24-Mar-2007") == b"* SEARCH 1 2"
    assert _search(r, "SENTBEFORE 24-Mar-2007") == b"* SEARCH"
    assert _search(r, "SENTBEFORE 26-Mar-2007") == b"* SEARCH 1 2"
    r.close()


# item 4: comments (RFC 5322 3.2.2 CFWS) are neither part of the address nor a display name ---
COMMENTED = (
    b"From: <user-from (comment)@ (comment) domain.org>\r\nTo: a@x.org, b@y.org (Bee)\r\nSubject: comments\r\n\r\nx\r\n"
)


def test_address_comments_in_search_and_envelope(imap: ImapHandle) -> None:
    r = _session(imap, COMMENTED, msg(2))
    assert _search(r, "FROM user-from@domain.org") == b"* SEARCH 1"
    assert _search(r, "FROM bob@example.test") == b"* SEARCH 2"
    assert _search(r, "TO b@y.org") == b"* SEARCH 1"
    assert _search(r, "FROM nobody@domain.org") == b"* SEARCH"
    lines, t = r.cmd("f", "FETCH 1 ENVELOPE")
    assert t == b"f OK FETCH completed"
    env = lines[0]
    # from, sender, reply-to (the latter two default to from), then to
    assert b' ((NIL NIL "user-from" "domain.org")) ((NIL NIL "user-from" "domain.org"))' in env, env
    # a trailing comment names its own address only, not the whole list's first one
    assert b'((NIL NIL "a" "x.org")("Bee" NIL "b" "y.org"))' in env, env
    assert b'"comment"' not in env, env
    r.close()


# item 5: RFC 7162 3.1 (implicit enable) and 3.1.5 / RFC 4731 (MODSEQ of MIN/MAX) -------------
def test_first_modseq_fetch_announces_highestmodseq(imap: ImapHandle) -> None:
    r = _session(imap, msg(1), msg(2))
    lines, t = r.cmd("f", "FETCH 1 (MODSEQ)")
    assert t == b"f OK FETCH completed"
    assert re.fullmatch(rb"\* OK \[HIGHESTMODSEQ \d+\].*", lines[0]), lines
    assert re.fullmatch(rb"\* 1 FETCH \(MODSEQ \(\d+\)\)", lines[1]), lines
    # enabled now: the next one does not repeat it
    lines, _ = r.cmd("f", "FETCH 2 (MODSEQ)")
    assert len(lines) == 1 and lines[0].startswith(b"* 2 FETCH"), lines
    r.close()


def test_first_modseq_search_announces_highestmodseq(imap: ImapHandle) -> None:
    r = _session(imap, msg(1))
    lines, t = r.cmd("q", "SEARCH MODSEQ 1")
    assert t == b"q OK SEARCH completed"
    assert lines[0].startswith(b"* OK [HIGHESTMODSEQ "), lines
    assert lines[1].startswith(b"* SEARCH 1 (MODSEQ "), lines
    r.close()


def _modseqs(r: Raw) -> dict[int, int]:
    lines, _ = r.cmd("f", "FETCH 1:* (MODSEQ)")
    out = {}
    for ln in lines:
        m = re.fullmatch(rb"\* (\d+) FETCH \(MODSEQ \((\d+)\)\)", ln)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    return out


def test_esearch_min_max_report_their_own_modseq(imap: ImapHandle) -> None:
    r = _session(imap, msg(1), msg(2), msg(3))
    r.cmd("e", "ENABLE CONDSTORE")
    r.cmd("t", "STORE 3 +FLAGS.SILENT (\\Flagged)")  # message 3 has the highest modseq now
    r.cmd("t", "STORE 1 +FLAGS.SILENT (\\Seen)")  # ... and then message 1
    ms = _modseqs(r)
    assert ms[1] > ms[3] > ms[2], ms
    lines, _ = r.cmd("q", "SEARCH RETURN (MIN) 2:3 MODSEQ 1")
    assert lines == [f'* ESEARCH (TAG "q") MIN 2 MODSEQ {ms[2]}'.encode()], lines
    lines, _ = r.cmd("q", "SEARCH RETURN (MAX) 2:3 MODSEQ 1")
    assert lines == [f'* ESEARCH (TAG "q") MAX 3 MODSEQ {ms[3]}'.encode()], lines
    lines, _ = r.cmd("q", "SEARCH RETURN (MIN MAX) 2:3 MODSEQ 1")
    assert lines == [f'* ESEARCH (TAG "q") MIN 2 MAX 3 MODSEQ {ms[3]}'.encode()], lines
    lines, _ = r.cmd("q", "UID SEARCH RETURN (MIN) MODSEQ 1")
    assert lines == [f'* ESEARCH (TAG "q") UID MIN 1 MODSEQ {ms[1]}'.encode()], lines
    # ALL and COUNT: the highest of every match
    lines, _ = r.cmd("q", "SEARCH RETURN (MIN COUNT) 2:3 MODSEQ 1")
    assert lines == [f'* ESEARCH (TAG "q") MIN 2 COUNT 2 MODSEQ {ms[3]}'.encode()], lines
    r.close()


# item 6: RFC 3516 and RFC 2045 6.7 ------------------------------------------------------------
ATTACHED = (
    b"From: a@x.test\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"soft= \r\nbreak=\t\r\ntrailing  \r\nkept=20\r\nend=3D\r\n"
    b"--B\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    b"Subject: inner\r\n\r\ninner body\r\n"
    b"--B--\r\n"
)
INNER = b"Subject: inner\r\n\r\ninner body"


def test_binary_of_a_7bit_message_part(imap: ImapHandle) -> None:
    r = _session(imap, ATTACHED)
    lines, t = r.cmd("f", "FETCH 1 (BINARY.SIZE[2])")
    assert t == b"f OK FETCH completed", (lines, t)
    assert lines == [b"* 1 FETCH (BINARY.SIZE[2] %d)" % len(INNER)], lines
    lines, t = r.cmd("f", "FETCH 1 (BINARY.PEEK[2])")
    assert t == b"f OK FETCH completed", (lines, t)
    assert lines == [b"* 1 FETCH (BINARY[2] {%d}\r\n%s)" % (len(INNER), INNER)], lines
    r.close()


def test_binary_quoted_printable_soft_breaks_and_trailing_space(imap: ImapHandle) -> None:
    r = _session(imap, ATTACHED)
    decoded = b"softbreaktrailing\r\nkept \r\nend="
    lines, t = r.cmd("f", "FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])")
    assert t == b"f OK FETCH completed", (lines, t)
    assert lines == [b"* 1 FETCH (BINARY[1] {%d}\r\n%s BINARY.SIZE[1] %d)" % (len(decoded), decoded, len(decoded))]
    r.close()


# item 8 ---------------------------------------------------------------------------------------
def test_expunge_updates_recent_for_imap4rev1(imap: ImapHandle) -> None:
    r = _session(imap, msg(1), msg(2), msg(3))  # SELECT claims all three as \Recent
    r.cmd("t", "STORE 2 +FLAGS.SILENT (\\Deleted)")
    lines, t = r.cmd("x", "EXPUNGE")
    assert t.startswith(b"x OK"), t
    assert lines == [b"* 2 EXPUNGE", b"* 2 RECENT"], lines
    # IMAP4rev2 has no \Recent and no RECENT response (RFC 9051)
    r2 = Raw(imap.port)
    r2.login()
    r2.cmd("e", "ENABLE IMAP4rev2")
    r2.cmd("s", "SELECT INBOX")
    r2.cmd("t", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    lines, _ = r2.cmd("x", "EXPUNGE")
    assert lines == [b"* 1 EXPUNGE"], lines
    r2.close()
    # another session's expunge reaches the first session with RECENT as well
    lines, _ = r.cmd("n", "NOOP")
    assert lines == [b"* 1 EXPUNGE", b"* 1 RECENT"], lines
    r.close()


def _flags_lines(lines: list[bytes]) -> tuple[bytes, bytes]:
    flags = [ln for ln in lines if ln.startswith(b"* FLAGS (")]
    perm = [ln for ln in lines if ln.startswith(b"* OK [PERMANENTFLAGS (")]
    assert len(flags) == 1 and len(perm) == 1, lines
    return flags[0], perm[0]


def test_keyword_from_append_is_announced_at_next_sync(imap: ImapHandle) -> None:
    r = _session(imap, msg(1))
    # APPEND by this session into its selected mailbox: announced with the tagged OK's updates
    r.send(b"A APPEND INBOX ($Fresh) {%d+}\r\n" % len(msg(2)) + msg(2) + b"\r\n")
    lines, t = r.until("A")
    assert t.startswith(b"A OK"), t
    if b"* 2 EXISTS" not in lines:  # the change may be read at the next command instead
        more, _ = r.cmd("n", "NOOP")
        lines += more
    flags, perm = _flags_lines(lines)
    assert b"$Fresh" in flags and b"$Fresh" in perm, lines
    assert lines.index(flags) < lines.index(b"* 2 EXISTS"), lines
    # APPEND by another session: announced at this session's next NOOP, before any FETCH
    other = Raw(imap.port)
    other.login()
    _append(other, msg(3), b"($Other) ")
    other.close()
    lines, _ = r.cmd("n", "NOOP")
    flags, perm = _flags_lines(lines)
    assert b"$Other" in flags and b"$Fresh" in flags and b"$Other" in perm, lines
    assert b"* 3 EXISTS" in lines, lines
    r.close()


def test_body_text_of_a_non_message_part_is_empty(imap: ImapHandle) -> None:
    r = _session(imap, ATTACHED)
    lines, t = r.cmd("f", "FETCH 1 (BODY.PEEK[1.TEXT] BODY.PEEK[2.TEXT])")
    assert t == b"f OK FETCH completed", (lines, t)
    # an empty string, quoted or as a zero-length literal (both are "": RFC 9051 4.3)
    assert lines[0] in (
        b'* 1 FETCH (BODY[1.TEXT] "" BODY[2.TEXT] {10}\r\ninner body)',
        b"* 1 FETCH (BODY[1.TEXT] {0}\r\n BODY[2.TEXT] {10}\r\ninner body)",
    ), lines
    lines, _ = r.cmd("f", "FETCH 1 (BODY.PEEK[9])")  # no such part: still NIL
    assert lines == [b"* 1 FETCH (BODY[9] NIL)"], lines
    r.close()
