"""#13 item 17: blobs that leak after faults are found by the reconcile sweep (real Redis, moto S3).

A blob written by a DATA/APPEND that failed before its commit has no "{b:<sha>}" key at all, so
the zero-count GC never sees it; the sweep pages through the blob store and deletes it once it
is older than the grace period. Referenced blobs and young blobs stay."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from services.common.blobstore import FsBlobStore, blob_id_of, object_key
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.metadata import keys
from services.metadata.metrics import SWEEP_DELETED
from tests.metadata.conftest import World, message, redis_of

GRACE = 1


async def _age() -> None:
    await asyncio.sleep(2.2)


def _grace_after(written: float) -> int:
    """A grace period whose cutoff (whole seconds) falls after `written` and more than a second
    before anything written after _age(), however long the steps in between took."""
    return int(time.time()) - int(written) - 1


async def _sweep_leaves_only_what_is_referenced(world: World, handle: Any) -> None:
    kept = message("referenced")
    await world.deliver(kept)
    kept_id = await world.put(kept)
    orphan = message("orphan: its DATA failed after the upload")
    orphan_id = await world.put(orphan)
    written = time.time()
    await _age()
    young = message("young: a DATA between its upload and its commit")
    young_id = await world.put(young)
    r = redis_of(handle)
    assert not r.exists(keys.blob(orphan_id))  # the leak: no count at all, the GC cannot see it
    before = SWEEP_DELETED._value.get()

    # a sweep with the configured grace (an hour) touches nothing
    assert handle.loop.run(handle.server.run_sweep()) == 0
    assert await world.blobs.stat(orphan_id) == len(orphan)

    # past the grace period the orphan goes; the young one (written after the cutoff) stays
    assert handle.loop.run(handle.server.run_sweep(_grace_after(written))) == 1
    assert await world.blobs.stat(orphan_id) is None
    assert not r.exists(keys.blob(orphan_id))  # the tombstone is gone with it
    assert await world.blobs.stat(kept_id) == len(kept)
    assert int(r.hget(keys.blob(kept_id), "refs")) == 1
    assert await world.blobs.stat(young_id) == len(young)
    assert SWEEP_DELETED._value.get() == before + 1
    # the same content can be delivered again afterwards (upload first, as always)
    res = await world.deliver(orphan)
    assert res.delivered and await world.blobs.stat(orphan_id) == len(orphan)


async def test_sweep_deletes_orphans_only(world: World, metadata: Any) -> None:
    await _sweep_leaves_only_what_is_referenced(world, metadata)


async def test_sweep_on_redis_cluster(cworld: World, metadata_cluster: Any) -> None:
    await _sweep_leaves_only_what_is_referenced(cworld, metadata_cluster)


async def test_sweep_collects_a_released_blob_the_gc_lost(world: World, metadata: Any) -> None:
    """refs 0 but no gc:zero entry (a crash between the count's decrement and the ZADD)."""
    raw = message("released")
    res = await world.deliver(raw, flags=("\\Deleted",))
    blob_id = await world.put(raw)
    await world.client.messages.Expunge(
        messages_pb.ExpungeRequest(user_id=world.user.id, mailbox_id=res.delivered[0].mailbox_id)
    )
    r = redis_of(metadata)
    assert int(r.hget(keys.blob(blob_id), "refs")) == 0
    r.zrem(keys.GC_ZERO, blob_id)  # the lost entry
    await asyncio.sleep(GRACE + 1.1)
    assert metadata.loop.run(metadata.server.run_gc(GRACE)) == 0  # the GC cannot see it any more
    assert metadata.loop.run(metadata.server.run_sweep(GRACE)) == 1
    assert await world.blobs.stat(blob_id) is None


async def test_fs_listing_pages_in_id_order_and_a_rewrite_is_a_write(tmp_path: Any) -> None:
    store = FsBlobStore(tmp_path)
    data = {blob_id_of(d): d for d in (f"blob {i}".encode() for i in range(5))}
    ids = sorted([await store.put(d) for d in data.values()])
    first = await store.listing("", 3)
    assert [b for b, _ in first] == ids[:3]
    assert [b for b, _ in await store.listing(first[-1][0], 3)] == ids[3:]
    path = tmp_path / object_key(ids[0])
    os.utime(path, (1, 1))
    await store.put(data[ids[0]])  # the same content again (a new DATA): the file is not rewritten
    assert dict(await store.listing("", 5))[ids[0]] > time.time() - 60
