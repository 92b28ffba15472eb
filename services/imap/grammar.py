"""Command grammar (RFC 3501 / RFC 9051 and extensions): segments + literals -> Command."""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.imap.cursor import Cursor, ParseError
from services.imap.grammar_meta import (
    _deleteacl,
    _getacl,
    _getmetadata,
    _listrights,
    _myrights,
    _setacl,
    _setmetadata,
)
from services.imap.grammar_notify import _notify
from services.imap.wire import astring

__all__ = ["Command", "ParseError", "parse_command"]

MAX_SEARCH_DEPTH = 16
MAX_SEQ_RANGES = 10000

SeqSet = tuple[tuple[int | None, int | None], ...]  # None = "*"


@dataclass
class Command:
    tag: str
    name: str
    uid: bool = False
    args: Any = None


# -- argument records (Command.args of each command; see COMMANDS) ----------------
@dataclass(frozen=True, slots=True)
class Section:
    part: tuple[int, ...] = ()
    kind: str = ""  # "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
    fields: tuple[str, ...] = ()

    def render(self) -> str:
        s = ".".join(str(p) for p in self.part)
        if self.kind:
            s = f"{s}.{self.kind}" if s else self.kind
        if self.kind.startswith("HEADER.FIELDS"):
            s += " (" + " ".join(astring(f.encode()).decode("ascii", "replace") for f in self.fields) + ")"
        return s


@dataclass(frozen=True, slots=True)
class FetchAtt:
    name: str  # ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY
    # BODYSTRUCTURE UID MODSEQ BODY[] BINARY[] BINARY.SIZE[] SAVEDATE EMAILID THREADID PREVIEW
    section: Section | None = None
    peek: bool = False
    partial: tuple[int, int] | None = None
    lazy: bool = False  # PREVIEW (LAZY) (RFC 8970 3)


@dataclass(frozen=True, slots=True)
class LoginArgs:
    user: bytes
    password: bytes


@dataclass(frozen=True, slots=True)
class AuthenticateArgs:
    mechanism: str  # upper case
    initial: bytes | None = None  # SASL-IR initial response, still base64


@dataclass(frozen=True, slots=True)
class CreateArgs:
    mailbox: bytes
    use: tuple[str, ...] = ()  # CREATE-SPECIAL-USE (RFC 6154)


@dataclass(frozen=True, slots=True)
class RenameArgs:
    old: bytes
    new: bytes


@dataclass(frozen=True, slots=True)
class FetchArgs:
    seqset: SeqSet
    atts: tuple[FetchAtt, ...]
    changed_since: int | None = None
    vanished: bool = False


@dataclass(frozen=True, slots=True)
class StoreArgs:
    seqset: SeqSet
    mode: str  # REPLACE ADD REMOVE
    silent: bool
    flags: tuple[str, ...]
    unchanged_since: int | None = None


@dataclass(frozen=True, slots=True)
class SearchArgs:
    key: tuple[Any, ...]
    charset: str | None = None
    ret: tuple[str, ...] | None = None  # ESEARCH RETURN options; None = plain SEARCH
    partial: tuple[int, int] | None = None  # RETURN (PARTIAL low:high) (RFC 5267 4.4)


@dataclass(frozen=True, slots=True)
class QresyncArgs:
    """SELECT / EXAMINE (QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])) (RFC 7162)."""

    uidvalidity: int
    modseq: int
    known_uids: SeqSet | None = None
    seq_match: tuple[SeqSet, SeqSet] | None = None  # (known sequence numbers, their UIDs)


@dataclass(frozen=True, slots=True)
class SelectArgs:
    mailbox: bytes
    condstore: bool = False
    qresync: QresyncArgs | None = None


@dataclass(frozen=True, slots=True)
class ListArgs:
    ref: bytes
    patterns: tuple[bytes, ...]
    select: tuple[str, ...] = ()
    ret: tuple[str, ...] = ()
    status_items: tuple[str, ...] = ()
    lsub: bool = False
    extended: bool = False


@dataclass(frozen=True, slots=True)
class CatUrl:
    """A CATENATE URL part (RFC 4469 5): the IMAP URL as sent, resolved by the handler."""

    url: bytes


