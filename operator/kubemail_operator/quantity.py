"""Byte sizes in specs: an integer, or a Kubernetes-style quantity string.

"1Gi" = 2**30, "1G" = 10**9, "1.5Mi" = 1572864; decimal results are rounded up to whole bytes.
0 means unlimited (quota) or the server default (message size), as in the proto.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from kubemail_operator.patterns import QUANTITY

UINT64_MAX = 2**64 - 1

_SUFFIXES: dict[str, int] = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_RE = re.compile(QUANTITY)


class QuantityError(ValueError):
    """Not a byte size this operator accepts."""


def parse_bytes(value: object, *, field: str = "quantity", maximum: int = UINT64_MAX) -> int:
    """Bytes from an int or quantity string; None and "" are 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise QuantityError(f"{field}: expected bytes, got a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 40 or not _RE.match(text):
            raise QuantityError(f"{field}: {value[:40]!r} is not a byte quantity (e.g. 1073741824, 1Gi, 500M)")
        suffix = text.lstrip("0123456789.")
        number = text[: len(text) - len(suffix)]
        try:
            result = math.ceil(Decimal(number) * _SUFFIXES[suffix])
        except (InvalidOperation, KeyError):
            raise QuantityError(f"{field}: {value[:40]!r} is not a byte quantity") from None
    else:
        raise QuantityError(f"{field}: expected an integer or a quantity string")
    if result < 0 or result > maximum:
        raise QuantityError(f"{field}: {value!r} is out of range (0..{maximum})")
    return result
