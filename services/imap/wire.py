"""Response formatting: IMAP values to bytes (sans-I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common.imapstrings import NIL as NIL
from services.common.imapstrings import plist as plist
from services.common.imapstrings import string as string


@dataclass(frozen=True)
class Atom:
    """Emitted verbatim (atoms, flags, numbers as text, pre-rendered fragments)."""

    text: str


@dataclass(frozen=True)
class Raw:
    """Pre-rendered bytes, emitted verbatim."""

    data: bytes


@dataclass(frozen=True)
class Literal:
    """Always sent as a literal (message bodies)."""

    data: bytes


Value = None | int | str | bytes | Atom | Raw | Literal | Sequence["Value"]


def literal(data: bytes) -> bytes:
    """A non-binary literal: CHAR8 excludes NUL (RFC 3501/9051), so NUL goes out as 0x80,
    as Dovecot does; the length is unchanged. BINARY uses literal8."""
    if b"\x00" in data:
        data = data.replace(b"\x00", b"\x80")
    return b"{%d}\r\n" % len(data) + data


def literal8(data: bytes) -> bytes:
    """RFC 3516 literal8 (`~{n}`): any octets, for BINARY[] responses."""
    return b"~{%d}\r\n" % len(data) + data


def nstring(data: bytes | str | None) -> bytes:
    return NIL if data is None else string(data)


_ATOM_SPECIALS = set(b'(){ %*"\\]') | set(range(0, 0x20)) | {0x7F}


def astring(data: bytes | str) -> bytes:
    """Atom when every byte is an ATOM-CHAR (or ']'-free resp-special free), else string."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data and all(b < 0x80 and b not in _ATOM_SPECIALS for b in data) and data.upper() != b"NIL":
        return data
    return string(data)


def render(value: Value) -> bytes:
    """Renders a nested value: None -> NIL, int -> number, str/bytes -> string, list -> (...)."""
    if value is None:
        return NIL
    if isinstance(value, bool):
        raise TypeError("bool is not an IMAP value")
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, Atom):
        return value.text.encode("utf-8")
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, Literal):
        return literal(value.data)
    if isinstance(value, bytes | str):
        return string(value)
    return b"(" + b" ".join(render(v) for v in value) + b")"


def untagged(text: bytes | str) -> bytes:
    if isinstance(text, str):
        text = text.encode("utf-8")
    return b"* " + text + b"\r\n"


def tagged(tag: str, status: str, text: str, code: str | None = None) -> bytes:
    c = f"[{code}] " if code else ""
    return f"{tag} {status} {c}{_clean(text)}\r\n".encode()


def cont(text: str = "Ready") -> bytes:
    return f"+ {_clean(text)}\r\n".encode()


def _clean(text: str) -> str:
    """Human-readable resp-text: no CR/LF, ASCII only, never empty."""
    t = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text)
    return t or "OK"
