# ruff: noqa: N802  -- gRPC method names come from the proto
"""Change feed: Watch streams fed by one shared Redis pub/sub connection per process.

The Lua write scripts PUBLISH "<kind>|<mailbox id>|<modseq>" on "{u:<id>}:ev" (kind m =
messages, b = mailboxes). Events may be lost; a reconnect re-sends HELLO so receivers
resync with GetChanges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aredis

from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import changes_pb2_grpc as changes_rpc
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.directory import DirectoryData
from services.metadata.metrics import WATCHERS

log = logging.getLogger("kubemail.metadata.changes")
QUEUE_SIZE = 1000
_KINDS = {b"m": changes_pb.ChangeEvent.KIND_MESSAGES, b"b": changes_pb.ChangeEvent.KIND_MAILBOXES}


class Hub:
    """Fans pub/sub messages out to the local Watch streams."""

    def __init__(self, redis_url: str, timeout: float) -> None:
        self.url = redis_url
        self.timeout = timeout
        self.queues: dict[str, set[asyncio.Queue[changes_pb.ChangeEvent]]] = {}
        self.lock = asyncio.Lock()
        self.pubsub: Any = None
        self.client: Any = None
        self.task: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()

    async def _connect(self) -> None:
        # PUBLISH is broadcast to every node of a cluster, so one node serves as well.
        self.client = aredis.Redis.from_url(self.url, socket_connect_timeout=2.0, socket_timeout=None)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        if self.queues:
            await self.pubsub.subscribe(*self.queues.keys())

    async def _close_conn(self) -> None:
        with contextlib.suppress(Exception):
            if self.pubsub is not None:
                await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            if self.client is not None:
                await self.client.aclose()
        self.pubsub = self.client = None

    async def subscribe(self, user_id: str) -> asyncio.Queue[changes_pb.ChangeEvent]:
        ch = keys.user(user_id).events
        q: asyncio.Queue[changes_pb.ChangeEvent] = asyncio.Queue(QUEUE_SIZE)
        async with self.lock:
            if self.pubsub is None:
                await self._connect()
            if ch not in self.queues:
                await self.pubsub.subscribe(ch)
                self.queues[ch] = set()
            self.queues[ch].add(q)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="watch-hub")
        self.wake.set()
        return q

    async def unsubscribe(self, user_id: str, q: asyncio.Queue[changes_pb.ChangeEvent]) -> None:
        ch = keys.user(user_id).events
        async with self.lock:
            qs = self.queues.get(ch)
            if qs is None:
                return
            qs.discard(q)
            if not qs:
                del self.queues[ch]
                with contextlib.suppress(Exception):
                    if self.pubsub is not None:
                        await self.pubsub.unsubscribe(ch)

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        ch = channel.decode()
        user_id = ch[3:].split("}", 1)[0]
        kind, _, rest = data.partition(b"|")
        mbid, _, ms = rest.partition(b"|")
        ev = changes_pb.ChangeEvent(
            kind=_KINDS.get(kind, changes_pb.ChangeEvent.KIND_MESSAGES),
            user_id=user_id,
            mailbox_id=mbid.decode(),
            modseq=int(ms or 0) if ms.isdigit() else 0,
        )
        for q in list(self.queues.get(ch, ())):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(ev)

    async def _run(self) -> None:
        while True:
            if not self.queues:
                self.wake.clear()
                await self.wake.wait()
                continue
            try:
                async with self.lock:
                    if self.pubsub is None:
                        await self._connect()
                        self._hello_all()
                    msg = await self.pubsub.get_message(timeout=0.05)
                if msg is not None and msg.get("type") == "message":
                    self._dispatch(msg["channel"], msg["data"])
                elif msg is None:
                    await asyncio.sleep(0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("pub/sub connection lost: %s", exc)
                async with self.lock:
                    await self._close_conn()
                await asyncio.sleep(0.5)

    def _hello_all(self) -> None:
        for ch, qs in self.queues.items():
            ev = changes_pb.ChangeEvent(kind=changes_pb.ChangeEvent.KIND_HELLO, user_id=ch[3:].split("}", 1)[0])
            for q in qs:
                with contextlib.suppress(asyncio.QueueFull):
                    q.put_nowait(ev)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
        await self._close_conn()


class ChangesServicer(changes_rpc.ChangesServiceServicer):
    def __init__(self, hub: Hub, directory: DirectoryData) -> None:
        self.hub = hub
        self.dir = directory

    async def Watch(self, request: changes_pb.WatchRequest, context: Any) -> AsyncIterator[changes_pb.WatchResponse]:  # type: ignore[override]
        await self.dir.require_user(request.user_id)
        only = v.mailbox_id(request.mailbox_id) if request.mailbox_id else ""
        q = await self.hub.subscribe(request.user_id)
        WATCHERS.inc()
        try:
            yield changes_pb.WatchResponse(
                event=changes_pb.ChangeEvent(kind=changes_pb.ChangeEvent.KIND_HELLO, user_id=request.user_id)
            )
            while True:
                event = await q.get()
                if not only or event.mailbox_id == only:  # one shared mailbox: its events only
                    yield changes_pb.WatchResponse(event=event)
        finally:
            WATCHERS.dec()
            await self.hub.unsubscribe(request.user_id, q)
