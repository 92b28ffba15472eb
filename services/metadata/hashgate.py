"""Password hashing (argon2) with bounded concurrency and fair per-source admission (#13 item 15c).

argon2 verification costs tens of MiB and tens of milliseconds per call. Run on asyncio's
default executor, a storm of wrong-password logins from one address queued without bound in
front of everybody's logins (which then missed their deadlines: NO [UNAVAILABLE]) and ran as
many hashes at once as the pool had threads (~450 MB). Here:

- at most `workers` hashes run at once, on a pool of their own (memory is bounded by
  workers x the hash's memory cost);
- callers that find every worker busy wait in one queue per source (the client IP the
  front-end reports), and a freed worker goes to the sources in turn (round robin), so one
  address's storm delays another address's login by at most one hash per worker;
- a source may have at most `per_source` waiting calls and all sources together `total`; past
  that the call is refused at once (:class:`OverloadedError`), costing no hash and no memory.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge

T = TypeVar("T")

INFLIGHT = Gauge("kubemail_metadata_password_hash_inflight", "Password hashes (argon2) running now")
QUEUED = Gauge("kubemail_metadata_password_hash_queued", "Password hashes waiting for a worker")
REFUSED = Counter(
    "kubemail_metadata_password_hash_refused_total",
    "Password hashes refused because the source's (or the whole) waiting queue was full",
)


class OverloadedError(Exception):
    """Too many password checks waiting (from this source, or in all)."""


class HashGate:
    def __init__(self, workers: int, per_source: int, total: int) -> None:
        self.workers = max(1, workers)
        self.per_source = max(0, per_source)
        self.total = max(0, total)
        self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="argon2")
        self._running = 0
        self._queued = 0
        self._waiting: collections.OrderedDict[str, collections.deque[asyncio.Future[None]]] = collections.OrderedDict()
        self.peak = 0  # the most hashes that ever ran at once (tests, debugging)

    @property
    def running(self) -> int:
        return self._running

    async def run(self, source: str, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` on a hashing worker once `source` gets one; raises OverloadedError."""
        if self._running >= self.workers or self._queued:
            await self._wait(source)
        else:
            self._start()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._finish()

    def _start(self) -> None:
        self._running += 1
        self.peak = max(self.peak, self._running)
        INFLIGHT.set(self._running)

    async def _wait(self, source: str) -> None:
        queue = self._waiting.get(source)
        if (queue is not None and len(queue) >= self.per_source) or self._queued >= self.total:
            REFUSED.inc()
            raise OverloadedError(source)
        if queue is None:
            queue = self._waiting[source] = collections.deque()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(fut)
        self._queued += 1
        QUEUED.set(self._queued)
        try:
            await fut  # resolved by _finish, which has counted us as running
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._finish()  # handed a worker, then cancelled: give it on
            else:
                self._forget(source, fut)
            raise

    def _forget(self, source: str, fut: asyncio.Future[None]) -> None:
        queue = self._waiting.get(source)
        if queue is not None and fut in queue:
            queue.remove(fut)
            self._queued -= 1
            QUEUED.set(self._queued)
            if not queue:
                del self._waiting[source]

    def _finish(self) -> None:
        """A worker is free: the next source in turn gets it."""
        self._running -= 1
        INFLIGHT.set(self._running)
        while self._waiting and self._running < self.workers:
            source, queue = next(iter(self._waiting.items()))
            fut = queue.popleft()
            self._queued -= 1
            if queue:
                self._waiting.move_to_end(source)
            else:
                del self._waiting[source]
            if not fut.done():
                self._start()
                fut.set_result(None)
        QUEUED.set(self._queued)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