@dataclass(frozen=True, slots=True)
class AppendMessage:
    """One message of APPEND (several with MULTIAPPEND, RFC 3502)."""

    flags: tuple[str, ...]
    date: int | None
    message: bytes = b""  # the literal, unless catenate
    catenate: tuple[bytes | CatUrl, ...] | None = None  # RFC 4469: TEXT literals and URLs
    utf8: bool = False  # RFC 6855 4: sent as UTF8 (literal8)


@dataclass(frozen=True, slots=True)
class AppendArgs:
    mailbox: bytes
    messages: tuple[AppendMessage, ...]


@dataclass(frozen=True, slots=True)
class StatusArgs:
    mailbox: bytes
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CopyArgs:
    seqset: SeqSet
    mailbox: bytes


# -- helpers ------------------------------------------------------------------------
def seq_number(c: Cursor) -> int | None:
    if c.maybe("*"):
        return None
    return c.number32(nonzero=True)


SAVED = (-1, -1)  # "$": the result saved by SEARCH RETURN (SAVE) (RFC 5182)


def seqset(c: Cursor) -> SeqSet:
    out: list[tuple[int | None, int | None]] = []
    if c.maybe("$"):
        return (SAVED,)
    while True:
        a = seq_number(c)
        b = seq_number(c) if c.maybe(":") else a
        out.append((a, b))
        if len(out) > MAX_SEQ_RANGES:
            raise ParseError("Sequence set too long")
        if not c.maybe(","):
            return tuple(out)


_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DATE_RE = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
_DATETIME_RE = re.compile(r"^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$")


def date(c: Cursor) -> int:
    """search date -> unix seconds at 00:00 UTC of that day."""
    if c.peek() == 0x22:
        text = c.quoted().decode("ascii", "replace")
    else:
        text = c._take_astring(frozenset(b' ()"') | frozenset(range(0x20))).decode("ascii", "replace")
    m = _DATE_RE.match(text)
    if not m or m.group(2).upper() not in _MONTHS:
        raise ParseError("Bad date")
    day, mon, year = int(m.group(1)), _MONTHS[m.group(2).upper()], int(m.group(3))
    try:
        d = datetime.date(year, mon, day)
    except ValueError:
        raise ParseError("Bad date") from None
    return calendar.timegm(d.timetuple())


def date_time(c: Cursor) -> int:
    text = c.quoted().decode("ascii", "replace")
    m = _DATETIME_RE.match(text)
    if not m or m.group(2).upper() not in _MONTHS:
        raise ParseError("Bad date-time")
    try:
        dt = datetime.datetime(
            int(m.group(3)),
            _MONTHS[m.group(2).upper()],
            int(m.group(1).strip()),
            int(m.group(4)),
            int(m.group(5)),
            int(m.group(6)),
        )
    except ValueError:
        raise ParseError("Bad date-time") from None
    off = (int(m.group(8)) * 60 + int(m.group(9))) * 60
    if m.group(7) == "-":
        off = -off
    return calendar.timegm(dt.timetuple()) - off


def mailbox(c: Cursor) -> bytes:
    return c.astring()


# -- per-command argument parsers ---------------------------------------------------
def _none(c: Cursor) -> None:
    return None


def _login(c: Cursor) -> LoginArgs:
    c.sp()
    user = c.astring()
    c.sp()
    pw = c.astring()
    return LoginArgs(user, pw)


def _authenticate(c: Cursor) -> AuthenticateArgs:
    c.sp()
    mech = c.atom_upper()
    initial = None
    if c.maybe_sp():
        seg = c.seg
        initial = seg[c.p :]
        c.p = len(seg)
        if not initial or not re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", initial):
            raise ParseError("Bad initial response")
    return AuthenticateArgs(mech, initial)


def _mailbox_only(c: Cursor) -> bytes:
    c.sp()
    return mailbox(c)


def _create(c: Cursor) -> CreateArgs:
    c.sp()
    name = mailbox(c)
    use: list[str] = []
    if c.maybe_sp():
        c.char("(")
        if not c.keyword("USE"):
            raise ParseError("Unknown CREATE parameter")
        c.sp()
        use = c.flag_list()
        c.char(")")
    return CreateArgs(name, tuple(use))


def _rename(c: Cursor) -> RenameArgs:
    c.sp()
    a = mailbox(c)
    c.sp()
    b = mailbox(c)
    return RenameArgs(a, b)


