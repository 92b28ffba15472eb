"""Page tokens for the list RPCs: the last key of the previous page, base64url-encoded.

Keys are sorted ascending; a page holds the keys after the token's key, so pages stay
consistent while items are added or removed between calls (nothing is returned twice).
"""

from __future__ import annotations

import base64
import binascii
import bisect
from collections.abc import Sequence

from services.metadata.errors import invalid

MAX_TOKEN = 2048


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode(token: str) -> str:
    """The key a page token names; INVALID_ARGUMENT for anything this module did not make."""
    if len(token) > MAX_TOKEN:
        raise invalid("page_token too long")
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise invalid("malformed page_token") from None


def size(requested: int, default: int, maximum: int) -> int:
    """The page size: `default` for 0, at most `maximum`."""
    return min(requested or default, maximum)


def page(keys: Sequence[str], requested: int, token: str, default: int, maximum: int) -> tuple[list[str], str]:
    """The keys of one page (of sorted `keys`) and the next page's token ("" = last page)."""
    start = bisect.bisect_right(keys, decode(token)) if token else 0
    n = size(requested, default, maximum)
    out = list(keys[start : start + n])
    more = start + n < len(keys)
    return out, encode(out[-1]) if more and out else ""
