"""IMAP URLs of CATENATE (RFC 4469 5) per RFC 5092, sans-I/O: only the same-server form
`/<enc-mailbox>[;UIDVALIDITY=n]/;UID=n[/;SECTION=<enc-section>][/;PARTIAL=o[.l]]` naming a
message (or part) of the user's own mailboxes. Absolute URLs (imap://host/...), URLAUTH and
message lists are not accepted: the caller answers NO [BADURL]."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from services.imap.cursor import Cursor, ParseError
from services.imap.grammar import Section, section

_PCT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_NZ = re.compile(r"[1-9][0-9]{0,9}")
_NUM = re.compile(r"[0-9]{1,10}")


class UrlError(ValueError):
    """A URL that is malformed or of a form not supported here."""


@dataclass(frozen=True, slots=True)
class MessageUrl:
    mailbox: bytes  # the mailbox name as on the wire (percent-decoding undone)
    uidvalidity: int | None
    uid: int
    section: Section | None = None
    partial: tuple[int, int | None] | None = None  # (offset, length or None = to the end)


def _nz(text: str) -> int:
    if not _NZ.fullmatch(text) or int(text) > 0xFFFFFFFF:
        raise UrlError("bad number")
    return int(text)


def _decode(raw: bytes) -> bytes:
    if _PCT.search(raw):
        raise UrlError("bad percent-encoding")
    return unquote_to_bytes(raw)


def parse(url: bytes) -> MessageUrl:
    if not url.startswith(b"/") or url.startswith(b"//"):
        raise UrlError("only /mailbox;UIDVALIDITY=n/;UID=n URLs of this server are supported")
    parts = url[1:].split(b"/;")
    head, rest = parts[0], parts[1:]
    mbox, _, uv = head.partition(b";")
    uidvalidity: int | None = None
    if uv:
        key, _, val = uv.partition(b"=")
        if key.upper() != b"UIDVALIDITY":
            raise UrlError("unknown mailbox parameter")
        uidvalidity = _nz(val.decode("ascii", "replace"))
    if not mbox:
        raise UrlError("no mailbox")
    mailbox = _decode(mbox)
    fields: dict[str, str] = {}
    order: list[str] = []
    for p in rest:
        key, eq, val = p.partition(b"=")
        k = key.decode("ascii", "replace").upper()
        if not eq or k in fields or k not in ("UID", "SECTION", "PARTIAL"):
            raise UrlError(f"unsupported URL part {k}")
        fields[k] = _decode(val).decode("utf-8", "replace")
        order.append(k)
    if order[:1] != ["UID"] or order != sorted(order, key=("UID", "SECTION", "PARTIAL").index):
        raise UrlError("a URL must name a message by ;UID=")
    uid = _nz(fields["UID"])
    sec = _section(fields["SECTION"]) if "SECTION" in fields else None
    partial: tuple[int, int | None] | None = None
    if "PARTIAL" in fields:
        off, dot, length = fields["PARTIAL"].partition(".")
        if not _NUM.fullmatch(off):
            raise UrlError("bad partial")
        partial = (int(off), _nz(length) if dot else None)
    return MessageUrl(mailbox, uidvalidity, uid, sec, partial)


def _section(text: str) -> Section:
    c = Cursor([b"[" + text.encode("utf-8") + b"]"], [])
    try:
        sec = section(c)
        c.end()
    except (ParseError, ValueError, IndexError):
        raise UrlError("bad section") from None
    return sec
