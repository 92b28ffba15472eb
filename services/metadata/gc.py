"""Blob garbage collection (DESIGN.md invariant 4).

A blob whose reference count dropped to 0 is listed in the zset "gc:zero". A pass takes
candidates older than the grace period and, per blob, atomically on its "{b:<sha>}" key:
re-checks refs == 0 and the age, then sets a tombstone (dead=1). While the tombstone
exists Deliver refuses the blob with ABORTED. The blob is then deleted from the store and
the key removed. A Deliver that increments after that finds no blob (stat) and gets
FAILED_PRECONDITION, so no message can ever reference a deleted blob.

References are taken before the commit that uses them (the blob lives in another hash slot than
the user), as an intent (store.Intent: "i:<op>" on the blob key, listed in gc:intents) that the
caller settles after the commit with what it kept. A crash in between (metadata killed, Redis
gone) leaves the intent open; the pass resolves intents older than INTENT_MIN_AGE: the user's
idempotency record names the attempt (op) that committed, so the references stay if it is this
one and are released if not (the commit never happened, or a retry committed instead: no count
with no message, no double count after a killed commit and its retry). An intent older than the
idempotency TTL can no longer be told apart and keeps its references (safe), counted `unknown`.

That pass only sees counts that reached zero. The reconcile sweep (#13 item 17) looks from the
other side: it pages through the blob store (KUBEMAIL_METADATA_GC_SWEEP_BATCH objects a pass,
the cursor in Redis "gc:sweep", so pods and restarts go on where the last pass stopped) and, for
each blob last written before the grace period, runs blob_sweep on its "{b:<sha>}" key: a blob
with no key at all (its DATA/APPEND failed before the commit) or with refs 0 released long ago
(a gc:zero entry lost) is tombstoned the same way, listed in gc:zero (so a crash before the
delete is finished by the next GC pass) and deleted. Each step is one key, so it works on Redis
Cluster unchanged. A count that is too high (a count with no message, a double count after a
killed commit and its retry) cannot come from an intent; counts written before intents existed are
kept (safe) rather than collected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

from services.common.blobstore import BlobStore
from services.metadata import keys
from services.metadata.keys import GC_INTENTS, GC_SWEEP_CURSOR, GC_ZERO
from services.metadata.metrics import GC_DELETED, GC_INTENTS_RESOLVED, GC_RUNS, SWEEP_DELETED, SWEEP_RUNS
from services.metadata.store import OUTBOUND_OWNER, Intent, Store

log = logging.getLogger("kubemail.metadata.gc")
BATCH = 500
# An open intent younger than this may belong to a commit still running (deadlines are seconds).
INTENT_MIN_AGE = 300
for _result in ("ok", "error"):
    GC_RUNS.labels(_result)
    SWEEP_RUNS.labels(_result)
for _result in ("committed", "released", "unknown"):
    GC_INTENTS_RESOLVED.labels(_result)


class BlobGC:
    def __init__(
        self, store: Store, blobs: BlobStore, grace_seconds: int, sweep_batch: int = 1000, idem_ttl: int = 86400
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.grace = grace_seconds
        self.sweep_batch = max(1, sweep_batch)
        self.idem_ttl = idem_ttl

    async def resolve_intents(self, min_age: int = INTENT_MIN_AGE) -> int:
        """Settles intents older than min_age that a crash left open; returns how many."""
        now = int(time.time())
        r = self.store.r
        resolved = 0
        while True:
            members = await self.store.timed(
                "gc_scan", r.zrangebyscore(GC_INTENTS, "-inf", now - min_age, start=0, num=BATCH)
            )
            for raw in members:
                blob_id, _, op = raw.decode().partition(" ")
                rec_raw = await self.store.timed("gc_intent", r.hget(keys.blob(blob_id), "i:" + op))
                if rec_raw is None:  # settled, or the blob key is gone
                    await self.store.timed("gc_zrem", r.zrem(GC_INTENTS, raw))
                    continue
                rec = json.loads(rec_raw)
                refs = {str(u): int(n) for u, n in rec["u"].items()}
                keep = {u: await self._kept(u, str(rec["k"]), op, int(rec["t"]), n, now) for u, n in refs.items()}
                intent = Intent(str(rec["k"]), refs, op=op, started=int(rec["t"]))
                await self.store.blob_settle(blob_id, intent, keep)
                resolved += 1
            if len(members) < BATCH:
                return resolved

    async def _kept(self, user_id: str, idem: str, op: str, started: int, refs: int, now: int) -> int:
        r = self.store.r
        if user_id == OUTBOUND_OWNER:  # a queue entry: outbound_add.lua marks the attempt that added it
            raw = await self.store.timed("gc_intent", r.hget(idem, "#op:" + op))
            committed = raw is not None
        else:
            raw = await self.store.timed("gc_intent", r.get(keys.user(user_id).prefix + "idem:" + idem))
            committed = raw is not None and json.loads(raw).get("op") == op
        if raw is None and now - started >= self.idem_ttl:
            GC_INTENTS_RESOLVED.labels("unknown").inc()
            return refs  # the record may have expired: keep (safe)
        if committed:
            GC_INTENTS_RESOLVED.labels("committed").inc()
            return refs
        GC_INTENTS_RESOLVED.labels("released").inc()
        return 0

    async def run_once(self, grace: int | None = None, intent_age: int = INTENT_MIN_AGE) -> int:
        """One pass; returns the number of blobs deleted (grace overrides the configured one)."""
        cutoff = int(time.time()) - (self.grace if grace is None else grace)
        deleted = 0
        try:
            await self.resolve_intents(intent_age)
            while True:
                cands = await self.store.timed(
                    "gc_scan", self.store.r.zrangebyscore(GC_ZERO, "-inf", cutoff, start=0, num=BATCH)
                )
                if not cands:
                    break
                progressed = False
                for raw in cands:
                    blob_id = raw.decode()
                    state = int(await self.store.script("blob_mark", [keys.blob(blob_id)], [cutoff]))
                    if state == 1:
                        await self.blobs.delete(blob_id)
                        await self.store.script("blob_done", [keys.blob(blob_id)], [])
                        GC_DELETED.inc()
                        deleted += 1
                    if state in (0, 1, 2):
                        await self.store.timed("gc_zrem", self.store.r.zrem(GC_ZERO, blob_id))
                        progressed = True
                    elif state == 3:  # released again later: look again after a new grace period
                        await self.store.timed("gc_zadd", self.store.r.zadd(GC_ZERO, {blob_id: int(time.time())}))
                        progressed = True
                if not progressed or len(cands) < BATCH:
                    break
        except Exception:
            GC_RUNS.labels("error").inc()
            raise
        GC_RUNS.labels("ok").inc()
        return deleted

    async def sweep_once(self, grace: int | None = None) -> int:
        """One reconcile sweep over the next page of the blob store; returns the blobs deleted."""
        cutoff = int(time.time()) - (self.grace if grace is None else grace)
        r = self.store.r
        deleted = 0
        try:
            raw = await self.store.timed("gc_sweep_cursor", r.get(GC_SWEEP_CURSOR))
            after = raw.decode() if isinstance(raw, bytes) else str(raw or "")
            page = await self.blobs.listing(after, self.sweep_batch)
            for blob_id, written in page:
                if written > cutoff:
                    continue  # perhaps a DATA/APPEND between its upload and its commit
                if int(await self.store.script("blob_sweep", [keys.blob(blob_id)], [cutoff])) != 1:
                    continue
                await self.store.timed("gc_zadd", r.zadd(GC_ZERO, {blob_id: cutoff}))
                await self.blobs.delete(blob_id)
                await self.store.script("blob_done", [keys.blob(blob_id)], [])
                await self.store.timed("gc_zrem", r.zrem(GC_ZERO, blob_id))
                SWEEP_DELETED.inc()
                deleted += 1
            cursor = page[-1][0] if len(page) >= self.sweep_batch else ""
            await self.store.timed("gc_sweep_cursor", r.set(GC_SWEEP_CURSOR, cursor))
        except Exception:
            SWEEP_RUNS.labels("error").inc()
            raise
        SWEEP_RUNS.labels("ok").inc()
        return deleted

    async def loop(self, interval: float) -> None:
        await self._every(interval, self.run_once, "blob GC")

    async def sweep_loop(self, interval: float) -> None:
        await self._every(interval, self.sweep_once, "reconcile sweep")

    async def _every(self, interval: float, step: Callable[[], Awaitable[int]], what: str) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                n = await step()
                if n:
                    log.info("%s deleted %d blobs", what, n)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s failed: %s", what, exc)
