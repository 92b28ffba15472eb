"""Mailbox names on the wire (modified UTF-7 or UTF-8) and LIST pattern matching."""

from __future__ import annotations

import re
from functools import lru_cache

from services.imap import utf7

DELIM = "/"
MAX_NAME = 1024
MAX_DEPTH = 32


class NameError_(ValueError):  # noqa: N801,N818
    """A mailbox name is not acceptable."""


def normalize(name: str) -> str:
    """INBOX is case-insensitive, also as the first hierarchy level."""
    head, sep, rest = name.partition(DELIM)
    if head.upper() == "INBOX":
        return "INBOX" + sep + rest
    return name


def decode(raw: bytes, utf8: bool) -> str:
    """A mailbox name from the wire to its stored UTF-8 form."""
    if utf8 or not raw.isascii():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NameError_("Mailbox name is not valid UTF-8") from None
    else:
        try:
            text = utf7.decode(raw.decode("ascii"))
        except utf7.Utf7Error:
            # RFC 3501 5.1.3: a name that is not valid modified UTF-7 is taken as is
            text = raw.decode("ascii")
    # RFC 6855 3: no controls (C0, DEL, C1), no line or paragraph separator
    if (
        any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in text)
        or len(text.encode()) > MAX_NAME
    ):
        raise NameError_("Invalid mailbox name")
    return normalize(text)


def encode(name: str, utf8: bool) -> bytes:
    return name.encode("utf-8") if utf8 else utf7.encode(name).encode("ascii")


def check_new(name: str) -> None:
    """Names a client may create or rename to."""
    if not name or name.startswith(DELIM) or name.endswith(DELIM) or DELIM * 2 in name:
        raise NameError_("Invalid mailbox name")
    if "*" in name or "%" in name:
        raise NameError_("Mailbox names may not contain * or %")
    if name.count(DELIM) >= MAX_DEPTH:
        raise NameError_("Mailbox hierarchy too deep")


def parents(name: str) -> list[str]:
    parts = name.split(DELIM)
    return [DELIM.join(parts[:i]) for i in range(1, len(parts))]


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append("[^/]*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def pattern_of(ref: str, pattern: str) -> str:
    """Combines LIST reference and mailbox pattern (RFC 3501 6.3.8)."""
    if pattern.startswith(DELIM) or not ref:
        return normalize(pattern) if not ref else pattern
    if ref.endswith(DELIM):
        return normalize(ref + pattern)
    return normalize(ref + DELIM + pattern)


def matches(pattern: str, name: str) -> bool:
    if _compile(pattern).fullmatch(name):
        return True
    # INBOX matches case-insensitively
    if name == "INBOX" or name.startswith("INBOX/"):
        head, sep, rest = pattern.partition(DELIM)
        if head.upper() == "INBOX":
            return bool(_compile("INBOX" + sep + rest).fullmatch(name))
    return False
