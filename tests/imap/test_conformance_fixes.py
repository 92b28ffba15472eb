"""Conformance fixes checked byte-for-byte over raw sockets: WITHIN (RFC 5032), RFC 2231
parameter continuations in BODYSTRUCTURE, NUL never inside a non-binary literal, and the
basics a conformance suite checks first."""

from __future__ import annotations

from tests.imap.conftest import ImapHandle, Raw, msg

MIME = (
    b"From: a@x.test\r\nSubject: att\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    b"--B\r\nContent-Type: application/octet-stream; name*=utf-8''%E2%82%AC.bin\r\n"
    b'Content-Disposition: attachment; filename*0="long"; filename*1="name.bin"\r\n\r\nxx\r\n'
    b"--B--\r\n"
)


def _append(r: Raw, data: bytes, extra: bytes = b"") -> bytes:
    r.send(b"A APPEND INBOX " + extra + b"{%d+}\r\n" % len(data) + data + b"\r\n")
    _, t = r.until("A")
    assert t.startswith(b"A OK"), t
    return t


def test_within_older_younger(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    caps = r.cmd("c", "CAPABILITY")[0][0].split()
    assert b"WITHIN" in caps
    _append(r, msg(1), b'"01-Jan-2020 00:00:00 +0000" ')
    _append(r, msg(2))
    r.cmd("s", "SELECT INBOX")
    assert r.cmd("s", "SEARCH OLDER 3600") == ([b"* SEARCH 1"], b"s OK SEARCH completed")
    assert r.cmd("s", "SEARCH YOUNGER 3600") == ([b"* SEARCH 2"], b"s OK SEARCH completed")
    assert r.cmd("s", "UID SEARCH NOT YOUNGER 3600")[0] == [b"* SEARCH 1"]
    assert r.cmd("s", "SEARCH OR OLDER 3600 YOUNGER 3600")[0] == [b"* SEARCH 1 2"]
    assert r.cmd("s", "SEARCH OLDER 0")[1].startswith(b"s BAD")  # interval is nz-number
    r.close()


def test_bodystructure_joins_rfc2231_continuations(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _append(r, MIME)
    r.cmd("s", "SELECT INBOX")
    u, t = r.cmd("f", "FETCH 1 BODYSTRUCTURE")
    assert t == b"f OK FETCH completed"
    line = u[0]
    assert b'("filename" "longname.bin")' in line, line
    assert b"filename*0" not in line
    assert b'("name*" "utf-8\'\'%E2%82%AC.bin")' in line  # a single encoded parameter is kept
    r.close()


def test_nul_never_inside_a_plain_literal(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    data = b"Subject: nul\r\n\r\nab\x00cd\r\n"
    _append(r, data)
    r.cmd("s", "SELECT INBOX")
    u, t = r.cmd("f", "FETCH 1 (BODY.PEEK[TEXT] BINARY.PEEK[1])")
    assert t == b"f OK FETCH completed"
    assert u == [b"* 1 FETCH (BODY[TEXT] {7}\r\nab\x80cd\r\n BINARY[1] ~{7}\r\nab\x00cd\r\n)"], u
    r.close()


def test_basics(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    assert r.cmd("a", "FOO")[1].startswith(b"a BAD")
    assert r.cmd("a", "NOOP extra")[1].startswith(b"a BAD")
    assert r.cmd("a", "SELECT INBOX")[1].startswith(b"a BAD")
    r.login()
    _append(r, msg(1))
    assert r.cmd("a", f"APPEND nope {{{len(msg(1))}+}}\r\n".encode() + msg(1))[1].startswith(b"a NO [TRYCREATE]")
    assert r.cmd("a", 'APPEND INBOX "35-Feb-2024 10:00:00 +0100" {1+}\r\nx')[1].startswith(b"a BAD")
    r.cmd("s", "SELECT INBOX")
    assert r.cmd("f", "UID FETCH 1:* FLAGS")[0] == [b"* 1 FETCH (UID 1 FLAGS (\\Recent))"]
    assert r.cmd("f", "UID FETCH 5:* (UID)")[0] == [b"* 1 FETCH (UID 1)"]  # 5:* = 1:5 when UIDNEXT is 2
    assert r.cmd("c", "COPY 1 nope")[1].startswith(b"c NO [TRYCREATE]")
    u, t = r.cmd("z", "LOGOUT")
    assert u == [b"* BYE Logging out"] and t == b"z OK LOGOUT completed"
    r.close()
