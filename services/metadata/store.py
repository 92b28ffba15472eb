"""Redis access: the client, the Lua scripts, key names and blob reference counts."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aredis
from redis.asyncio.cluster import RedisCluster
from redis.backoff import NoBackoff

from services.common.blobstore import BlobStore, BlobUnavailable
from services.common.metrics import Children
from services.gen.kubemail.v1 import errors_pb2 as er
from services.metadata import keys, lua
from services.metadata.config import MetadataConfig
from services.metadata.errors import UNAVAILABLE_ERRORS, Fail, from_token
from services.metadata.keys import GC_INTENTS, GC_ZERO
from services.metadata.metrics import BLOB_REFS, REDIS_DURATION, REDIS_ERRORS

T = TypeVar("T")
Arg = str | bytes | int | float


def make_redis(cfg: MetadataConfig) -> Any:
    """redis.asyncio.Redis or RedisCluster, without client-side retries (a retried script
    could run twice); the caller gets UNAVAILABLE and retries with its idempotency key."""
    from redis.asyncio.retry import Retry

    common: dict[str, Any] = {
        "socket_timeout": cfg.redis_timeout,
        "socket_connect_timeout": min(cfg.redis_timeout, 2.0),
        "retry": Retry(NoBackoff(), 0),
    }
    if cfg.redis_cluster:
        return RedisCluster.from_url(cfg.redis_url, cluster_error_retry_attempts=1, max_connections=1000, **common)
    # a blocking pool: a burst beyond the pool waits for a connection instead of failing
    pool: Any = aredis.BlockingConnectionPool.from_url(
        cfg.redis_url, max_connections=cfg.redis_pool_size, timeout=cfg.redis_timeout, **common
    )
    return aredis.Redis(connection_pool=pool)


#: Every operation name passed to Store.timed besides the script names (a test keeps the two in
#: step): their error series exist at 0 from the start, so the first failure after a restart is an
#: increase that rate() sees (KubemailRedisErrors), not a new series with a single sample.
OPS = (
    "acl_get", "acl_hint", "changes", "device_delete", "device_get", "device_list", "dir_del", "dir_get",
    "dir_list", "dir_set", "fetch", "gc_intent", "gc_scan", "gc_sweep_cursor", "gc_zadd", "gc_zrem", "mbx_get",
    "mbx_list", "metadata_get", "quota_get", "search", "settings_get", "settings_put", "subs", "uids",
)  # fmt: skip


# The "user" of an outbound queue entry's blob reference in an Intent: its idempotency key is the
# queue's full idem key, and the commit's evidence is the "#op:<op>" field there (outbound_add.lua).
OUTBOUND_OWNER = "#outbound"

_DURATIONS = Children(REDIS_DURATION)  # op -> series (.labels() once per op)
_ERRORS = Children(REDIS_ERRORS)


@dataclasses.dataclass
class Intent:
    """References taken before a commit that may not happen (invariant 4): an id for this attempt,
    the idempotency key its commit records the id under, and the references per user. A crash
    between the increment and `blob_settle` leaves the intent for the GC pass, which keeps the
    references if the user's idempotency record names this attempt and releases them if not."""

    idem: str
    refs: dict[str, int]
    op: str = dataclasses.field(default_factory=lambda: secrets.token_hex(8))
    started: int = dataclasses.field(default_factory=lambda: int(time.time()))
    users: set[str] = dataclasses.field(init=False)  # the users whose share is not settled yet

    def __post_init__(self) -> None:
        self.users = set(self.refs)

    @property
    def total(self) -> int:
        return sum(self.refs.values())

    def record(self) -> str:
        return json.dumps({"t": self.started, "k": self.idem, "u": self.refs}, separators=(",", ":"))

    def member(self, blob_id: str) -> str:
        return f"{blob_id} {self.op}"

    def script_key(self) -> str:
        """The idempotency argument of deliver.lua / copy.lua: "<key> <op>"."""
        return f"{self.idem} {self.op}"