def _select(c: Cursor) -> SelectArgs:
    c.sp()
    name = mailbox(c)
    condstore = False
    qresync: QresyncArgs | None = None
    if c.maybe_sp():
        c.char("(")
        while True:
            word = c.atom_upper()
            if word == "CONDSTORE":
                condstore = True
            elif word == "QRESYNC":
                c.sp()
                c.char("(")
                uidval = c.number32(nonzero=True)
                c.sp()
                modseq = c.number64()
                known: SeqSet | None = None
                match: tuple[SeqSet, SeqSet] | None = None
                if c.maybe_sp():
                    if c.peek() != ord("("):
                        known = seqset(c)
                        c.maybe_sp()
                    if c.maybe("("):
                        s1 = seqset(c)
                        c.sp()
                        s2 = seqset(c)
                        c.char(")")
                        match = (s1, s2)
                c.char(")")
                qresync = QresyncArgs(uidval, modseq, known, match)
            else:
                raise ParseError(f"Unknown SELECT parameter {word}")
            if c.maybe(")"):
                break
            c.sp()
    return SelectArgs(name, condstore, qresync)


def _list(c: Cursor) -> ListArgs:
    c.sp()
    select: list[str] = []
    extended = False
    if c.peek() == ord("("):
        extended = True
        select = [str(x).upper() for x in c.paren_list(c.atom)]
        c.sp()
    ref = mailbox(c)
    c.sp()
    if c.peek() == ord("("):
        extended = True
        patterns = [bytes(p) for p in c.paren_list(c.list_mailbox, allow_empty=False)]  # type: ignore[call-overload]
    else:
        patterns = [c.list_mailbox()]
    ret: list[str] = []
    status_items: list[str] = []
    if c.maybe_sp():
        if not c.keyword("RETURN"):
            raise ParseError("Expected RETURN")
        c.sp()
        extended = True
        c.char("(")
        if not c.maybe(")"):
            while True:
                opt = c.atom_upper()
                if opt == "STATUS":
                    c.sp()
                    status_items = [str(x).upper() for x in c.paren_list(c.atom, allow_empty=False)]
                ret.append(opt)
                if c.maybe(")"):
                    break
                c.sp()
    return ListArgs(ref, tuple(patterns), tuple(select), tuple(ret), tuple(status_items), extended=extended)


def _lsub(c: Cursor) -> ListArgs:
    c.sp()
    ref = mailbox(c)
    c.sp()
    return ListArgs(ref, (c.list_mailbox(),), lsub=True)


def _status(c: Cursor) -> StatusArgs:
    c.sp()
    name = mailbox(c)
    c.sp()
    items = [str(x).upper() for x in c.paren_list(c.atom, allow_empty=False)]
    return StatusArgs(name, tuple(items))


MAX_CATENATE_PARTS = 64


def _append(c: Cursor) -> AppendArgs:
    """APPEND SP mailbox 1*append-message (RFC 3502 MULTIAPPEND); append-data is a literal, a
    literal8, UTF8 (literal8) (RFC 6855 4) or CATENATE (cat-part ...) (RFC 4469 5)."""
    c.sp()
    name = mailbox(c)
    c.sp()
    messages = [_append_message(c)]
    while c.maybe_sp():
        messages.append(_append_message(c))
    return AppendArgs(name, tuple(messages))


def _append_message(c: Cursor) -> AppendMessage:
    flags: list[str] = []
    when: int | None = None
    if c.peek() == ord("("):
        flags = c.flag_list()
        c.sp()
    if c.peek() == 0x22:
        when = date_time(c)
        c.sp()
    if c.keyword("CATENATE"):
        c.sp()
        parts = c.paren_list(lambda: _cat_part(c), allow_empty=False)
        if len(parts) > MAX_CATENATE_PARTS:
            raise ParseError("Too many CATENATE parts")
        return AppendMessage(tuple(flags), when, catenate=tuple(parts))  # type: ignore[arg-type]
    if c.keyword("UTF8"):
        c.sp()
        c.char("(")
        msg = _literal8(c)
        c.char(")")
        return AppendMessage(tuple(flags), when, msg, utf8=True)
    if not c.is_literal():
        raise c.fail("message literal")
    return AppendMessage(tuple(flags), when, c.literal())


