"""A cursor over one received command: line segments with literals between them."""

from __future__ import annotations

import re

ATOM_SPECIALS = frozenset(b'(){ %*"\\]') | frozenset(range(0x20)) | {0x7F}
ASTRING_SPECIALS = ATOM_SPECIALS - {ord("]")}
LIST_SPECIALS = ASTRING_SPECIALS - {ord("%"), ord("*")}
_LIT = re.compile(rb"~?\{(\d{1,20})\+?\}$")


class ParseError(Exception):
    def __init__(self, text: str, tag: str = "", code: str | None = None) -> None:
        super().__init__(text)
        self.tag = tag
        self.code = code


class Cursor:
    def __init__(self, segments: list[bytes], literals: list[bytes], max_depth: int = 16) -> None:
        self.segs = segments
        self.lits = literals
        self.i = 0  # segment index
        self.p = 0  # position in segment
        self.max_depth = max_depth

    # -- low level ------------------------------------------------------------------
    @property
    def seg(self) -> bytes:
        return self.segs[self.i]

    def peek(self) -> int | None:
        if self.p < len(self.seg):
            return self.seg[self.p]
        return None

    def at_end(self) -> bool:
        return self.i == len(self.segs) - 1 and self.p >= len(self.seg)

    def end(self) -> None:
        if not self.at_end():
            raise ParseError("Unexpected extra arguments")

    def fail(self, what: str) -> ParseError:
        return ParseError(f"Expected {what}")

    def sp(self) -> None:
        if self.peek() != 0x20:
            raise self.fail("space")
        self.p += 1

    def maybe_sp(self) -> bool:
        if self.peek() == 0x20:
            self.p += 1
            return True
        return False

    def char(self, c: str) -> None:
        if self.peek() != ord(c):
            raise self.fail(repr(c))
        self.p += 1

    def maybe(self, c: str) -> bool:
        if self.peek() == ord(c):
            self.p += 1
            return True
        return False

    def keyword(self, word: str) -> bool:
        """Consumes `word` (case-insensitive) if it follows and ends there."""
        w = word.encode()
        seg = self.seg
        end = self.p + len(w)
        if seg[self.p : end].upper() == w.upper():
            nxt = seg[end] if end < len(seg) else None
            if nxt is None or nxt in ATOM_SPECIALS or nxt == ord("[") or nxt == ord("]"):
                self.p = end
                return True
        return False

    def _take(self, allowed: frozenset[int] | set[int], extra_ok: bytes = b"") -> bytes:
        seg = self.seg
        start = self.p
        n = len(seg)
        while self.p < n:
            b = seg[self.p]
            if b in allowed and b not in extra_ok:
                break
            if b >= 0x80:
                break
            self.p += 1
        return seg[start : self.p]

    # -- tokens ---------------------------------------------------------------------
    def atom(self) -> str:
        tok = self._take(ATOM_SPECIALS | {ord("[")})
        if not tok:
            raise self.fail("atom")
        return tok.decode("ascii")

    def atom_upper(self) -> str:
        return self.atom().upper()

    def number(self) -> int:
        seg = self.seg
        start = self.p
        while self.p < len(seg) and 0x30 <= seg[self.p] <= 0x39:
            self.p += 1
        if start == self.p or self.p - start > 20:
            raise self.fail("number")
        return int(seg[start : self.p])

    def number32(self, nonzero: bool = False) -> int:
        n = self.number()
        if n > 0xFFFFFFFF or (nonzero and n == 0):
            raise self.fail("nz-number" if nonzero else "number")
        return n

    def number64(self) -> int:
        n = self.number()
        if n >= 2**63:
            raise self.fail("mod-sequence")
        return n

    def quoted(self) -> bytes:
        self.char('"')
        seg = self.seg
        out = bytearray()
        while True:
            if self.p >= len(seg):
                raise self.fail("closing quote")
            b = seg[self.p]
            self.p += 1
            if b == 0x22:
                if not out.isascii():  # RFC 6855 3: 8-bit octets only as valid UTF-8
                    try:
                        out.decode("utf-8")
                    except UnicodeDecodeError:
                        raise ParseError("Quoted string is not valid UTF-8") from None
                return bytes(out)
            if b == 0x5C:
                if self.p >= len(seg) or seg[self.p] not in (0x22, 0x5C):
                    raise ParseError("Bad escape in quoted string")
                out.append(seg[self.p])
                self.p += 1
                continue
            if b in (0x0D, 0x0A, 0x00):
                raise ParseError("Bad character in quoted string")
            out.append(b)

    def literal(self) -> bytes:
        m = _LIT.match(self.seg, self.p)
        if not m or m.end() != len(self.seg):
            raise self.fail("literal")
        k = self.i  # literal k follows segment k
        if k >= len(self.lits) or self.i + 1 >= len(self.segs):
            raise self.fail("literal data")
        data = self.lits[k]
        self.i += 1
        self.p = 0
        return data

    def is_literal(self) -> bool:
        b = self.peek()
        return b == ord("{") or (b == ord("~") and self.seg[self.p + 1 : self.p + 2] == b"{")

    def string(self) -> bytes:
        b = self.peek()
        if b == 0x22:
            return self.quoted()
        if self.is_literal():
            return self.literal()
        raise self.fail("string")

    def astring(self) -> bytes:
        b = self.peek()
        if b == 0x22 or self.is_literal():
            return self.string()
        tok = self._take_astring(ASTRING_SPECIALS)
        if not tok:
            raise self.fail("astring")
        return tok

    def _take_astring(self, specials: frozenset[int]) -> bytes:
        seg = self.seg
        start = self.p
        while self.p < len(seg):
            b = seg[self.p]
            if b in specials:
                break
            self.p += 1
        return seg[start : self.p]

    def nstring(self) -> bytes | None:
        if self.keyword("NIL"):
            return None
        return self.string()

    def list_mailbox(self) -> bytes:
        b = self.peek()
        if b == 0x22 or self.is_literal():
            return self.string()
        tok = self._take_astring(LIST_SPECIALS)
        if not tok:
            raise self.fail("list-mailbox")
        return tok

    def paren_list(self, item: object, allow_empty: bool = True) -> list[object]:
        """'(' item *(SP item) ')' where `item` is a callable parsing one element."""
        self.char("(")
        out: list[object] = []
        if self.maybe(")"):
            if not allow_empty:
                raise self.fail("list element")
            return out
        while True:
            out.append(item())  # type: ignore[operator]
            if self.maybe(")"):
                return out
            self.sp()
            if len(out) > 10000:
                raise ParseError("List too long")

    def flag(self) -> str:
        if self.maybe("\\"):
            if self.maybe("*"):
                return "\\*"
            return "\\" + self.atom()
        return self.atom()

    def flag_list(self) -> list[str]:
        return [str(f) for f in self.paren_list(self.flag)]
