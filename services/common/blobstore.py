"""Immutable, content-addressed message blobs (DESIGN.md invariant 4).

One interface, two backends: S3 through the minio SDK (MinIO in the cluster) and a local
directory (the embedded default). Blob ids are sha256 hex digests of the bytes; the
object key is ``sha256/<first two hex>/<hex>``. Writing the same bytes twice is a no-op.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Protocol, TypeVar

from prometheus_client import Counter, Histogram

T = TypeVar("T")

_BLOB_ID = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 256 * 1024


class BlobError(Exception):
    """Base of blob store errors."""


class BlobNotFound(BlobError):  # noqa: N818 (reads as a condition, like FileNotFoundError)
    pass


class BlobUnavailable(BlobError):  # noqa: N818
    """The backend cannot be reached; nothing can be assumed written."""


class BlobStoreFull(BlobUnavailable):
    """The backend has no room for the blob (ENOSPC/EDQUOT, S3 storage full); nothing was written."""


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
S3_FULL = frozenset({"XMinioStorageFull"})  # MinIO: "Storage backend has reached its minimum free drive threshold"


def unavailable(exc: OSError) -> BlobUnavailable:
    """The blob error for a failed local write: full when the file system says so."""
    return (BlobStoreFull if exc.errno in NO_SPACE else BlobUnavailable)(str(exc))


def blob_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_blob_id(blob_id: str) -> str:
    if not _BLOB_ID.match(blob_id):
        raise ValueError(f"invalid blob id {blob_id!r}")
    return blob_id


def object_key(blob_id: str) -> str:
    check_blob_id(blob_id)
    return f"sha256/{blob_id[:2]}/{blob_id}"


class BlobStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Stores `data` durably; returns its blob id."""

    async def get(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes [offset, offset+length) of the blob (to the end when length is None)."""

    async def stat(self, blob_id: str) -> int | None:
        """Size of the blob, or None if it does not exist."""

    async def delete(self, blob_id: str) -> None:
        """Removes the blob; removing a missing blob is not an error."""

    def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """The same bytes as get(), in chunks of bounded size."""

    async def listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        """Up to `limit` stored blobs with ids above `after`, in id order: (blob id, unix time of
        the last write). The blob GC's reconcile sweep pages through the store with it."""

    async def close(self) -> None: ...


async def _ranged_chunks(
    get: Callable[[str, int, int | None], Awaitable[bytes]], blob_id: str, pos: int, end: int | None
) -> AsyncIterator[bytes]:
    """Ranged reads of at most CHUNK bytes from `pos` to `end` (None: until a short read)."""
    while end is None or pos < end:
        chunk = await get(blob_id, pos, CHUNK if end is None else min(CHUNK, end - pos))
        if not chunk:
            return
        yield chunk
        pos += len(chunk)


class FsBlobStore:
    """Blobs as files below a directory: write to a temp file, fsync, rename."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, blob_id: str) -> Path:
        return self.root / object_key(blob_id)

    def _put(self, data: bytes, blob_id: str) -> None:
        path = self._path(blob_id)
        if path.exists() and path.stat().st_size == len(data):
            os.utime(path)  # a write all the same: the reconcile sweep goes by the last write's time
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    async def put(self, data: bytes) -> str:
        blob_id = blob_id_of(data)
        try:
            await asyncio.to_thread(self._put, data, blob_id)
        except OSError as exc:
            raise unavailable(exc) from exc
        return blob_id

    def _get(self, blob_id: str, offset: int, length: int | None) -> bytes:
        try:
            with open(self._path(blob_id), "rb") as f:
                f.seek(offset)
                return f.read() if length is None else f.read(length)
        except FileNotFoundError:
            raise BlobNotFound(blob_id) from None

    async def get(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        try:
            return await asyncio.to_thread(self._get, blob_id, offset, length)
        except BlobError:
            raise
        except OSError as exc:
            raise BlobUnavailable(str(exc)) from exc

    async def stat(self, blob_id: str) -> int | None:
        try:
            return (await asyncio.to_thread(self._path(blob_id).stat)).st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BlobUnavailable(str(exc)) from exc

    async def delete(self, blob_id: str) -> None:
        try:
            await asyncio.to_thread(self._path(blob_id).unlink, True)
        except OSError as exc:
            raise BlobUnavailable(str(exc)) from exc

    def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        return _ranged_chunks(self.get, blob_id, offset, None if length is None else offset + length)

    def _listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        base = self.root / "sha256"
        if not base.is_dir():
            return out
        for prefix in sorted(p.name for p in base.iterdir() if p.is_dir() and p.name >= after[:2]):
            for name in sorted(os.listdir(base / prefix)):
                if name > after and _BLOB_ID.match(name):
                    with contextlib.suppress(FileNotFoundError):
                        out.append((name, (base / prefix / name).stat().st_mtime))
                        if len(out) >= limit:
                            return out
        return out

    async def listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        try:
            return await asyncio.to_thread(self._listing, after, limit)
        except OSError as exc:
            raise BlobUnavailable(str(exc)) from exc

    async def close(self) -> None:
        return None


class S3BlobStore:
    """Blobs in an S3 bucket through the minio SDK (blocking calls run in threads)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
    ) -> None:
        import urllib3
        from minio import Minio

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=30.0),
            maxsize=32,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http
        )
        self.bucket = bucket
        self._bucket_ready = False

    def _ensure_bucket(self) -> None:
        from minio.error import S3Error

        if self._bucket_ready:
            return
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:  # a concurrent creator won
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._bucket_ready = True

    async def _call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        from minio.error import S3Error

        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                raise BlobNotFound(str(exc)) from exc
            if exc.code in S3_FULL:
                raise BlobStoreFull(f"s3: {exc.code}: {exc.message}") from exc
            raise BlobUnavailable(f"s3: {exc.code}: {exc.message}") from exc
        except BlobError:
            raise
        except Exception as exc:  # urllib3 / connection errors
            raise BlobUnavailable(f"s3: {exc}") from exc

    def _put(self, data: bytes, blob_id: str) -> None:
        self._ensure_bucket()
        self.client.put_object(
            self.bucket, object_key(blob_id), io.BytesIO(data), len(data), content_type="message/rfc822"
        )

    async def put(self, data: bytes) -> str:
        blob_id = blob_id_of(data)
        await self._call(self._put, data, blob_id)
        return blob_id

    def _get(self, blob_id: str, offset: int, length: int | None) -> bytes:
        self._ensure_bucket()
        if length == 0:
            return b""
        resp = self.client.get_object(self.bucket, object_key(blob_id), offset=offset, length=length or 0)
        try:
            return resp.read()
        finally:
            resp.close()
            resp.release_conn()

    async def get(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        check_blob_id(blob_id)
        return await self._call(self._get, blob_id, offset, length)  # type: ignore[no-any-return]

    def _stat(self, blob_id: str) -> int | None:
        from minio.error import S3Error

        self._ensure_bucket()
        try:
            return int(self.client.stat_object(self.bucket, object_key(blob_id)).size or 0)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"):
                return None
            raise

    async def stat(self, blob_id: str) -> int | None:
        return await self._call(self._stat, blob_id)  # type: ignore[no-any-return]

    def _delete(self, blob_id: str) -> None:
        self._ensure_bucket()
        self.client.remove_object(self.bucket, object_key(blob_id))

    async def delete(self, blob_id: str) -> None:
        await self._call(self._delete, blob_id)

    def _listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        self._ensure_bucket()
        start = object_key(after) if after else None
        out: list[tuple[str, float]] = []
        for obj in self.client.list_objects(self.bucket, prefix="sha256/", recursive=True, start_after=start):
            blob_id = str(obj.object_name).rpartition("/")[2]
            if not _BLOB_ID.match(blob_id):
                continue
            out.append((blob_id, obj.last_modified.timestamp() if obj.last_modified else time.time()))
            if len(out) >= limit:
                break
        return out

    async def listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        return await self._call(self._listing, after, limit)  # type: ignore[no-any-return]

    async def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        size = await self.stat(blob_id)
        if size is None:
            raise BlobNotFound(blob_id)
        end = size if length is None else min(size, offset + length)
        async for chunk in _ranged_chunks(self.get, blob_id, offset, end):
            yield chunk

    async def close(self) -> None:
        return None


class CachedBlobStore:
    """A bounded LRU cache of whole small blobs in front of another store (front-end pods)."""

    def __init__(self, inner: BlobStore, max_bytes: int, max_item: int = 1024 * 1024) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self.max_item = max_item
        self._lru: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._bytes = 0

    def _remember(self, blob_id: str, data: bytes) -> None:
        if len(data) > self.max_item or len(data) > self.max_bytes:
            return
        if blob_id in self._lru:
            return
        self._lru[blob_id] = data
        self._bytes += len(data)
        while self._bytes > self.max_bytes:
            _, old = self._lru.popitem(last=False)
            self._bytes -= len(old)

    async def put(self, data: bytes) -> str:
        blob_id = await self.inner.put(data)
        self._remember(blob_id, data)
        return blob_id

    async def get(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        data = self._lru.get(blob_id)
        BLOB_CACHE.labels("miss" if data is None else "hit").inc()
        if data is None:
            size = await self.inner.stat(blob_id)
            if size is None:
                raise BlobNotFound(blob_id)
            if size > self.max_item:
                return await self.inner.get(blob_id, offset, length)
            data = await self.inner.get(blob_id)
            self._remember(blob_id, data)
        else:
            self._lru.move_to_end(blob_id)
        return data[offset:] if length is None else data[offset : offset + length]

    async def stat(self, blob_id: str) -> int | None:
        data = self._lru.get(blob_id)
        return len(data) if data is not None else await self.inner.stat(blob_id)

    async def delete(self, blob_id: str) -> None:
        data = self._lru.pop(blob_id, None)
        if data is not None:
            self._bytes -= len(data)
        await self.inner.delete(blob_id)

    async def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        data = self._lru.get(blob_id)
        if data is not None:
            chunk = data[offset:] if length is None else data[offset : offset + length]
            for i in range(0, len(chunk), CHUNK):
                yield chunk[i : i + CHUNK]
            return
        async for part in self.inner.stream(blob_id, offset, length):
            yield part

    async def listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        return await self.inner.listing(after, limit)

    async def close(self) -> None:
        await self.inner.close()


BLOB_OPS = Counter(
    "kubemail_blob_operations_total",
    "Calls to the blob backend (S3/MinIO or directory) by operation and result",
    ["op", "result"],
)
BLOB_LATENCY = Histogram(
    "kubemail_blob_operation_duration_seconds",
    "Latency of blob backend calls by operation (stream: time to the first chunk)",
    ["op"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
BLOB_CACHE = Counter("kubemail_blob_cache_requests_total", "Blob reads served by the in-pod cache", ["result"])
_OPS = ("put", "get", "stat", "delete", "stream", "list")
for _op in _OPS:
    BLOB_LATENCY.labels(_op)
    for _result in ("ok", "not_found", "unavailable", "error"):
        BLOB_OPS.labels(_op, _result)
for _result in ("hit", "miss"):
    BLOB_CACHE.labels(_result)


def _result_of(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, BlobNotFound):
        return "not_found"
    if isinstance(exc, BlobUnavailable):
        return "unavailable"
    return "error"


class InstrumentedBlobStore:
    """Counts and times every call to the backend it wraps (kubemail_blob_*)."""

    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner

    async def _timed(self, op: str, call: Awaitable[T]) -> T:
        start = time.perf_counter()
        exc: BaseException | None = None
        try:
            return await call
        except BaseException as e:
            exc = e
            raise
        finally:
            if not isinstance(exc, asyncio.CancelledError):
                BLOB_OPS.labels(op, _result_of(exc)).inc()
                BLOB_LATENCY.labels(op).observe(time.perf_counter() - start)

    async def put(self, data: bytes) -> str:
        return await self._timed("put", self.inner.put(data))

    async def get(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        return await self._timed("get", self.inner.get(blob_id, offset, length))

    async def stat(self, blob_id: str) -> int | None:
        return await self._timed("stat", self.inner.stat(blob_id))

    async def delete(self, blob_id: str) -> None:
        await self._timed("delete", self.inner.delete(blob_id))

    async def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        parts = self.inner.stream(blob_id, offset, length)
        first = await self._timed("stream", anext(parts, b""))
        if not first:
            return
        yield first
        async for part in parts:
            yield part

    async def listing(self, after: str, limit: int) -> list[tuple[str, float]]:
        return await self._timed("list", self.inner.listing(after, limit))

    async def close(self) -> None:
        await self.inner.close()


def make_blobstore(cfg: object, cache: bool = False) -> BlobStore:
    """The blob store a CommonConfig describes."""
    backend = getattr(cfg, "blob_backend", "fs")
    store: BlobStore
    if backend == "s3":
        store = S3BlobStore(
            cfg.s3_endpoint,  # type: ignore[attr-defined]
            cfg.s3_access_key,  # type: ignore[attr-defined]
            cfg.s3_secret_key,  # type: ignore[attr-defined]
            cfg.s3_bucket,  # type: ignore[attr-defined]
            secure=cfg.s3_secure,  # type: ignore[attr-defined]
            region=cfg.s3_region,  # type: ignore[attr-defined]
        )
    elif backend == "fs":
        store = FsBlobStore(cfg.blob_dir)  # type: ignore[attr-defined]
    else:
        raise ValueError(f"KUBEMAIL_BLOB_BACKEND must be s3 or fs, not {backend!r}")
    store = InstrumentedBlobStore(store)
    if cache and getattr(cfg, "blob_cache_bytes", 0) > 0:
        store = CachedBlobStore(store, cfg.blob_cache_bytes)  # type: ignore[attr-defined]
    return store