def _literal8(c: Cursor) -> bytes:
    """literal8 (RFC 3516 `~{n}`); a plain literal is accepted as well."""
    if not c.is_literal():
        raise c.fail("literal8")
    return c.literal()


def _cat_part(c: Cursor) -> bytes | CatUrl:
    word = c.atom_upper()
    c.sp()
    if word == "TEXT":
        if not c.is_literal():
            raise c.fail("TEXT literal")
        return c.literal()
    if word == "URL":
        return CatUrl(c.astring())
    if word == "UTF8":  # RFC 6855 4: cat-part =/ utf8-literal
        c.char("(")
        data = _literal8(c)
        c.char(")")
        return data
    raise ParseError(f"Unknown CATENATE part {word}")


def _enable(c: Cursor) -> list[str]:
    caps: list[str] = []
    while c.maybe_sp():
        caps.append(c.atom_upper())
    if not caps:
        raise c.fail("capability")
    return caps


def _id(c: Cursor) -> list[tuple[bytes, bytes | None]] | None:
    c.sp()
    if c.keyword("NIL"):
        return None
    c.char("(")
    out: list[tuple[bytes, bytes | None]] = []
    if c.maybe(")"):
        return out
    while True:
        k = c.string()
        c.sp()
        v = c.nstring()
        out.append((k, v))
        if len(out) > 30:
            raise ParseError("Too many ID fields")
        if c.maybe(")"):
            return out
        c.sp()


def _expunge(c: Cursor) -> SeqSet | None:
    return None


def _uid_expunge(c: Cursor) -> SeqSet:
    c.sp()
    return seqset(c)


def _copy(c: Cursor) -> CopyArgs:
    c.sp()
    s = seqset(c)
    c.sp()
    return CopyArgs(s, mailbox(c))


def _store(c: Cursor) -> StoreArgs:
    c.sp()
    s = seqset(c)
    c.sp()
    unchanged: int | None = None
    if c.maybe("("):
        if not c.keyword("UNCHANGEDSINCE"):
            raise ParseError("Unknown STORE modifier")
        c.sp()
        unchanged = c.number64()
        c.char(")")
        c.sp()
    word = c.atom_upper()
    mode = {"FLAGS": "REPLACE", "+FLAGS": "ADD", "-FLAGS": "REMOVE"}
    silent = False
    if word.endswith(".SILENT"):
        silent = True
        word = word[: -len(".SILENT")]
    if word not in mode:
        raise ParseError("Expected FLAGS, +FLAGS or -FLAGS")
    c.sp()
    if c.peek() == ord("("):
        flags = c.flag_list()
    else:
        flags = [c.flag()]
        while c.maybe_sp():
            flags.append(c.flag())
    for f in flags:
        if f == "\\*" or (f.startswith("\\") and f.upper() == "\\RECENT"):
            raise ParseError(f"Cannot store {f}")
    return StoreArgs(s, mode[word], silent, tuple(flags), unchanged)


# FETCH -----------------------------------------------------------------------------
_SIMPLE_ATTS = {
    "ENVELOPE",
    "FLAGS",
    "INTERNALDATE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.SIZE",
    "RFC822.TEXT",
    "BODYSTRUCTURE",
    "UID",
    "MODSEQ",
    "SAVEDATE",
    "EMAILID",
    "THREADID",
}
_MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}


def _section(c: Cursor, binary: bool = False) -> Section:
    c.char("[")
    parts: list[int] = []
    kind = ""
    fields: tuple[str, ...] = ()
    if c.maybe("]"):
        return Section()
    while c.peek() is not None and 0x30 <= (c.peek() or 0) <= 0x39:
        n = c.number32(nonzero=True)
        parts.append(n)
        if len(parts) > 32:
            raise ParseError("Section too deep")
        if not c.maybe("."):
            break
    else:
        pass
    if not binary and (not parts or c.seg[c.p - 1 : c.p] == b"."):
        word = c.atom_upper()
        if word in ("HEADER", "TEXT") or (word == "MIME" and parts):
            kind = word
        elif word in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            kind = word
            c.sp()
            fields = tuple(bytes(f).decode("ascii", "replace") for f in c.paren_list(c.astring, False))  # type: ignore[call-overload]
        else:
            raise ParseError("Bad section")
    elif parts and c.seg[c.p - 1 : c.p] == b".":
        raise ParseError("Bad section")
    c.char("]")
    return Section(tuple(parts), kind, fields)


