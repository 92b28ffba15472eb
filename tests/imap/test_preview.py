"""PREVIEW (RFC 8970) through FETCH: made at ingest from the first text part (text/plain
preferred over text/html in an alternative, HTML reduced to its text, attachments skipped), at
most 256 characters; a message stored before previews gets NIL for PREVIEW (LAZY) and a
preview made from its blob for plain PREVIEW."""

from __future__ import annotations

import re

import redis

from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.metadata import keys
from tests.conftest import MetadataHandle
from tests.imap.conftest import ImapHandle, Raw

PLAIN = b"Subject: p\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello   there,\r\n\r\nsecond line \xc3\xa9\r\n"
HTML = (
    b"Subject: h\r\nContent-Type: text/html\r\n\r\n"
    b"<html><head><title>T</title><style>p {color: red}</style></head>"
    b"<body><p>Big&amp;<b>bold</b></p><script>var x;</script><div>news</div></body></html>\r\n"
)
ALTERNATIVE = (
    b"Subject: a\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
    b"--o\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n"
    b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nplain=20version\r\n"
    b"--b--\r\n--o\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nattached\r\n--o--\r\n"
)
LONG = b"Subject: l\r\n\r\n" + b"abcdefghi " * 100


def _lit(data: bytes) -> bytes:
    return b"{%d+}\r\n" % len(data) + data


def _previews(r: Raw, items: str = "PREVIEW") -> dict[int, bytes | None]:
    lines, t = r.cmd("f", f"UID FETCH 1:* (UID {items})")
    assert t.startswith(b"f OK"), t
    out: dict[int, bytes | None] = {}
    for line in lines:
        m = re.search(rb'UID (\d+) PREVIEW (?:"((?:[^"\\]|\\.)*)"|\{\d+\}\r\n(.*)|(NIL))\)$', line, re.S)
        assert m, line
        out[int(m.group(1))] = None if m.group(4) else (m.group(2) if m.group(2) is not None else m.group(3))
    return out


def test_preview_from_first_text_part(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    caps, _ = r.cmd("c", "CAPABILITY")
    assert b" PREVIEW" in caps[0]
    _, t = r.cmd("a", b"APPEND INBOX " + b" ".join(_lit(m) for m in (PLAIN, HTML, ALTERNATIVE, LONG)))
    assert t.startswith(b"a OK"), t
    r.cmd("s", "EXAMINE INBOX")
    got = _previews(r)
    assert got[1] == "Hello there, second line \u00e9".encode()  # whitespace collapsed; UTF-8 as a literal
    assert got[2] == b"Big&bold news"  # RFC 8970 3: no markup
    assert got[3] == b"plain version"  # the text/plain alternative, not the attachment
    assert got[4] is not None and len(got[4]) <= 256 and got[4].startswith(b"abcdefghi abc")
    assert _previews(r, "PREVIEW (LAZY)") == got  # made at ingest: LAZY has it too
    r.close()


def test_preview_of_message_stored_before_previews(imap: ImapHandle, metadata: MetadataHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("a", b"APPEND INBOX " + _lit(HTML))
    assert t.startswith(b"a OK"), t
    db = redis.Redis.from_url(metadata.redis_url)
    k = keys.user(imap.user_id)
    mbid = db.hget(k.mbx, "INBOX").decode()
    summary = mime_pb.MessageSummary.FromString(db.hget(k.message(mbid, 1), "S"))
    summary.ClearField("preview")  # as stored before previews existed
    db.hset(k.message(mbid, 1), "S", summary.SerializeToString())
    r.cmd("s", "EXAMINE INBOX")
    assert _previews(r, "PREVIEW (LAZY)") == {1: None}  # RFC 8970 3.1: not readily available
    assert _previews(r) == {1: b"Big&bold news"}  # computed from the blob
    _, t = r.cmd("b", "FETCH 1 (PREVIEW (FAST))")
    assert t.startswith(b"b BAD"), t
    r.close()
