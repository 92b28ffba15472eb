"""Parse once (DESIGN.md invariant 5): the MessageSummary of a raw RFC 5322 message.

`build_summary(raw)` computes everything IMAP FETCH/SEARCH and POP3 need without reading
the blob again: sizes, the top-level header, ENVELOPE, the BODYSTRUCTURE tree with exact
byte offsets of every part, the Date: header as unix seconds, and decoded header fields.

Offsets are byte-exact: MIME boundaries are found by scanning the raw bytes (CRLF and bare
LF both tolerated). For every BodyPart:

- ``raw[header_offset:body_offset]`` is the part's MIME header incl. the blank line
  (BODY[n.MIME], or BODY[n.HEADER] of a message/rfc822 child),
- ``raw[body_offset:end_offset]`` is its body (BODY[n]); ``size == end_offset - body_offset``.

Shape guarantees for formatters:

- a ``multipart/*`` part always has at least one child (an empty text/plain part with
  zero-length offsets stands in when a multipart has none, like Dovecot);
- a ``message/rfc822`` (or message/global) part is composite -- envelope set and exactly
  one child, the encapsulated message -- iff ``parts`` is non-empty (it is not when its
  transfer encoding is not 7bit/8bit/binary or the nesting limit was reached);
- everything else is a leaf.

Bounds: nesting depth MAX_DEPTH and MAX_PARTS parts per message; beyond them the rest is an
opaque body. `build_summary` never raises: garbage in, a valid summary out.
"""

from __future__ import annotations

import binascii
import datetime
import email.utils
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from services.common import bodystructure, preview, threadkeys
from services.gen.kubemail.v1 import mime_pb2 as mime_pb

log = logging.getLogger(__name__)

MAX_DEPTH = 32
MAX_PARTS = 1000
MAX_FIELDS = 2000  # header fields looked at per entity
MAX_SEARCH_HEADERS = 500  # decoded top-level fields kept for SEARCH
MAX_SEARCH_VALUE = 8192  # characters per decoded field kept for SEARCH
MAX_PARAMS = 64
MAX_ADDRESSES = 1000
MAX_ADDRESS_TOKENS = 20000
MAX_FALSE_BOUNDARIES = 100_000  # boundary look-alike lines examined per message, then opaque

_LF = 0x0A
_CR = 0x0D

_DEFAULT_PARAMS: tuple[tuple[str, bytes], ...] = (("charset", b"us-ascii"),)
_MESSAGE_SUBTYPES = ("rfc822", "global")
_IDENTITY_ENCODINGS = ("7BIT", "8BIT", "BINARY")


# ---------------------------------------------------------------------------------------
# Header blocks
# ---------------------------------------------------------------------------------------


def _header_end(raw: bytes, start: int, end: int) -> tuple[int, int]:
    """(end of the header fields, start of the body) of the entity at [start, end).

    The header ends at the first empty line; without one, the whole entity is header.
    """
    if start >= end:
        return start, start
    if raw[start] == _LF:
        return start, start + 1
    if raw.startswith(b"\r\n", start, end):
        return start, start + 2
    best: tuple[int, int] | None = None
    i = raw.find(b"\n\n", start, end)
    if i >= 0:
        best = (i + 1, i + 2)
    j = raw.find(b"\n\r\n", start, end if best is None else best[0] + 2)
    if j >= 0 and (best is None or j + 1 < best[0]):
        best = (j + 1, j + 3)
    if best is None:
        return end, end
    return best


def _fields(raw: bytes, start: int, end: int) -> list[tuple[str, bytes]]:
    """Header fields of [start, end): lower-case names, unfolded values (outer WSP stripped)."""
    out: list[tuple[str, bytes]] = []
    name: str | None = None
    value: list[bytes] = []
    for line in raw[start:end].split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:1] in (b" ", b"\t"):
            if name is not None:
                value.append(line)
            continue
        if name is not None:
            out.append((name, b"".join(value).strip(b" \t\r\n")))
            name = None
            if len(out) >= MAX_FIELDS:
                break
        colon = line.find(b":")
        if colon <= 0:
            continue  # not a header field: ignored
        raw_name = line[:colon].rstrip(b" \t")
        if not raw_name or any(c <= 0x20 or c >= 0x7F for c in raw_name):
            continue
        name = raw_name.decode("ascii").lower()
        value = [line[colon + 1 :]]
    if name is not None and len(out) < MAX_FIELDS:
        out.append((name, b"".join(value).strip(b" \t\r\n")))
    return out