def section(c: Cursor) -> Section:
    """A `[section-spec]` on its own (the SECTION of an IMAP URL, services.imap.imapurl)."""
    return _section(c)


def _partial(c: Cursor) -> tuple[int, int] | None:
    if not c.maybe("<"):
        return None
    start = c.number32()
    c.char(".")
    n = c.number32(nonzero=True)
    c.char(">")
    return start, n


def _fetch_att(c: Cursor) -> list[FetchAtt]:
    word = c.atom_upper()
    if word in _SIMPLE_ATTS:
        return [FetchAtt(word)]
    if word == "PREVIEW":  # RFC 8970 7: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]
        lazy = False
        if c.seg[c.p : c.p + 6].upper() == b" (LAZY":  # not FETCH 1 PREVIEW (CHANGEDSINCE 5)
            c.p += 1
            for mod in c.paren_list(c.atom_upper, allow_empty=False):
                if mod != "LAZY":
                    raise ParseError(f"Unknown PREVIEW modifier {mod}")
                lazy = True
        return [FetchAtt("PREVIEW", lazy=lazy)]
    if word in ("BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"):
        if c.peek() != ord("["):
            if word == "BODY":
                return [FetchAtt("BODY")]
            raise ParseError(f"{word} needs a section")
        binary = word.startswith("BINARY")
        sec = _section(c, binary)
        if word == "BINARY.SIZE":
            return [FetchAtt("BINARY.SIZE", sec)]
        part = _partial(c)
        base = "BINARY" if binary else "BODY"
        return [FetchAtt(base + "[]", sec, word.endswith(".PEEK"), part)]
    raise ParseError(f"Unknown FETCH item {word}")


def _fetch(c: Cursor) -> FetchArgs:
    c.sp()
    s = seqset(c)
    c.sp()
    atts: list[FetchAtt] = []
    if c.peek() == ord("("):
        for group in c.paren_list(lambda: _fetch_att(c), allow_empty=False):
            atts.extend(group)  # type: ignore[arg-type]
    else:
        save = (c.i, c.p)
        word = c.atom_upper()
        if word in _MACROS:
            atts = [FetchAtt(w) for w in _MACROS[word]]
        else:
            c.i, c.p = save
            atts = _fetch_att(c)
    changed_since: int | None = None
    vanished = False
    if c.maybe_sp():
        c.char("(")
        while True:
            word = c.atom_upper()
            if word == "CHANGEDSINCE":
                c.sp()
                changed_since = c.number64()
            elif word == "VANISHED":
                vanished = True
            else:
                raise ParseError(f"Unknown FETCH modifier {word}")
            if c.maybe(")"):
                break
            c.sp()
        if vanished and changed_since is None:
            raise ParseError("VANISHED needs CHANGEDSINCE")
    return FetchArgs(s, tuple(atts), changed_since, vanished)


# SEARCH ----------------------------------------------------------------------------
_FLAG_KEYS = {
    "ANSWERED": ("FLAG", "\\Answered"),
    "DELETED": ("FLAG", "\\Deleted"),
    "DRAFT": ("FLAG", "\\Draft"),
    "FLAGGED": ("FLAG", "\\Flagged"),
    "SEEN": ("FLAG", "\\Seen"),
    "UNANSWERED": ("NOFLAG", "\\Answered"),
    "UNDELETED": ("NOFLAG", "\\Deleted"),
    "UNDRAFT": ("NOFLAG", "\\Draft"),
    "UNFLAGGED": ("NOFLAG", "\\Flagged"),
    "UNSEEN": ("NOFLAG", "\\Seen"),
}
_OBJECTID = re.compile(r"[A-Za-z0-9_-]{1,255}")  # RFC 8474 objectid
_HEADER_KEYS = {"BCC": "bcc", "CC": "cc", "FROM": "from", "SUBJECT": "subject", "TO": "to"}
_DATE_KEYS = {"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"}


