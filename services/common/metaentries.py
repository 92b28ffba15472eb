"""IMAP METADATA (RFC 5464) entry names and limits, shared by the IMAP front-end (which
answers [METADATA MAXSIZE n] / [METADATA TOOMANY] with these numbers) and the metadata
service (which enforces them)."""

from __future__ import annotations

MAX_VALUE = 16 * 1024  # octets of one value (below the receiver's 64 KiB literal bound of non-APPEND commands)
MAX_ENTRIES = 200  # entries of one mailbox (or of the server), /private and /shared together
MAX_NAME = 256  # octets of one entry name
MAX_PER_COMMAND = 100  # entries named in one GETMETADATA / SETMETADATA
SCOPES = ("/private", "/shared")
DEPTH_INFINITY = -1


def entry_name(name: str) -> str | None:
    """The canonical (lower-case) form of an entry name, or None when it is not one: it
    starts with /private or /shared, has no empty component, no trailing slash, no `*` or `%`
    and no control characters (RFC 5464 3.2)."""
    if not name or len(name.encode("utf-8", "surrogatepass")) > MAX_NAME:
        return None
    low = name.lower()
    if not any(low == s or low.startswith(s + "/") for s in SCOPES):
        return None
    if low.endswith("/") or "//" in low or "*" in low or "%" in low:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in low):
        return None
    return low


def selected(names: list[str], wanted: list[str], depth: int) -> list[str]:
    """The stored names that a GETMETADATA of `wanted` at `depth` (0, 1, DEPTH_INFINITY)
    returns, ascending."""
    out: set[str] = set()
    for w in wanted:
        prefix = w + "/"
        for n in names:
            if n == w:
                out.add(n)
            elif depth != 0 and n.startswith(prefix):
                if depth == DEPTH_INFINITY or "/" not in n[len(prefix) :]:
                    out.add(n)
    return sorted(out)