def header_fields(raw: bytes) -> list[tuple[str, bytes]]:
    """The top-level header fields of a message: lower-case names, unfolded values."""
    fields_end, _ = _header_end(raw, 0, len(raw))
    return _fields(raw, 0, fields_end)


def _first(fields: list[tuple[str, bytes]]) -> dict[str, bytes]:
    d: dict[str, bytes] = {}
    for name, value in fields:
        d.setdefault(name, value)
    return d


# ---------------------------------------------------------------------------------------
# MIME header values: Content-Type, Content-Disposition (RFC 2045, 2183)
# ---------------------------------------------------------------------------------------

_TSPECIALS = frozenset(b'()<>@,;:\\"/[]?=')


def _comment_end(s: bytes, i: int) -> int:
    """s[i] opens a comment ("(", nested, with quoted-pairs): the index after its ")"."""
    n = len(s)
    depth = 0
    while i < n:
        c = s[i]
        if c == 0x5C:
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _skip_cfws(s: bytes, i: int) -> int:
    n = len(s)
    while i < n:
        c = s[i]
        if c in b" \t\r\n":
            i += 1
        elif c == 0x28:  # "(" comment, nested
            i = _comment_end(s, i)
        else:
            break
    return min(i, n)


def _token(s: bytes, i: int) -> tuple[bytes, int]:
    j = i
    n = len(s)
    while j < n and s[j] > 0x20 and s[j] != 0x7F and s[j] not in _TSPECIALS:
        j += 1
    return s[i:j], j


def _quoted(s: bytes, i: int) -> tuple[bytes, int]:
    """s[i] is the opening quote; returns the unescaped content and the index after."""
    out = bytearray()
    i += 1
    n = len(s)
    while i < n:
        c = s[i]
        if c == 0x22:
            return bytes(out), i + 1
        if c == 0x5C and i + 1 < n:
            i += 1
            c = s[i]
        if c not in (_CR, _LF):
            out.append(c)
        i += 1
    return bytes(out), n


def _params(s: bytes, i: int) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    n = len(s)
    while i < n and len(out) < MAX_PARAMS:
        i = _skip_cfws(s, i)
        if i >= n:
            break
        if s[i] != 0x3B:  # ";" expected; skip garbage up to the next one
            j = s.find(b";", i)
            if j < 0:
                break
            i = j
        i = _skip_cfws(s, i + 1)
        name, i = _token(s, i)
        i = _skip_cfws(s, i)
        if not name or i >= n or s[i] != 0x3D:
            continue
        i = _skip_cfws(s, i + 1)
        if i < n and s[i] == 0x22:
            value, i = _quoted(s, i)
        else:
            j = i
            while j < n and s[j] not in b"; \t\r\n(":
                j += 1
            value, i = s[i:j], j
            if not value:
                continue
        out.append((name.decode("ascii", "replace").lower(), value))
    return out


def parse_content_type(value: bytes) -> tuple[str, str, list[tuple[str, bytes]]] | None:
    """(type, subtype, params) in lower case, or None when the value is malformed."""
    i = _skip_cfws(value, 0)
    typ, i = _token(value, i)
    i = _skip_cfws(value, i)
    if not typ or i >= len(value) or value[i] != 0x2F:
        return None
    i = _skip_cfws(value, i + 1)
    sub, i = _token(value, i)
    if not sub:
        return None
    return (
        typ.decode("ascii", "replace").lower(),
        sub.decode("ascii", "replace").lower(),
        _params(value, i),
    )


