"""BODY[section]<partial> and BINARY[section] byte extraction (sans-I/O planning + reads)."""

from __future__ import annotations

from dataclasses import dataclass

from services.common import mime
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.imap.grammar import Section


class UnknownCteError(ValueError):
    """BINARY of a part with an unknown Content-Transfer-Encoding."""


@dataclass(frozen=True)
class Source:
    """Where a section's bytes come from: header bytes held in memory, or a blob range."""

    data: bytes | None = None  # in-memory bytes (top-level header)
    start: int = 0
    end: int = 0
    nil: bool = False  # no such part


def filter_header(header: bytes, fields: tuple[str, ...], exclude: bool) -> bytes:
    """Header lines whose field name is (not) in `fields`, with the terminating blank line."""
    wanted = {f.lower() for f in fields}
    out: list[bytes] = []
    keep = False
    lines = header.split(b"\n")
    for i, line in enumerate(lines):
        if i == len(lines) - 1 and line == b"":
            break
        text = line + b"\n"
        if line in (b"", b"\r"):
            break
        if line[:1] in (b" ", b"\t"):
            if keep:
                out.append(text)
            continue
        name = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        keep = (name in wanted) != exclude
        if keep:
            out.append(text)
    out.append(b"\r\n")
    return b"".join(out)


def locate(summary: mime_pb.MessageSummary, size: int, section: Section) -> Source:
    """Plans the bytes of BODY[section] without reading the blob."""
    if not section.part:
        if section.kind in ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            return (
                Source(data=summary.raw_header)
                if summary.raw_header or summary.header_size == 0
                else Source(start=0, end=summary.header_size)
            )
        if section.kind == "TEXT":
            return Source(start=summary.header_size, end=size)
        return Source(start=0, end=size)
    part = mime.find_part(summary.body, list(section.part))
    if part is None:
        return Source(nil=True)
    if section.kind == "":
        return Source(start=part.body_offset, end=part.end_offset)
    if section.kind == "MIME":
        return Source(start=part.header_offset, end=part.body_offset)
    if not mime.is_message(part):
        # HEADER / TEXT of a part that is not a message: empty, as Dovecot answers (the part
        # exists; NIL stays for parts that do not)
        return Source(data=b"")
    child = part.parts[0]
    if section.kind == "TEXT":
        return Source(start=child.body_offset, end=child.end_offset)
    return Source(start=child.header_offset, end=child.body_offset)


def binary_part(summary: mime_pb.MessageSummary, section: Section) -> mime_pb.BodyPart | None:
    if not section.part:
        return None
    return mime.find_part(summary.body, list(section.part))


def decode_binary(data: bytes, encoding: str) -> bytes:
    enc = (encoding or "7BIT").upper()
    if enc not in ("7BIT", "8BIT", "BINARY", "BASE64", "QUOTED-PRINTABLE"):
        raise UnknownCteError(enc)
    return mime.decode_body(data, enc)


def apply_filter(section: Section, data: bytes) -> bytes:
    if section.kind == "HEADER.FIELDS":
        return filter_header(data, section.fields, False)
    if section.kind == "HEADER.FIELDS.NOT":
        return filter_header(data, section.fields, True)
    return data
