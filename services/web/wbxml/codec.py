"""WBXML 1.3 as Exchange ActiveSync uses it ([MS-ASWBXML]), sans-I/O: `decode` turns bytes into
an `Element` tree, `encode` the reverse.

ActiveSync uses a subset: version 0x03, public id 0x01, UTF-8 (MIBenum 106), an empty string
table, tags with content (0x40 bit) but no attributes, inline strings (STR_I) and opaque data
(OPAQUE, for MIME and binary values), SWITCH_PAGE between code pages. Anything else in the input
is a `WbxmlError`, and so is input past the bounds: total size, depth, element count, one value's
length. The decoder never raises anything else and never recurses (an explicit stack), so hostile
input cannot exhaust the interpreter.
"""

from __future__ import annotations

import dataclasses

from services.web.wbxml.codepages import PAGE_OF, PAGES, TOKEN_OF

SWITCH_PAGE, END, STR_I, OPAQUE = 0x00, 0x01, 0x03, 0xC3
WITH_CONTENT, WITH_ATTRIBUTES = 0x40, 0x80
HEADER = bytes([0x03, 0x01, 0x6A, 0x00])  # version 1.3, unknown public id, UTF-8, no string table


class WbxmlError(ValueError):
    """Malformed or over-limit WBXML (the request gets the command's protocol error)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 32
    max_elements: int = 200_000
    max_value_bytes: int = 16 * 1024 * 1024


@dataclasses.dataclass
class Element:
    ns: str
    tag: str
    children: list[Element] = dataclasses.field(default_factory=list)
    text: str | None = None  # STR_I content
    opaque: bytes | None = None  # OPAQUE content

    def find(self, ns: str, tag: str) -> Element | None:
        return next((c for c in self.children if c.ns == ns and c.tag == tag), None)

    def findall(self, ns: str, tag: str) -> list[Element]:
        return [c for c in self.children if c.ns == ns and c.tag == tag]

    def value(self) -> str:
        """The element's text (opaque bytes decoded as UTF-8), "" when empty."""
        if self.text is not None:
            return self.text
        if self.opaque is not None:
            return self.opaque.decode("utf-8", "replace")
        return ""


def el(ns: str, tag: str, *children: Element | str | bytes | int) -> Element:
    """Builder: strings and ints become text, bytes opaque, Elements children."""
    e = Element(ns, tag)
    for c in children:
        if isinstance(c, Element):
            e.children.append(c)
        elif isinstance(c, bytes):
            e.opaque = c
        else:
            e.text = str(c)
    return e


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise WbxmlError("truncated")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def mb_uint32(self) -> int:
        value = 0
        for _ in range(5):
            b = self.byte()
            value = (value << 7) | (b & 0x7F)
            if not b & 0x80:
                if value > 0xFFFFFFFF:
                    raise WbxmlError("mb_u_int32 out of range")
                return value
        raise WbxmlError("mb_u_int32 longer than 5 bytes")

    def cstring(self, limit: int) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise WbxmlError("unterminated inline string")
        if end - self.pos > limit:
            raise WbxmlError("inline string too long")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WbxmlError("inline string is not UTF-8") from None

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise WbxmlError("truncated opaque data")
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw


def decode(data: bytes, limits: Limits = Limits()) -> Element:
    if len(data) > limits.max_bytes:
        raise WbxmlError("document too large")
    r = _Reader(data)
    if r.byte() != 0x03:
        raise WbxmlError("not WBXML 1.3")
    r.mb_uint32()  # public id: ActiveSync sends 0x01 (unknown); any is accepted
    if r.mb_uint32() != 0x6A:
        raise WbxmlError("charset is not UTF-8")
    if r.mb_uint32() != 0:
        raise WbxmlError("string tables are not used by ActiveSync")
    page = 0
    root: Element | None = None
    stack: list[Element] = []
    count = 0
    while r.pos < len(data):
        b = r.byte()
        if b == SWITCH_PAGE:
            page = r.byte()
            if page not in PAGES:
                raise WbxmlError(f"unknown code page {page}")
        elif b == END:
            if not stack:
                raise WbxmlError("END without an open element")
            stack.pop()
            if not stack:
                break
        elif b == STR_I:
            if not stack:
                raise WbxmlError("string outside an element")
            stack[-1].text = (stack[-1].text or "") + r.cstring(limits.max_value_bytes)
        elif b == OPAQUE:
            if not stack:
                raise WbxmlError("opaque data outside an element")
            n = r.mb_uint32()
            if n > limits.max_value_bytes:
                raise WbxmlError("opaque value too long")
            stack[-1].opaque = r.take(n)
        else:
            if b & WITH_ATTRIBUTES:
                raise WbxmlError("attributes are not used by ActiveSync")
            ns, tags = PAGES[page]
            name = tags.get(b & 0x3F)
            if name is None:
                raise WbxmlError(f"unknown token 0x{b & 0x3F:02x} in code page {page}")
            count += 1
            if count > limits.max_elements:
                raise WbxmlError("too many elements")
            e = Element(ns, name)
            if stack:
                stack[-1].children.append(e)
            elif root is None:
                root = e
            else:
                raise WbxmlError("more than one root element")
            if b & WITH_CONTENT:
                if len(stack) >= limits.max_depth:
                    raise WbxmlError("nested too deeply")
                stack.append(e)
            elif root is e:
                break
    if root is None:
        raise WbxmlError("no root element")
    if stack:
        raise WbxmlError("truncated: elements left open")
    if r.pos != len(data):
        raise WbxmlError("data after the root element")
    return root


def _mb_uint32(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def encode(root: Element) -> bytes:
    out = bytearray(HEADER)
    page = 0
    work: list[Element | None] = [root]  # None = END of the element opened before
    while work:
        e = work.pop()
        if e is None:
            out.append(END)
            continue
        token = TOKEN_OF.get((e.ns, e.tag))
        if token is None:
            raise WbxmlError(f"no token for {e.ns}:{e.tag}")
        want = PAGE_OF[e.ns]
        if want != page:
            out += bytes([SWITCH_PAGE, want])
            page = want
        has_content = bool(e.children) or e.text is not None or e.opaque is not None
        if not has_content:
            out.append(token)
            continue
        out.append(token | WITH_CONTENT)
        if e.opaque is not None:
            out.append(OPAQUE)
            out += _mb_uint32(len(e.opaque)) + e.opaque
        elif e.text is not None:
            if "\x00" in e.text:
                raise WbxmlError("a NUL character cannot be sent in an inline string")
            out.append(STR_I)
            out += e.text.encode("utf-8") + b"\x00"
        work.append(None)
        work.extend(reversed(e.children))
    return bytes(out)