def parse_disposition(value: bytes) -> tuple[str, list[tuple[str, bytes]]] | None:
    i = _skip_cfws(value, 0)
    typ, i = _token(value, i)
    if not typ:
        return None
    return typ.decode("ascii", "replace").lower(), _params(value, i)


# ---------------------------------------------------------------------------------------
# Addresses (RFC 5322 3.4) for ENVELOPE, group syntax as RFC 3501 7.4.2
# ---------------------------------------------------------------------------------------

_ATOM, _QS, _SPECIAL, _DLIT, _COMMENT = range(5)
_ADDR_SPECIALS = frozenset(b'()<>[]:;@\\,."')


@dataclass(frozen=True)
class _Tok:
    kind: int
    value: bytes  # unescaped content (QS, COMMENT) or the raw text
    raw: bytes
    space: bool  # whitespace precedes it


def _addr_tokens(s: bytes) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(s)
    space = False
    while i < n and len(toks) < MAX_ADDRESS_TOKENS:
        c = s[i]
        if c in b" \t\r\n":
            space = True
            i += 1
            continue
        start = i
        if c == 0x22:
            value, i = _quoted(s, i)
            toks.append(_Tok(_QS, value, s[start:i], space))
        elif c == 0x28:
            i = _comment_end(s, i)
            inner = s[start + 1 : i - 1] if i - 1 > start and s[i - 1] == 0x29 else s[start + 1 : i]
            toks.append(_Tok(_COMMENT, inner.strip(), s[start:i], space))
        elif c == 0x5B:
            j = s.find(b"]", i)
            i = n if j < 0 else j + 1
            toks.append(_Tok(_DLIT, s[start:i], s[start:i], space))
        elif c in _ADDR_SPECIALS:
            i += 1
            toks.append(_Tok(_SPECIAL, s[start:i], s[start:i], space))
        else:
            while i < n and s[i] > 0x20 and s[i] != 0x7F and s[i] not in _ADDR_SPECIALS:
                i += 1
            if i == start:  # a control character: skip it
                i += 1
                continue
            toks.append(_Tok(_ATOM, s[start:i], s[start:i], space))
        space = False
    return toks


Addr = tuple[bytes | None, bytes | None, bytes | None, bytes | None]  # name, adl, mailbox, host


