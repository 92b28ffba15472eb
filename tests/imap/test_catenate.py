"""CATENATE (RFC 4469) on the wire: a message built from TEXT literals and IMAP URLs
(RFC 5092, the same-server `/mailbox;UIDVALIDITY=n/;UID=n/;SECTION=x` form) of the user's
own messages, byte-exact; NO [BADURL] for URLs that name nothing of this user (nothing is
stored, also with MULTIAPPEND); NO [TOOBIG] when the result passes the APPENDLIMIT."""

from __future__ import annotations

import re

from tests.imap.conftest import ImapHandle, Raw, msg, start_imap, stop_imap


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def _setup(imap: ImapHandle) -> tuple[Raw, int]:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX " + _lit(msg(1)))
    m = re.match(rb"a OK \[APPENDUID (\d+) 1\]", t)
    assert m, t
    return r, int(m.group(1))


def _body(r: Raw, uid: int) -> bytes:
    r.cmd("s", "EXAMINE INBOX")
    lines, t = r.cmd("f", f"UID FETCH {uid} BODY.PEEK[]")
    assert t.startswith(b"f OK"), t
    data = lines[0]
    return data[data.index(b"}\r\n") + 3 : data.rindex(b")")]


def test_catenate_text_and_urls_byte_exact(imap: ImapHandle) -> None:
    r, uv = _setup(imap)
    caps, _ = r.cmd("c", "CAPABILITY")
    assert b" CATENATE" in caps[0]
    header = b"From: me@example.test\r\nSubject: forwarded\r\n\r\n"
    url_text = f"/INBOX;UIDVALIDITY={uv}/;UID=1/;SECTION=TEXT".encode()
    url_subject = b"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)"  # RFC 5092: percent-encoded section
    url_partial = b"/INBOX/;UID=1/;PARTIAL=0.4"
    cmd = (
        b"APPEND INBOX CATENATE (TEXT "
        + _lit(header)
        + b" URL "
        + url_text
        + b' URL "'
        + url_subject
        + b'" URL '
        + url_partial
        + b")"
    )
    _, t = r.cmd("c1", cmd)
    assert t.startswith(b"c1 OK [APPENDUID %d 2]" % uv), t
    text = msg(1).split(b"\r\n\r\n", 1)[1]
    assert _body(r, 2) == header + text + b"Subject: hello 1\r\n\r\n" + msg(1)[:4]
    r.close()


def test_catenate_badurl_stores_nothing(imap: ImapHandle) -> None:
    """RFC 4469 5/6: a URL that cannot be resolved fails the APPEND with NO [BADURL url]."""
    r, uv = _setup(imap)
    for tag, url in (
        ("b1", f"/INBOX;UIDVALIDITY={uv + 1}/;UID=1".encode()),  # UIDVALIDITY changed
        ("b2", b"/INBOX/;UID=9"),  # no such message
        ("b3", b"/Missing/;UID=1"),  # no such mailbox
        ("b4", b"imap://bob@other.example/INBOX/;UID=1"),  # another server: not supported
        ("b5", b"/INBOX/;UID=1/;SECTION=7"),  # no such part
    ):
        _, t = r.cmd(tag, b"APPEND INBOX CATENATE (TEXT " + _lit(b"Subject: x\r\n\r\n") + b' URL "' + url + b'")')
        assert t.startswith(f"{tag} NO [BADURL ".encode()), t
    # with MULTIAPPEND: the first message is fine, the second's URL is not: neither is stored
    _, t = r.cmd("m", b"APPEND INBOX " + _lit(msg(2)) + b" CATENATE (URL /INBOX/;UID=5)")
    assert t.startswith(b"m NO [BADURL /INBOX/;UID=5]"), t
    lines, _ = r.cmd("st", "STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 1)" in lines[0], lines
    _, t = r.cmd("x", b"APPEND INBOX CATENATE (BOGUS /INBOX/;UID=1)")
    assert t.startswith(b"x BAD"), t
    r.close()


def test_catenate_toobig(imap: ImapHandle) -> None:
    """RFC 4469 5: a catenated message larger than the server accepts is NO [TOOBIG]."""
    srv, lt = start_imap(imap.env, KUBEMAIL_IMAP_APPEND_LIMIT="2000")
    try:
        r = Raw(srv.port_of("imap"))
        r.login()
        big = b"Subject: big\r\n\r\n" + b"x" * 1200
        _, t = r.cmd("a", b"APPEND INBOX " + _lit(big))
        assert t.startswith(b"a OK"), t
        _, t = r.cmd("b", b"APPEND INBOX CATENATE (URL /INBOX/;UID=1 URL /INBOX/;UID=1)")
        assert t.startswith(b"b NO [TOOBIG]"), t
        lines, _ = r.cmd("st", "STATUS INBOX (MESSAGES)")
        assert b"MESSAGES 1)" in lines[0], lines
        r.close()
    finally:
        stop_imap(srv, lt)
