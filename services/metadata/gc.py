"""Blob garbage collection (DESIGN.md invariant 4).

A blob whose reference count dropped to 0 is listed in the zset "gc:zero". A pass takes
candidates older than the grace period and, per blob, atomically on its "{b:<sha>}" key:
re-checks refs == 0 and the age, then sets a tombstone (dead=1). While the tombstone
exists Deliver refuses the blob with ABORTED. The blob is then deleted from the store and
the key removed. A Deliver that increments after that finds no blob (stat) and gets
FAILED_PRECONDITION, so no message can ever reference a deleted blob.
"""

from __future__ import annotations

import asyncio
import logging
import time

from services.common.blobstore import BlobStore
from services.metadata import keys
from services.metadata.keys import GC_ZERO
from services.metadata.metrics import GC_DELETED, GC_RUNS
from services.metadata.store import Store

log = logging.getLogger("kubemail.metadata.gc")
BATCH = 500


class BlobGC:
    def __init__(self, store: Store, blobs: BlobStore, grace_seconds: int) -> None:
        self.store = store
        self.blobs = blobs
        self.grace = grace_seconds

    async def run_once(self, grace: int | None = None) -> int:
        """One pass; returns the number of blobs deleted (grace overrides the configured one)."""
        cutoff = int(time.time()) - (self.grace if grace is None else grace)
        deleted = 0
        try:
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

    async def loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                n = await self.run_once()
                if n:
                    log.info("blob GC deleted %d blobs", n)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("blob GC pass failed: %s", exc)