class _AddrParser:
    def __init__(self, value: bytes) -> None:
        self.toks: list[_Tok] = []
        # comments (CFWS) with the index of the token they precede: a comment is never part
        # of an address, and names only the mailbox it trails (`user@host (Name)`)
        self.comments: list[tuple[int, bytes]] = []
        for t in _addr_tokens(value):
            if t.kind == _COMMENT:
                self.comments.append((len(self.toks), t.value))
            else:
                self.toks.append(t)
        self.i = 0
        self.out: list[Addr] = []

    def peek(self) -> bytes | None:
        if self.i < len(self.toks) and self.toks[self.i].kind == _SPECIAL:
            return self.toks[self.i].value
        return None

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def words(self) -> list[_Tok]:
        """Atoms, quoted strings and dots (obs-phrase / dot-atom)."""
        start = self.i
        while not self.at_end():
            t = self.toks[self.i]
            if t.kind in (_ATOM, _QS) or (t.kind == _SPECIAL and t.value == b"."):
                self.i += 1
            else:
                break
        return self.toks[start : self.i]

    @staticmethod
    def phrase(words: list[_Tok]) -> bytes | None:
        out = bytearray()
        for k, t in enumerate(words):
            if k and t.space:
                out += b" "
            out += t.value
        return bytes(out) if out else None

    @staticmethod
    def concat(words: list[_Tok]) -> bytes:
        return b"".join(t.raw if t.kind != _QS else t.value for t in words)

    def domain(self) -> bytes:
        start = self.i
        while not self.at_end():
            t = self.toks[self.i]
            if t.kind in (_ATOM, _DLIT) or (t.kind == _SPECIAL and t.value == b"."):
                self.i += 1
            else:
                break
        return b"".join(t.raw for t in self.toks[start : self.i])

    def skip_to(self, stops: bytes) -> None:
        while not self.at_end():
            p = self.peek()
            if p is not None and p in stops:
                return
            self.i += 1

    def parse(self) -> list[Addr]:
        while not self.at_end() and len(self.out) < MAX_ADDRESSES:
            if self.peek() in (b",", b";"):
                self.i += 1
                continue
            start = self.i
            words = self.words()
            if self.peek() == b":":  # group
                self.i += 1
                self.out.append((None, None, self.phrase(words) or b"", None))
                while not self.at_end() and self.peek() != b";" and len(self.out) < MAX_ADDRESSES:
                    if self.peek() == b",":
                        self.i += 1
                        continue
                    self.mailbox()
                if self.peek() == b";":
                    self.i += 1
                self.out.append((None, None, None, None))
                continue
            self.i = start
            self.mailbox()
        return self.out

    def mailbox(self) -> None:
        start = self.i
        words = self.words()
        p = self.peek()
        name: bytes | None = None
        adl: bytes | None = None
        if p == b"<":
            name = self.phrase(words)
            self.i += 1
            if self.peek() == b"@":  # obsolete source route: @a,@b:
                r0 = self.i
                self.skip_to(b":>")
                if self.peek() == b":":
                    adl = b"".join(t.raw for t in self.toks[r0 : self.i])
                    self.i += 1
                else:
                    self.i = r0
            local = self.concat(self.words())
            host = b""
            if self.peek() == b"@":
                self.i += 1
                host = self.domain()
            self.skip_to(b">,;")
            if self.peek() == b">":
                self.i += 1
        else:
            local = self.concat(words)
            host = b""
            if p == b"@":
                self.i += 1
                host = self.domain()
            elif not words:
                self.skip_to(b",;")
                if self.i == start:
                    self.i += 1
                return
            # the comment right after a bare addr-spec is its display name (`user@host (Name)`,
            # the old convention Dovecot follows too); comments inside the address are not
            end = self.i
            name = next((c for pos, c in self.comments if pos == end), None) or None
        self.skip_to(b",;")
        self.out.append((name, adl, local, host))


ADDRESS_FIELDS = ("from", "to", "cc", "bcc")  # SEARCH keys that match the ENVELOPE's addresses


def envelope_addresses(env: mime_pb.Envelope, field: str) -> str:
    """One ENVELOPE address list as SEARCH FROM/TO/CC/BCC match it (RFC 3501 6.4.4: "the
    envelope structure's FROM field"): `Name <mailbox@host>` per address, comments gone,
    names RFC 2047 decoded, group markers left out; "" for no addresses."""
    out: list[str] = []
    for a in getattr(env, field.replace("-", "_")):
        if not a.HasField("host"):
            continue  # group start / end marker
        spec = _raw_text(a.mailbox.value) + "@" + _raw_text(a.host.value)
        name = decode_header_value(a.name.value) if a.HasField("name") else ""
        out.append(f"{name} <{spec}>" if name else f"<{spec}>")
    return ", ".join(out)


def parse_addresses(value: bytes) -> list[Addr]:
    """Address list -> (name, adl, mailbox, host); groups as RFC 3501 start/end markers."""
    try:
        return _AddrParser(value).parse()
    except Exception:  # pragma: no cover - defensive; the parser is total
        log.exception("address parser failed")
        return []


# ---------------------------------------------------------------------------------------
# RFC 2047 decoding and charsets
# ---------------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")


def _charset_decode(data: bytes, charset: str) -> str:
    cs = charset.split("*", 1)[0].strip().lower() or "us-ascii"
    if cs in ("us-ascii", "ascii"):
        cs = "utf-8"  # tolerate 8-bit mislabelled as ASCII
    try:
        return data.decode(cs, "replace")
    except Exception:
        return data.decode("utf-8", "replace")


def _b64(data: bytes) -> bytes:
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
    clean += b"=" * (-len(clean) % 4)
    try:
        return binascii.a2b_base64(clean)
    except (binascii.Error, ValueError):
        return b""


