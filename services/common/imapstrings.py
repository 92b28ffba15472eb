"""IMAP strings and parenthesised lists as bytes (sans-I/O): what the IMAP server writes and what
ingest pre-renders (services.common.bodystructure), so both write the same bytes."""

from __future__ import annotations

from collections.abc import Iterable

MAX_QUOTED = 1024
NIL = b"NIL"
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def quotable(data: bytes, utf8: bool = False) -> bool:
    """Whether `data` may go out as a quoted string (else a literal). `utf8`: UTF-8 is allowed in
    quoted strings (RFC 6855 3 / RFC 9051) as long as every character is printable."""
    if len(data) > MAX_QUOTED:
        return False
    if not data.translate(None, _PRINTABLE_ASCII):  # every octet printable ASCII (the usual case)
        return True
    if utf8 and not data.isascii():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return all(c.isprintable() or c == " " for c in text)
    return False


def string(data: bytes | str, utf8: bool = False) -> bytes:
    """An IMAP string: quoted when safe, otherwise a literal. `utf8`: the client enabled
    UTF-8 in quoted strings (UTF8=ACCEPT or IMAP4rev2)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if quotable(data, utf8):
        if b"\\" in data or b'"' in data:
            data = data.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return b'"' + data + b'"'
    return b"{%d}\r\n" % len(data) + data


def plist(items: Iterable[bytes]) -> bytes:
    return b"(" + b" ".join(items) + b")"
