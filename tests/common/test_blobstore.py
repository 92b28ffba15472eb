"""Blob stores: the filesystem and S3 backends behave alike; failures are typed; metrics count."""

from __future__ import annotations

import errno
import hashlib
import os
import uuid
from pathlib import Path

import pytest

from services.common import blobstore
from services.common.blobstore import (
    BLOB_OPS,
    BlobNotFound,
    BlobUnavailable,
    CachedBlobStore,
    FsBlobStore,
    InstrumentedBlobStore,
    S3BlobStore,
)
from tests.fixtures.servers import S3Server, closed_port

DATA = b"Subject: x\r\n\r\n" + bytes(range(256)) * 2000  # ~512 KiB, crosses stream chunks


def _stores(tmp_path: Path, s3_server: S3Server) -> list[blobstore.BlobStore]:
    s3 = S3BlobStore(s3_server.endpoint, "testing", "testing", f"b{uuid.uuid4().hex}")
    return [FsBlobStore(tmp_path / "fs"), s3]


@pytest.mark.parametrize("backend", [0, 1], ids=["fs", "s3"])
async def test_round_trip_ranges_and_delete(tmp_path: Path, s3_server: S3Server, backend: int) -> None:
    store = _stores(tmp_path, s3_server)[backend]
    blob_id = await store.put(DATA)
    assert blob_id == hashlib.sha256(DATA).hexdigest()
    assert await store.put(DATA) == blob_id  # idempotent
    assert await store.stat(blob_id) == len(DATA)
    assert await store.get(blob_id) == DATA
    assert await store.get(blob_id, 10, 100) == DATA[10:110]
    assert await store.get(blob_id, len(DATA) - 5) == DATA[-5:]
    assert b"".join([c async for c in store.stream(blob_id)]) == DATA
    assert b"".join([c async for c in store.stream(blob_id, 300_000, 1000)]) == DATA[300_000:301_000]
    await store.delete(blob_id)
    assert await store.stat(blob_id) is None
    with pytest.raises(BlobNotFound):
        await store.get(blob_id)
    await store.delete(blob_id)  # deleting a missing blob is not an error


async def test_invalid_blob_id_is_rejected(tmp_path: Path) -> None:
    store = FsBlobStore(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "", "0" * 63):
        with pytest.raises(ValueError):
            await store.get(bad)


async def test_s3_down_is_unavailable() -> None:
    store = S3BlobStore(f"127.0.0.1:{closed_port()}", "k", "s", "bucket")
    with pytest.raises(BlobUnavailable):
        await store.put(b"hello")
    with pytest.raises(BlobUnavailable):
        await store.stat("0" * 64)


async def test_instrumented_store_counts_results(tmp_path: Path) -> None:
    store = InstrumentedBlobStore(FsBlobStore(tmp_path))

    def count(op: str, result: str) -> float:
        return BLOB_OPS.labels(op, result)._value.get()  # type: ignore[attr-defined,no-any-return]

    before_ok, before_nf = count("get", "ok"), count("get", "not_found")
    blob_id = await store.put(b"abc")
    assert await store.get(blob_id) == b"abc"
    with pytest.raises(BlobNotFound):
        await store.get("1" * 64)
    assert count("get", "ok") == before_ok + 1
    assert count("get", "not_found") == before_nf + 1
    assert b"".join([c async for c in store.stream(blob_id)]) == b"abc"


async def test_cache_serves_repeat_reads_and_stays_bounded(tmp_path: Path) -> None:
    inner = FsBlobStore(tmp_path)
    cache = CachedBlobStore(inner, max_bytes=1000, max_item=600)
    ids = [await inner.put(bytes([i]) * 400) for i in range(4)]
    for blob_id in ids:
        assert await cache.get(blob_id, 1, 3) == bytes([ids.index(blob_id)]) * 3
    assert cache._bytes <= 1000
    # a cached blob still reads right after its file is gone; an evicted one does not
    last = ids[-1]
    (tmp_path / blobstore.object_key(last)).unlink()
    assert await cache.get(last) == bytes([3]) * 400
    (tmp_path / blobstore.object_key(ids[0])).unlink()
    with pytest.raises(BlobNotFound):
        await cache.get(ids[0])


@pytest.mark.parametrize(("err", "full"), [(errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EIO, False)])
async def test_fs_write_failures_say_whether_the_store_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: int, full: bool
) -> None:
    store = blobstore.FsBlobStore(str(tmp_path))

    def fail(fd: int) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(blobstore.BlobUnavailable) as exc:
        await store.put(b"no room")
    assert isinstance(exc.value, blobstore.BlobStoreFull) is full