def _search_key(c: Cursor, depth: int) -> tuple[Any, ...]:
    if depth > MAX_SEARCH_DEPTH:
        raise ParseError("Search too deeply nested")
    b = c.peek()
    if b == ord("("):
        c.p += 1
        keys = [_search_key(c, depth + 1)]
        while not c.maybe(")"):
            c.sp()
            keys.append(_search_key(c, depth + 1))
            if len(keys) > 1000:
                raise ParseError("Too many search keys")
        return ("AND", keys)
    if b is not None and (0x30 <= b <= 0x39 or b == ord("*")):
        return ("SEQ", seqset(c))
    if b == ord("$"):
        return ("SEQ", seqset(c))
    word = c.atom_upper()
    if word in _FLAG_KEYS:
        return _FLAG_KEYS[word]
    if word in ("ALL", "NEW", "OLD", "RECENT"):
        return (word,)
    if word in ("KEYWORD", "UNKEYWORD"):
        c.sp()
        return ("FLAG" if word == "KEYWORD" else "NOFLAG", c.atom())
    if word in _HEADER_KEYS:
        c.sp()
        return ("HEADER", _HEADER_KEYS[word], c.astring())
    if word in ("BODY", "TEXT"):
        c.sp()
        return (word, c.astring())
    if word == "HEADER":
        c.sp()
        name = c.astring()
        c.sp()
        return ("HEADER", name.decode("ascii", "replace").lower(), c.astring())
    if word in _DATE_KEYS:
        c.sp()
        return (word, date(c))
    if word in ("SAVEDBEFORE", "SAVEDON", "SAVEDSINCE"):  # RFC 8514 4.3
        c.sp()
        return (word, date(c))
    if word == "SAVEDATESUPPORTED":  # every mailbox records save dates: all messages match
        return ("ALL",)
    if word in ("LARGER", "SMALLER"):
        c.sp()
        return (word, c.number())
    if word == "UID":
        c.sp()
        return ("UID", seqset(c))
    if word == "NOT":
        c.sp()
        return ("NOT", _search_key(c, depth + 1))
    if word == "OR":
        c.sp()
        a = _search_key(c, depth + 1)
        c.sp()
        return ("OR", a, _search_key(c, depth + 1))
    if word == "MODSEQ":
        c.sp()
        if c.peek() == 0x22:  # entry-name entry-type-req
            c.quoted()
            c.sp()
            c.atom()
            c.sp()
        return ("MODSEQ", c.number64())
    if word in ("OLDER", "YOUNGER"):
        c.sp()
        return (word, c.number32(nonzero=True))
    if word in ("EMAILID", "THREADID"):  # RFC 8474 6
        c.sp()
        oid = c.atom()
        if not _OBJECTID.fullmatch(oid):
            raise ParseError(f"Invalid objectid for {word}")
        return (word, oid)
    raise ParseError(f"Unknown search key {word}")


def _search(c: Cursor) -> SearchArgs:
    c.sp()
    ret: list[str] | None = None
    charset: str | None = None
    partial: tuple[int, int] | None = None
    if c.keyword("RETURN"):
        c.sp()
        ret, partial = _return_options(c, ("MIN", "MAX", "ALL", "COUNT", "SAVE", "UPDATE", "CONTEXT"))
        c.sp()
    if c.keyword("CHARSET"):
        c.sp()
        charset = c.astring().decode("ascii", "replace").upper()
        c.sp()
    return SearchArgs(_search_keys(c), charset, None if ret is None else tuple(ret), partial)


def _return_options(c: Cursor, allowed: tuple[str, ...]) -> tuple[list[str], tuple[int, int] | None]:
    """`(` [return-opt *(SP return-opt)] `)` of ESEARCH (RFC 4731) / ESORT, with RFC 5267 4.4
    PARTIAL low:high (positions in the result, from 1; given either way round)."""
    ret: list[str] = []
    partial: tuple[int, int] | None = None

    def option() -> None:
        nonlocal partial
        word = c.atom_upper()
        if word == "PARTIAL" and partial is None:
            c.sp()
            low = c.number32(nonzero=True)
            c.char(":")
            high = c.number32(nonzero=True)
            partial = (min(low, high), max(low, high))
        elif word not in allowed:
            raise ParseError(f"Unknown RETURN option {word}")
        ret.append(word)

    c.paren_list(option)
    if ret.count("ALL") + ret.count("PARTIAL") > 1:
        raise ParseError("At most one of PARTIAL and ALL")  # RFC 5267 4.4
    return ret, partial