def _raw_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def decode_header_value(value: bytes) -> str:
    """RFC 2047 encoded-words decoded (adjacent words joined); raw 8-bit taken as UTF-8."""
    pieces: list[str | tuple[str, bytes]] = []
    pos = 0
    last_ew = False
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        if not (last_ew and not between.strip(b" \t\r\n")):
            if between:
                pieces.append(_raw_text(between))
        charset = m.group(1).decode("ascii", "replace")
        text = m.group(3)
        if m.group(2) in b"bB":
            data = _b64(text)
        else:
            try:
                data = binascii.a2b_qp(text, header=True)
            except (binascii.Error, ValueError):
                data = text
        prev = pieces[-1] if pieces else None
        if last_ew and isinstance(prev, tuple) and prev[0].lower() == charset.lower():
            pieces[-1] = (prev[0], prev[1] + data)
        else:
            pieces.append((charset, data))
        last_ew = True
        pos = m.end()
    if pos < len(value):
        pieces.append(_raw_text(value[pos:]))
    return "".join(p if isinstance(p, str) else _charset_decode(p[1], p[0]) for p in pieces)


def parse_date(value: bytes) -> int:
    """RFC 5322 date-time -> unix seconds; 0 when absent or invalid."""
    try:
        dt = email.utils.parsedate_to_datetime(value.decode("latin-1"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.UTC)
        return int(dt.timestamp())
    except Exception:
        return 0


def date_day(value: bytes | str) -> int | None:
    """The calendar day an RFC 5322 date-time names, its time and zone disregarded (SEARCH
    SENTBEFORE/SENTON/SENTSINCE, RFC 3501/9051 6.4.4), as unix seconds at 00:00 UTC of that
    day; None when invalid. `Sun, 25 Mar 2007 00:00:00 +0200` is 25 March, not the 24th."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        parsed = email.utils.parsedate_tz(text)
        if parsed is None:
            return None
        day = datetime.date(parsed[0], parsed[1], parsed[2])
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return (day - _EPOCH_DAY).days * 86400


_EPOCH_DAY = datetime.date(1970, 1, 1)


# ---------------------------------------------------------------------------------------
# The BodyPart tree
# ---------------------------------------------------------------------------------------


def _nstring(ns: mime_pb.NString, value: bytes | None) -> None:
    if value is not None:
        ns.SetInParent()
        ns.value = value


def _lines(raw: bytes, start: int, end: int) -> int:
    if end <= start:
        return 0
    n = raw.count(b"\n", start, end)
    return n if raw[end - 1] == _LF else n + 1


def _fill_envelope(env: mime_pb.Envelope, f: dict[str, bytes]) -> None:
    env.SetInParent()
    _nstring(env.date, f.get("date"))
    _nstring(env.subject, f.get("subject"))
    _nstring(env.in_reply_to, f.get("in-reply-to"))
    _nstring(env.message_id, f.get("message-id"))
    lists: dict[str, list[Addr]] = {}
    for key in ("from", "sender", "reply-to", "to", "cc", "bcc"):
        v = f.get(key)
        lists[key] = parse_addresses(v) if v is not None else []
    # RFC 3501 / 9051: absent or empty Sender and Reply-To default to From.
    for key in ("sender", "reply-to"):
        if not lists[key]:
            lists[key] = lists["from"]
    targets = {
        "from": getattr(env, "from"),
        "sender": env.sender,
        "reply-to": env.reply_to,
        "to": env.to,
        "cc": env.cc,
        "bcc": env.bcc,
    }
    for key, field in targets.items():
        for name, adl, mailbox, host in lists[key]:
            a = field.add()
            _nstring(a.name, name)
            _nstring(a.adl, adl)
            _nstring(a.mailbox, mailbox)
            _nstring(a.host, host)


def _empty_text(offset: int) -> mime_pb.BodyPart:
    """The stand-in child of a multipart without parts (Dovecot does the same)."""
    p = mime_pb.BodyPart(
        type="text", subtype="plain", encoding="7BIT", header_offset=offset, body_offset=offset, end_offset=offset
    )
    p.params.add(name="charset", value=b"us-ascii")
    return p


class _Parser:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.parts = 0
        self.false_boundaries = 0

    def entity(
        self, start: int, end: int, depth: int, default: tuple[str, str, tuple[tuple[str, bytes], ...]]
    ) -> tuple[mime_pb.BodyPart, list[tuple[str, bytes]]]:
        raw = self.raw
        self.parts += 1
        fields_end, body = _header_end(raw, start, end)
        fields = _fields(raw, start, fields_end)
        f = _first(fields)
        part = mime_pb.BodyPart(header_offset=start, body_offset=body, end_offset=end, size=end - body)

        ct = parse_content_type(f["content-type"]) if "content-type" in f else None
        if ct is None:
            typ, sub, params = default[0], default[1], list(default[2])
        else:
            typ, sub, params = ct
        part.type, part.subtype = typ, sub
        for name, value in params:
            part.params.add(name=name, value=value)
        cte = _token(f.get("content-transfer-encoding", b"").strip(b" \t"), 0)[0]
        part.encoding = cte.decode("ascii", "replace").upper() if cte else "7BIT"
        _nstring(part.id, f.get("content-id"))
        _nstring(part.description, f.get("content-description"))
        _nstring(part.md5, f.get("content-md5"))
        _nstring(part.location, f.get("content-location"))
        if "content-disposition" in f:
            disp = parse_disposition(f["content-disposition"])
            if disp is not None:
                part.disposition.type = disp[0]
                for name, value in disp[1]:
                    part.disposition.params.add(name=name, value=value)
        if "content-language" in f:
            for lang in f["content-language"].split(b","):
                lang = lang.strip(b" \t\r\n")
                if lang and len(part.language) < MAX_PARAMS:
                    part.language.append(lang.decode("ascii", "replace"))

        room = depth < MAX_DEPTH and self.parts < MAX_PARTS
        if typ == "multipart":
            boundary = next((v for n, v in params if n == "boundary"), b"")
            if room and boundary:
                child_default = ("message", "rfc822", ()) if sub == "digest" else ("text", "plain", _DEFAULT_PARAMS)
                part.parts.extend(self.multipart(body, end, boundary, depth + 1, child_default))
            if not part.parts:
                part.parts.append(_empty_text(body))
        elif typ == "message" and sub in _MESSAGE_SUBTYPES and part.encoding in _IDENTITY_ENCODINGS:
            part.lines = _lines(raw, body, end)
            if room:
                child, child_fields = self.entity(body, end, depth + 1, ("text", "plain", _DEFAULT_PARAMS))
                part.parts.append(child)
                _fill_envelope(part.envelope, _first(child_fields))
        elif typ == "text":
            part.lines = _lines(raw, body, end)
        return part, fields

    def _false_boundary(self) -> bool:
        """Counts a rejected boundary candidate; False once the budget is spent (the rest
        of the multipart stays opaque), so hostile look-alikes cannot cost depth x size."""
        self.false_boundaries += 1
        return self.false_boundaries <= MAX_FALSE_BOUNDARIES

    def multipart(
        self, start: int, end: int, boundary: bytes, depth: int, default: tuple[str, str, tuple[tuple[str, bytes], ...]]
    ) -> list[mime_pb.BodyPart]:
        raw = self.raw
        delim = b"--" + boundary
        children: list[mime_pb.BodyPart] = []
        pos = start
        part_start: int | None = None
        while True:
            i = raw.find(delim, pos, end)
            if i < 0:
                break
            if i != start and raw[i - 1] != _LF:
                if not self._false_boundary():
                    break
                pos = i + 1
                continue
            after = i + len(delim)
            close = after + 2 <= end and raw.startswith(b"--", after)
            eol = raw.find(b"\n", after, end)
            line_end, next_start = (end, end) if eol < 0 else (eol, eol + 1)
            if not close and raw[after:line_end].strip(b" \t\r"):
                if not self._false_boundary():
                    break
                pos = i + 1  # a longer boundary or text: not ours
                continue
            if part_start is not None:
                pend = i
                if pend > part_start and raw[pend - 1] == _LF:
                    pend -= 1
                    if pend > part_start and raw[pend - 1] == _CR:
                        pend -= 1
                children.append(self.entity(part_start, pend, depth, default)[0])
                part_start = None
            if close or self.parts >= MAX_PARTS:
                break
            part_start = next_start
            pos = next_start
        if part_start is not None and self.parts < MAX_PARTS:
            children.append(self.entity(part_start, end, depth, default)[0])
        return children


def _search_headers(summary: mime_pb.MessageSummary, fields: list[tuple[str, bytes]]) -> None:
    for name, value in fields[:MAX_SEARCH_HEADERS]:
        summary.headers.add(name=name, value=decode_header_value(value)[:MAX_SEARCH_VALUE])


def _build(raw: bytes) -> mime_pb.MessageSummary:
    p = _Parser(raw)
    body, fields = p.entity(0, len(raw), 0, ("text", "plain", _DEFAULT_PARAMS))
    s = mime_pb.MessageSummary(size=len(raw), header_size=body.body_offset, raw_header=raw[: body.body_offset])
    s.body.CopyFrom(body)
    first = _first(fields)
    _fill_envelope(s.envelope, first)
    s.sent_date = parse_date(first["date"]) if "date" in first else 0
    _search_headers(s, fields)
    s.has_8bit = not raw.isascii()
    _thread_keys(s, first)
    part = preview_part(s.body)
    s.preview = preview_text(raw[part.body_offset : part.end_offset], part) if part is not None else ""
    bodystructure.prerender(s)
    return s


PREVIEW_SOURCE_BYTES = 16384  # encoded octets of the part a preview is made from


def preview_part(body: mime_pb.BodyPart) -> mime_pb.BodyPart | None:
    """The part a preview (RFC 8970) comes from: the first text/plain part that is not an
    attachment, else the first such text/html part; not inside attached messages."""
    html: mime_pb.BodyPart | None = None
    stack = [body]
    while stack:
        part = stack.pop(0)
        if is_multipart(part):
            stack[:0] = list(part.parts)
            continue
        if part.type != "text" or (part.HasField("disposition") and part.disposition.type == "attachment"):
            continue
        if part.subtype == "plain":
            return part
        if part.subtype == "html" and html is None:
            html = part
    return html


def preview_text(data: bytes, part: mime_pb.BodyPart) -> str:
    """The preview of `part` from its encoded body (only the first PREVIEW_SOURCE_BYTES are
    looked at, so the cost is bounded whatever the size). Never raises."""
    try:
        charset = next((p.value.decode("ascii", "replace") for p in part.params if p.name == "charset"), "utf-8")
        text = _charset_decode(decode_body(data[:PREVIEW_SOURCE_BYTES], part.encoding), charset)
        return preview.preview(text, part.subtype == "html")
    except Exception:  # pragma: no cover - defensive
        log.exception("preview failed")
        return ""


def _thread_keys(summary: mime_pb.MessageSummary, first: dict[str, bytes]) -> None:
    def text(name: str) -> str:
        return first[name].decode("utf-8", "replace") if name in first else ""

    summary.message_id = threadkeys.message_id(text("message-id"))
    summary.references.extend(threadkeys.references(text("references"), text("in-reply-to")))
    subject = decode_header_value(first["subject"]) if "subject" in first else ""
    summary.base_subject = threadkeys.base_subject(subject)


def build_summary(raw: bytes) -> mime_pb.MessageSummary:
    """The parsed summary of a raw message. Never raises."""
    raw = bytes(raw)
    try:
        return _build(raw)
    except Exception:  # pragma: no cover - defensive: a bug must not lose a message
        log.exception("MIME parse failed; storing an opaque summary")
        s = mime_pb.MessageSummary(size=len(raw))
        s.envelope.SetInParent()
        s.body.CopyFrom(
            mime_pb.BodyPart(type="text", subtype="plain", encoding="7BIT", size=len(raw), end_offset=len(raw))
        )
        s.body.params.add(name="charset", value=b"us-ascii")
        s.has_8bit = not raw.isascii()
        return s


# ---------------------------------------------------------------------------------------
# Helpers for section access and search
# ---------------------------------------------------------------------------------------


def is_multipart(part: mime_pb.BodyPart) -> bool:
    return part.type == "multipart" and len(part.parts) > 0


def is_message(part: mime_pb.BodyPart) -> bool:
    """A composite message/rfc822 (or message/global) part: envelope plus one child."""
    return part.type == "message" and part.subtype in _MESSAGE_SUBTYPES and len(part.parts) == 1


def _children(part: mime_pb.BodyPart) -> list[mime_pb.BodyPart]:
    """The numbered sub-parts of a message body (RFC 3501 6.4.5 part numbering)."""
    return list(part.parts) if is_multipart(part) else [part]


def find_part(body: mime_pb.BodyPart, path: list[int]) -> mime_pb.BodyPart | None:
    """The part at an IMAP section path (e.g. [1, 2] for "1.2") of a message whose body is
    `body`; None when no such part. [] is the message body itself.

    For a message/rfc822 part, its sub-parts are those of the encapsulated message's body.
    """
    if not path:
        return body
    children = _children(body)
    part: mime_pb.BodyPart | None = None
    for k, n in enumerate(path):
        if not 1 <= n <= len(children):
            return None
        part = children[n - 1]
        if k == len(path) - 1:
            break
        if is_multipart(part):
            children = list(part.parts)
        elif is_message(part):
            children = _children(part.parts[0])
        else:
            return None
    return part


def walk(part: mime_pb.BodyPart) -> Iterator[mime_pb.BodyPart]:
    """Every part of the tree, depth first (the root included)."""
    yield part
    for child in part.parts:
        yield from walk(child)


def decode_body(data: bytes, encoding: str) -> bytes:
    """Undoes a Content-Transfer-Encoding; never raises."""
    enc = encoding.upper()
    if enc == "BASE64":
        return _b64(data)
    if enc == "QUOTED-PRINTABLE":
        return _qp(data)
    return data


def _qp(data: bytes) -> bytes:
    """Quoted-printable decoding (RFC 2045 6.7): whitespace at the end of a line is deleted
    (rule 3: it was added in transport), so `=` followed only by whitespace is a soft line
    break (rule 5) like a bare `=`; line breaks are kept as they stand (CRLF or LF)."""
    out: list[bytes] = []
    lines = data.split(b"\n")
    last = len(lines) - 1
    for k, line in enumerate(lines):
        eol = b"\n" if k < last else b""
        if eol and line.endswith(b"\r"):
            line, eol = line[:-1], b"\r\n"
        line = line.rstrip(b" \t")
        if line.endswith(b"="):
            line, eol = line[:-1], b""
        try:
            out.append(binascii.a2b_qp(line))
        except (binascii.Error, ValueError):
            out.append(line)
        out.append(eol)
    return b"".join(out)


def decoded_text(raw: bytes, summary: mime_pb.MessageSummary | None = None) -> str:
    """All text/* leaf parts, transfer encodings undone and charsets decoded, joined by
    newlines (for SEARCH BODY/TEXT). Never raises."""
    raw = bytes(raw)
    s = summary if summary is not None else build_summary(raw)
    out: list[str] = []
    try:
        for part in walk(s.body):
            if part.type != "text" or part.parts or part.end_offset <= part.body_offset:
                continue
            charset = next((p.value.decode("ascii", "replace") for p in part.params if p.name == "charset"), "utf-8")
            data = decode_body(raw[part.body_offset : part.end_offset], part.encoding)
            out.append(_charset_decode(data, charset))
    except Exception:  # pragma: no cover - defensive
        log.exception("decoded_text failed")
    return "\n".join(out)
