"""SELECT/EXAMINE list the mailbox's keywords in FLAGS and PERMANENTFLAGS (RFC 3501 7.1,
7.2.6); `\\*` is dropped once the per-mailbox keyword limit is reached."""

from __future__ import annotations

from services.metadata.lua import MAX_KEYWORDS
from tests.imap.conftest import ImapHandle, Raw


def _code(lines: list[bytes], prefix: bytes) -> bytes:
    found = [ln for ln in lines if ln.startswith(prefix)]
    assert len(found) == 1, lines
    return found[0]


def test_select_lists_keywords(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.cmd("a", "LOGIN alice@example.test secret")
    lines, tag = r.cmd("s0", "SELECT INBOX")
    assert _code(lines, b"* FLAGS ") == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
    assert b"[PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)]" in _code(
        lines, b"* OK [PERMANENTFLAGS"
    )
    r.send(b"p APPEND INBOX (\\Seen $Forwarded) {9}\r\n")
    assert r.line().startswith(b"+")
    r.send(b"Subject: \r\n")
    assert r.until("p")[1].startswith(b"p OK")
    _, tag = r.cmd("st", "STORE 1 +FLAGS (Work $Junk)")
    assert tag.startswith(b"st OK")
    # a fresh SELECT (or another session) sees the list without having met the messages
    other = Raw(imap.port)
    other.cmd("a", "LOGIN alice@example.test secret")
    for cmd, perm in (
        ("SELECT INBOX", b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk Work \\*)"),
        ("EXAMINE INBOX", b"()"),
    ):
        lines, tag = other.cmd("s", cmd)
        assert tag.startswith(b"s OK")
        assert (
            _code(lines, b"* FLAGS ")
            == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $Junk Work)"
        )
        assert b"[PERMANENTFLAGS " + perm + b"]" in _code(lines, b"* OK [PERMANENTFLAGS")
        # keywords already listed are not announced again by FETCH
        lines, tag = other.cmd("f", "FETCH 1 FLAGS")
        assert tag.startswith(b"f OK") and not any(ln.startswith(b"* FLAGS") for ln in lines), lines
    r.close()
    other.close()


def test_keyword_limit_drops_wildcard_and_refuses_new(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.cmd("a", "LOGIN alice@example.test secret")
    r.send(b"p APPEND INBOX {9}\r\n")
    assert r.line().startswith(b"+")
    r.send(b"Subject: \r\n")
    assert r.until("p")[1].startswith(b"p OK")
    r.cmd("s", "SELECT INBOX")
    early = Raw(imap.port)  # selected before the list fills up: learns it from the refusal
    early.cmd("a", "LOGIN alice@example.test secret")
    early.cmd("s", "SELECT INBOX")
    for start in range(0, MAX_KEYWORDS, 50):
        kws = " ".join(f"kw{i}" for i in range(start, start + 50))
        _, tag = r.cmd("st", f"STORE 1 +FLAGS.SILENT ({kws})")
        assert tag.startswith(b"st OK"), tag
    _, tag = r.cmd("n", "STORE 1 +FLAGS (OneTooMany)")
    assert tag.startswith(b"n NO [LIMIT]"), tag  # RFC 5530
    assert b"too many keywords" in tag
    lines, tag = early.cmd("n", "STORE 1 +FLAGS (AnotherOne)")
    assert tag.startswith(b"n NO [LIMIT]"), tag
    perms = [ln for ln in lines if ln.startswith(b"* OK [PERMANENTFLAGS")]
    # the refusal withdraws `\*`; announcing the 1,000 keywords it now meets must not restore it
    assert perms and all(b"\\*" not in p for p in perms), perms
    assert any(ln.startswith(b"* FLAGS") and b"kw999" in ln for ln in lines)
    early.close()
    lines, tag = r.cmd("s2", "SELECT INBOX")
    assert tag.startswith(b"s2 OK")
    perm = _code(lines, b"* OK [PERMANENTFLAGS")
    assert b"kw999" in perm and b"\\*" not in perm
    assert b"kw0 " in _code(lines, b"* FLAGS ")
    r.close()
