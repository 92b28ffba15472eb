"""Modified UTF-7 mailbox names (RFC 3501 section 5.1.3)."""

from __future__ import annotations

import base64


class Utf7Error(ValueError):
    """A mailbox name is not valid modified UTF-7."""


def _b64enc(chunk: str) -> str:
    raw = chunk.encode("utf-16-be")
    return base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")


def encode(name: str) -> str:
    """UTF-8 text to modified UTF-7."""
    out: list[str] = []
    pending: list[str] = []
    for ch in name:
        code = ord(ch)
        if 0x20 <= code <= 0x7E:
            if pending:
                out.append("&" + _b64enc("".join(pending)) + "-")
                pending = []
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    if pending:
        out.append("&" + _b64enc("".join(pending)) + "-")
    return "".join(out)


def decode(name: str) -> str:
    """Modified UTF-7 to text; raises Utf7Error on malformed input."""
    out: list[str] = []
    i = 0
    n = len(name)
    while i < n:
        ch = name[i]
        if ord(ch) < 0x20 or ord(ch) > 0x7E:
            raise Utf7Error("non-ASCII character in modified UTF-7 name")
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = name.find("-", i + 1)
        if end < 0:
            raise Utf7Error("unterminated shift sequence")
        chunk = name[i + 1 : end]
        i = end + 1
        if not chunk:
            out.append("&")
            continue
        if any(not (c.isalnum() and c.isascii()) and c not in "+," for c in chunk):
            raise Utf7Error("bad base64 in shift sequence")
        b64 = chunk.replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        try:
            raw = base64.b64decode(b64, validate=True)
            text = raw.decode("utf-16-be")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Utf7Error(str(exc)) from None
        if any(0x20 <= ord(c) <= 0x7E for c in text):
            raise Utf7Error("printable ASCII encoded in a shift sequence")
        if encode(text) != "&" + chunk + "-":
            raise Utf7Error("non-canonical shift sequence")
        out.append(text)
    return "".join(out)
