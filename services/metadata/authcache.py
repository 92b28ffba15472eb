"""Verified credentials, remembered for a short time (#14 item 2): a repeated login skips argon2.

An entry is an HMAC (a per-process random key, so the cache holds nothing an attacker could
test passwords against) of the user id, the user's current password hash and the password. The
user record is read on every login anyway, so a changed password (a new hash) or a new salt
never matches an old entry, and a disabled user or domain is checked after the cache as before:
nothing the directory changes is ever served stale, on any pod. Only successes are remembered;
a wrong password always costs the full argon2 verification (and unknown users the dummy one).
Bounded: at most `size` entries, least recently used first out.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from prometheus_client import Counter

REQUESTS = Counter(
    "kubemail_metadata_auth_cache_requests_total",
    "Password checks by auth cache result: hit (argon2 skipped), miss (verified with argon2)",
    ["result"],
)
for _r in ("hit", "miss"):
    REQUESTS.labels(_r)


class AuthCache:
    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = max(0, size)
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._entries: collections.OrderedDict[bytes, float] = collections.OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.size > 0

    def _key(self, user_id: str, password_hash: str, password: bytes) -> bytes:
        msg = b"\0".join((user_id.encode(), password_hash.encode(), password))
        return hmac.new(self._secret, msg, hashlib.sha256).digest()

    def hit(self, user_id: str, password_hash: str, password: bytes) -> bool:
        if not self.enabled:
            return False
        key = self._key(user_id, password_hash, password)
        expires = self._entries.get(key)
        if expires is None or expires <= self._clock():
            if expires is not None:
                del self._entries[key]
            REQUESTS.labels("miss").inc()
            return False
        self._entries.move_to_end(key)
        REQUESTS.labels("hit").inc()
        return True

    def add(self, user_id: str, password_hash: str, password: bytes) -> None:
        if not self.enabled:
            return
        key = self._key(user_id, password_hash, password)
        self._entries[key] = self._clock() + self.ttl
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
