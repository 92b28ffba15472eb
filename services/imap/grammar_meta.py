"""Argument grammar of GETMETADATA and SETMETADATA (RFC 5464 5); the table that names them is
services.imap.grammar.COMMANDS."""

from __future__ import annotations

from dataclasses import dataclass

from services.common import metaentries
from services.imap.cursor import Cursor, ParseError


@dataclass(frozen=True, slots=True)
class GetMetadataArgs:
    mailbox: bytes
    entries: tuple[str, ...]  # canonical (lower case) entry names
    max_size: int = 0  # 0 = no MAXSIZE
    depth: int = 0  # 0, 1 or metaentries.DEPTH_INFINITY


@dataclass(frozen=True, slots=True)
class SetMetadataArgs:
    mailbox: bytes
    entries: tuple[tuple[str, bytes | None], ...]  # (canonical name, value or None = NIL)


def _entry(c: Cursor) -> str:
    raw = c.astring()
    name = metaentries.entry_name(raw.decode("utf-8", "replace"))
    if name is None:
        raise ParseError("Bad metadata entry name")
    return name


def _options(c: Cursor, out: dict[str, int]) -> None:
    """ "(" option *(SP option) ")": MAXSIZE n, DEPTH 0 / 1 / infinity."""

    def option() -> None:
        word = c.atom_upper()
        c.sp()
        if word == "MAXSIZE" and "max_size" not in out:
            out["max_size"] = c.number32(nonzero=True)
        elif word == "DEPTH" and "depth" not in out:
            if c.keyword("INFINITY"):
                out["depth"] = metaentries.DEPTH_INFINITY
            else:
                d = c.number()
                if d not in (0, 1):
                    raise ParseError("DEPTH is 0, 1 or infinity")
                out["depth"] = d
        else:
            raise ParseError(f"Unknown or repeated GETMETADATA option {word[:20]}")

    c.paren_list(option, allow_empty=False)


def _is_options(c: Cursor) -> bool:
    seg = c.seg
    return c.peek() == ord("(") and seg[c.p + 1 : c.p + 2].upper() in (b"M", b"D")


def _getmetadata(c: Cursor) -> GetMetadataArgs:
    opts: dict[str, int] = {}
    c.sp()
    if _is_options(c):
        _options(c, opts)
        c.sp()
    mailbox = c.astring()
    c.sp()
    if _is_options(c):  # the option position of the drafts, still sent by some clients
        _options(c, opts)
        c.sp()
    if c.peek() == ord("("):
        entries = [str(e) for e in c.paren_list(lambda: _entry(c), allow_empty=False)]
    else:
        entries = [_entry(c)]
    if len(entries) > metaentries.MAX_PER_COMMAND:
        raise ParseError("Too many entries")
    return GetMetadataArgs(mailbox, tuple(entries), opts.get("max_size", 0), opts.get("depth", 0))


def _setmetadata(c: Cursor) -> SetMetadataArgs:
    c.sp()
    mailbox = c.astring()
    c.sp()

    def pair() -> tuple[str, bytes | None]:
        name = _entry(c)
        c.sp()
        return name, c.nstring()

    entries = [p for p in c.paren_list(pair, allow_empty=False) if isinstance(p, tuple)]
    if len(entries) > metaentries.MAX_PER_COMMAND:
        raise ParseError("Too many entries")
    return SetMetadataArgs(mailbox, tuple(entries))


# -- ACL (RFC 4314 3) ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AclArgs:
    mailbox: bytes
    identifier: str = ""
    rights: str = ""  # SETACL: as sent, with its optional leading + or -


def _identifier(c: Cursor) -> str:
    raw = c.astring()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("Bad identifier") from None


def _setacl(c: Cursor) -> AclArgs:
    c.sp()
    mailbox = c.astring()
    c.sp()
    ident = _identifier(c)
    c.sp()
    rights = c.astring().decode("ascii", "replace")
    return AclArgs(mailbox, ident, rights)


def _deleteacl(c: Cursor) -> AclArgs:
    c.sp()
    mailbox = c.astring()
    c.sp()
    return AclArgs(mailbox, _identifier(c))


def _listrights(c: Cursor) -> AclArgs:
    return _deleteacl(c)


def _getacl(c: Cursor) -> AclArgs:
    c.sp()
    return AclArgs(c.astring())


def _myrights(c: Cursor) -> AclArgs:
    return _getacl(c)