def _search_keys(c: Cursor) -> tuple[Any, ...]:
    """1*(SP search-key) as one key: the key itself, or ("AND", keys)."""
    keys = [_search_key(c, 1)]
    while c.maybe_sp():
        keys.append(_search_key(c, 1))
        if len(keys) > 1000:
            raise ParseError("Too many search keys")
    return ("AND", keys) if len(keys) > 1 else keys[0]


# SORT / THREAD (RFC 5256, RFC 5267 ESORT, RFC 5957 DISPLAY) -------------------------
SORT_KEYS = frozenset({"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"})
THREAD_ALGORITHMS = ("ORDEREDSUBJECT", "REFERENCES")


@dataclass(frozen=True, slots=True)
class SortArgs:
    criteria: tuple[tuple[str, bool], ...]  # (sort key, REVERSE)
    charset: str
    key: tuple[Any, ...]
    ret: tuple[str, ...] | None = None  # ESORT RETURN options; None = plain SORT
    partial: tuple[int, int] | None = None  # RETURN (PARTIAL low:high) (RFC 5267 4.4)


@dataclass(frozen=True, slots=True)
class ThreadArgs:
    algorithm: str
    charset: str
    key: tuple[Any, ...]


def _charset_and_keys(c: Cursor) -> tuple[str, tuple[Any, ...]]:
    """SP charset 1*(SP search-key) of SORT and THREAD (the charset is not optional there)."""
    c.sp()
    charset = c.astring().decode("ascii", "replace").upper()
    c.sp()
    return charset, _search_keys(c)


def _sort_criterion(c: Cursor) -> tuple[str, bool]:
    word = c.atom_upper()
    reverse = word == "REVERSE"
    if reverse:
        c.sp()
        word = c.atom_upper()
    if word not in SORT_KEYS:
        raise ParseError(f"Unknown sort key {word}")
    return word, reverse


def _sort(c: Cursor) -> SortArgs:
    c.sp()
    ret: list[str] | None = None
    partial: tuple[int, int] | None = None
    if c.keyword("RETURN"):  # RFC 5267 ESORT
        c.sp()
        ret, partial = _return_options(c, ("MIN", "MAX", "ALL", "COUNT", "UPDATE", "CONTEXT"))
        c.sp()
    criteria = [x for x in c.paren_list(lambda: _sort_criterion(c), allow_empty=False)]
    charset, key = _charset_and_keys(c)
    return SortArgs(tuple(criteria), charset, key, None if ret is None else tuple(ret), partial)  # type: ignore[arg-type]


def _thread(c: Cursor) -> ThreadArgs:
    c.sp()
    algorithm = c.atom_upper()
    if algorithm not in THREAD_ALGORITHMS:
        raise ParseError(f"Unknown threading algorithm {algorithm}")
    charset, key = _charset_and_keys(c)
    return ThreadArgs(algorithm, charset, key)


def _compress(c: Cursor) -> str:
    """COMPRESS SP algorithm (RFC 4978 3)."""
    c.sp()
    return c.atom_upper()


def _cancelupdate(c: Cursor) -> tuple[str, ...]:
    """CANCELUPDATE 1*(SP tag-string) (RFC 5267 4.3)."""
    tags = []
    while c.maybe_sp():
        tags.append(c.string().decode("ascii", "replace"))
    if not tags:
        raise c.fail("tag")
    return tuple(tags)


def _getquota(c: Cursor) -> bytes:
    c.sp()
    return c.astring()


def _setquota(c: Cursor) -> tuple[bytes, list[object]]:
    c.sp()
    root = c.astring()
    c.sp()

    def item() -> str:
        name = c.atom()
        c.sp()
        return f"{name} {c.number()}"

    items = c.paren_list(item)
    return root, items


# -- the table ----------------------------------------------------------------------
NONAUTH, AUTH, SELECTED = "nonauth", "auth", "selected"
LOGOUT = "logout"  # the session is over; no command runs in it
ANY = frozenset({NONAUTH, AUTH, SELECTED})
AUTHED = frozenset({AUTH, SELECTED})
SEL = frozenset({SELECTED})


