"""Sender Rewriting Scheme (SRS0, as libsrs2 and Postfix's postsrsd write it), no I/O.

A forwarded message keeps its original sender's domain out of the envelope: the relay sends it
as `SRS0=HHHH=TT=orig.domain=local@<srs domain>`, so SPF at the next hop checks our domain, and a
bounce to that address comes back to our MX, which `reverse`s it to the original sender.
HHHH is the first 4 characters of base64(HMAC-SHA1(secret, TT + domain + local)), compared
case-insensitively; TT is the day number modulo 1024 in base32, accepted for `max_age_days`.
Already-rewritten SRS0 addresses of another forwarder are wrapped once more (SRS0 of SRS0), which
keeps the scheme correct without SRS1's shortcut.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
PREFIX = "SRS0="


class SrsError(ValueError):
    """Not an SRS address of ours, forged, or too old."""


def _day(now: float) -> int:
    return int(now // 86400) % 1024


def _stamp(day: int) -> str:
    return _B32[(day >> 5) & 31] + _B32[day & 31]


def _hash(secret: bytes, *parts: str) -> str:
    mac = hmac.new(secret, "".join(parts).lower().encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()[:4]


def forward(address: str, secret: bytes, srs_domain: str, now: float | None = None) -> str:
    """The SRS0 address for `address` (local@domain); `address` unchanged if already in srs_domain."""
    local, _, domain = address.rpartition("@")
    if not local or domain.lower() == srs_domain.lower():
        return address
    stamp = _stamp(_day(time.time() if now is None else now))
    return f"{PREFIX}{_hash(secret, stamp, domain, local)}={stamp}={domain}={local}@{srs_domain}"


def is_srs(address: str) -> bool:
    return address[: len(PREFIX)].upper() == PREFIX


def reverse(address: str, secret: bytes, max_age_days: int = 21, now: float | None = None) -> str:
    """The original sender of an SRS0 address we made; SrsError if forged, malformed or expired."""
    local, _, _domain = address.rpartition("@")
    if not is_srs(local):
        raise SrsError("not an SRS0 address")
    fields = local[len(PREFIX) :].split("=", 3)
    if len(fields) != 4 or not all(fields):
        raise SrsError("malformed SRS0 address")
    given, stamp, orig_domain, orig_local = fields
    if not hmac.compare_digest(given.lower(), _hash(secret, stamp, orig_domain, orig_local).lower()):
        raise SrsError("SRS0 hash mismatch")
    try:
        day = _B32.index(stamp[0].upper()) << 5 | _B32.index(stamp[1].upper())
    except (ValueError, IndexError):
        raise SrsError("malformed SRS0 timestamp") from None
    if len(stamp) != 2 or (_day(time.time() if now is None else now) - day) % 1024 > max_age_days:
        raise SrsError("SRS0 address expired")
    return f"{orig_local}@{orig_domain}"


def load_secret(path: str) -> bytes | None:
    """The secret from KUBEMAIL_SRS_SECRET_FILE (stripped), None when unset; OSError if unreadable."""
    if not path:
        return None
    with open(path, "rb") as f:
        secret = f.read().strip()
    if len(secret) < 16:
        raise ValueError(f"{path}: the SRS secret is shorter than 16 bytes")
    return secret
