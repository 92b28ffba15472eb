"""Flag names of STORE / APPEND: system flags in canonical spelling, keywords as the mailbox
already spells them."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from services.imap.errors import bad
from services.imap.selected import keyword_spellings

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_SYSTEM_BY_UPPER = {f.upper(): f for f in SYSTEM_FLAGS}


def norm_flag(flag: str) -> str:
    if flag.startswith("\\"):
        f = _SYSTEM_BY_UPPER.get(flag.upper())
        if f is None:
            raise bad(f"Unknown system flag {flag}")
        return f
    return flag


def norm_flags(flags: Sequence[str], known: Collection[str] = ()) -> list[str]:
    """Flags of a STORE/APPEND: system flags canonical, keywords spelled as the mailbox already
    spells them (first known spelling), duplicates dropped case-insensitively, order kept."""
    out: list[str] = []
    seen: set[str] = set()
    for f in flags:
        nf = norm_flag(f)
        if not nf.startswith("\\"):
            nf = keyword_spellings(nf, known)[0]
        key = nf.casefold()
        if key not in seen:
            seen.add(key)
            out.append(nf)
    return out