@dataclass(frozen=True)
class Spec:
    parse: Callable[[Cursor], Any]
    states: frozenset[str]
    uid_ok: bool = False
    uid_parse: Callable[[Cursor], Any] | None = None


COMMANDS: dict[str, Spec] = {
    "CAPABILITY": Spec(_none, ANY),
    "NOOP": Spec(_none, ANY),
    "LOGOUT": Spec(_none, ANY),
    "ID": Spec(_id, ANY),
    "STARTTLS": Spec(_none, frozenset({NONAUTH})),
    "LOGIN": Spec(_login, frozenset({NONAUTH})),
    "AUTHENTICATE": Spec(_authenticate, frozenset({NONAUTH})),
    "ENABLE": Spec(_enable, AUTHED),
    "SELECT": Spec(_select, AUTHED),
    "EXAMINE": Spec(_select, AUTHED),
    "CREATE": Spec(_create, AUTHED),
    "DELETE": Spec(_mailbox_only, AUTHED),
    "RENAME": Spec(_rename, AUTHED),
    "SUBSCRIBE": Spec(_mailbox_only, AUTHED),
    "UNSUBSCRIBE": Spec(_mailbox_only, AUTHED),
    "LIST": Spec(_list, AUTHED),
    "LSUB": Spec(_lsub, AUTHED),
    "NAMESPACE": Spec(_none, AUTHED),
    "STATUS": Spec(_status, AUTHED),
    "APPEND": Spec(_append, AUTHED),
    "IDLE": Spec(_none, AUTHED),
    "COMPRESS": Spec(_compress, AUTHED),
    "GETQUOTA": Spec(_getquota, AUTHED),
    "GETQUOTAROOT": Spec(_mailbox_only, AUTHED),
    "SETQUOTA": Spec(_setquota, AUTHED),
    "GETMETADATA": Spec(_getmetadata, AUTHED),
    "SETMETADATA": Spec(_setmetadata, AUTHED),
    "SETACL": Spec(_setacl, AUTHED),
    "DELETEACL": Spec(_deleteacl, AUTHED),
    "GETACL": Spec(_getacl, AUTHED),
    "LISTRIGHTS": Spec(_listrights, AUTHED),
    "MYRIGHTS": Spec(_myrights, AUTHED),
    "NOTIFY": Spec(_notify, AUTHED),
    "CHECK": Spec(_none, SEL),
    "CLOSE": Spec(_none, SEL),
    "UNSELECT": Spec(_none, SEL),
    "EXPUNGE": Spec(_expunge, SEL, True, _uid_expunge),
    "SEARCH": Spec(_search, SEL, True),
    "CANCELUPDATE": Spec(_cancelupdate, SEL),
    "SORT": Spec(_sort, SEL, True),
    "THREAD": Spec(_thread, SEL, True),
    "FETCH": Spec(_fetch, SEL, True),
    "STORE": Spec(_store, SEL, True),
    "COPY": Spec(_copy, SEL, True),
    "MOVE": Spec(_copy, SEL, True),
}


_TAG_RE = re.compile(rb"[\x21-\x7e]+")
_TAG_BAD = set(b'(){%*"\\+')


def parse_command(segments: list[bytes], literals: list[bytes]) -> Command:
    c = Cursor(segments, literals)
    first = segments[0]
    sp = first.find(b" ")
    tag_b = first if sp < 0 else first[:sp]
    if not tag_b or not _TAG_RE.fullmatch(tag_b) or any(b in _TAG_BAD for b in tag_b) or len(tag_b) > 64:
        raise ParseError("Invalid tag", "*")
    tag = tag_b.decode("ascii")
    try:
        c.p = len(tag_b)
        c.sp()
        name = c.atom_upper()
        uid = False
        if name == "UID":
            c.sp()
            name = c.atom_upper()
            uid = True
        spec = COMMANDS.get(name)
        if spec is None or (uid and not spec.uid_ok):
            raise ParseError("Unknown command")
        parse = spec.uid_parse if uid and spec.uid_parse else spec.parse
        args = parse(c)
        c.end()
    except ParseError as exc:
        exc.tag = tag
        raise
    except (ValueError, IndexError, RecursionError) as exc:
        raise ParseError(f"Syntax error: {type(exc).__name__}", tag) from None
    return Command(tag, name, uid, args)
