"""CHUNKING (RFC 3030) command syntax, sans-I/O: ``BDAT <chunk-size> [LAST]``."""

from __future__ import annotations

import dataclasses
import re

MAX_SIZE_DIGITS = 18  # bounds the number, not the transaction (SIZE does that)

_BDAT = re.compile(rf"^(\d{{1,{MAX_SIZE_DIGITS}}}) *(?: (LAST))? *$", re.IGNORECASE | re.ASCII)


@dataclasses.dataclass(frozen=True)
class Bdat:
    size: int  # octets of the chunk that follow the command line
    last: bool


def parse_bdat(arg: str | None) -> Bdat | None:
    """The BDAT argument, or None on a syntax error (the chunk's end is then unknown)."""
    m = _BDAT.match(arg or "")
    if m is None:
        return None
    return Bdat(int(m.group(1)), m.group(2) is not None)