class Store:
    """One Redis (or cluster) client with named scripts and timed operations."""

    def __init__(self, client: Any, cluster: bool) -> None:
        self.r = client
        self.cluster = cluster
        self._scripts: dict[str, Any] = {}
        for name, body in lua.USER_SCRIPTS.items():
            self._scripts[name] = client.register_script(lua.PRELUDE + body)
        for name, body in lua.PLAIN_SCRIPTS.items():
            self._scripts[name] = client.register_script(body)
        for op in (*self._scripts, *OPS):
            _ERRORS[op]  # the error series exists at 0 from the start

    async def timed(self, op: str, aw: Awaitable[T]) -> T:
        start = time.perf_counter()
        try:
            return await aw
        except UNAVAILABLE_ERRORS:
            _ERRORS[op].inc()
            raise
        finally:
            _DURATIONS[op].observe(time.perf_counter() - start)

    async def call(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        return await self.timed(op, fn())

    async def user_script(self, name: str, user_id: str, args: Sequence[Arg]) -> dict[str, Any]:
        """Runs a per-user script; raises Fail for {"err": ...} results."""
        k = keys.user(user_id)
        raw = await self.timed(name, self._scripts[name](keys=[k.mbx], args=[k.prefix, *args]))
        result: dict[str, Any] = json.loads(raw)
        if isinstance(result, dict) and "err" in result:
            raise from_token(str(result["err"]), str(result.get("msg", "")))
        return result

    async def user_read(self, name: str, user_id: str, args: Sequence[Arg]) -> list[Any]:
        """Runs a per-user read script that returns an array; an error comes back as a JSON
        string ({"err": ...}) and raises Fail."""
        k = keys.user(user_id)
        raw = await self.timed(name, self._scripts[name](keys=[k.mbx], args=[k.prefix, *args]))
        if isinstance(raw, bytes | str):
            result = json.loads(raw)
            raise from_token(str(result["err"]), str(result.get("msg", "")))
        return list(raw)

    async def script(self, name: str, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        return await self.timed(name, self._scripts[name](keys=list(keys), args=list(args)))

    def pipeline(self) -> Any:
        return self.r.pipeline(transaction=False)

    # -- blob reference counts (invariant 4) -----------------------------------------

    async def blob_incr(self, blob_id: str, intent: Intent) -> None:
        """Adds the intent's references before a commit, open (listed in gc:intents) until
        `blob_settle`; ABORTED while the blob is being collected."""
        n = intent.total
        if n <= 0:
            return
        await self.timed("gc_zadd", self.r.zadd(GC_INTENTS, {intent.member(blob_id): intent.started}))
        res = await self.script("blob_incr", [keys.blob(blob_id)], [n, intent.op, intent.record()])
        if int(res) < 0:
            await self.timed("gc_zrem", self.r.zrem(GC_INTENTS, intent.member(blob_id)))
            raise Fail(er.ERROR_REASON_BLOB_COLLECTING, "blob is being garbage-collected: upload it again and retry")
        BLOB_REFS.labels("incr").inc(n)

    async def blob_ready(self, blobs: BlobStore, blob_id: str, intent: Intent) -> None:
        """References first (over-counting is safe), then check the blob really exists."""
        await self.blob_incr(blob_id, intent)
        try:
            size = await blobs.stat(blob_id)
        except BlobUnavailable:
            await self.blob_release(blob_id, intent)
            raise
        if size is None:
            await self.blob_release(blob_id, intent)
            raise Fail(er.ERROR_REASON_BLOB_MISSING, "blob not found in the blob store: store it first")

    async def blob_release(self, blob_id: str, intent: Intent) -> None:
        """Every share of the intent not settled yet goes back (the commit did not happen)."""
        await self.blob_settle(blob_id, intent, dict.fromkeys(intent.users, 0))

    async def blob_settle(self, blob_id: str, intent: Intent, keep: dict[str, int]) -> int:
        """The intent's references of each user in `keep` become that many (what the commit kept);
        when the intent has no user left it leaves gc:intents. Returns the count (-1: settled before)."""
        args: list[Arg] = [intent.op, int(time.time())]
        for user, n in keep.items():
            args += [user, n]
        left = int(await self.script("blob_settle", [keys.blob(blob_id)], args))
        intent.users.difference_update(keep)
        if not intent.users:
            await self.timed("gc_zrem", self.r.zrem(GC_INTENTS, intent.member(blob_id)))
        dropped = sum(intent.refs.get(u, 0) - n for u, n in keep.items())
        if left >= 0 and dropped > 0:
            BLOB_REFS.labels("decr").inc(dropped)
        if left == 0:
            await self.timed("gc_zadd", self.r.zadd(GC_ZERO, {blob_id: int(time.time())}))
        return left

    async def blob_decr(self, blob_id: str, n: int = 1) -> None:
        if n <= 0 or not blob_id:
            return
        now = int(time.time())
        left = await self.script("blob_decr", [keys.blob(blob_id)], [n, now])
        BLOB_REFS.labels("decr").inc(n)
        if int(left) == 0:
            await self.timed("gc_zadd", self.r.zadd(GC_ZERO, {blob_id: now}))

    async def blob_decr_many(self, blob_ids: Sequence[str]) -> None:
        counts: dict[str, int] = {}
        for b in blob_ids:
            if b:
                counts[b] = counts.get(b, 0) + 1
        for b, n in counts.items():
            await self.blob_decr(b, n)

    async def close(self) -> None:
        await self.r.aclose()
