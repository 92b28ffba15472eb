# ruff: noqa: N802  -- gRPC method names come from the proto
"""POP3 maildrop lock (fencing tokens) and shared rate limits."""

from __future__ import annotations

import math
import time
from typing import Any

from services.gen.kubemail.v1 import metadata_pb2 as pb
from services.gen.kubemail.v1 import metadata_pb2_grpc as rpc
from services.metadata import keys
from services.metadata.directory import DirectoryData
from services.metadata.errors import invalid
from services.metadata.store import Store

MAX_TTL = 3600
DEFAULT_TTL = 300


class MaildropServicer(rpc.MaildropServicer):
    def __init__(self, store: Store, directory: DirectoryData) -> None:
        self.store = store
        self.dir = directory

    async def _op(self, op: str, request: pb.MaildropLockRequest) -> pb.MaildropLockResponse:
        await self.dir.require_user(request.user_id)
        if not request.holder or len(request.holder) > 256:
            raise invalid("holder (1..256 characters) is required")
        if request.ttl_seconds > MAX_TTL:
            raise invalid(f"ttl_seconds above {MAX_TTL}")
        if op != "acquire" and not request.fencing_token:
            raise invalid("fencing_token is required")
        ttl = request.ttl_seconds or DEFAULT_TTL
        res = await self.store.user_script(
            "maildrop", request.user_id, [op, request.holder, ttl, request.fencing_token]
        )
        return pb.MaildropLockResponse(acquired=bool(res["acquired"]), fencing_token=int(res["token"]))

    async def Acquire(self, request: pb.MaildropLockRequest, context: Any) -> pb.MaildropLockResponse:
        return await self._op("acquire", request)

    async def Refresh(self, request: pb.MaildropLockRequest, context: Any) -> pb.MaildropLockResponse:
        return await self._op("refresh", request)

    async def Release(self, request: pb.MaildropLockRequest, context: Any) -> pb.MaildropLockResponse:
        return await self._op("release", request)


class LimitsServicer(rpc.LimitsServicer):
    """Sliding window approximated by two fixed windows (weighted previous + current)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def _hit(self, request: pb.HitRequest, cost: int) -> pb.HitResponse:
        if not request.bucket or len(request.bucket) > 64 or not request.key or len(request.key) > 512:
            raise invalid("bucket (1..64) and key (1..512) are required")
        if not 1 <= request.window_seconds <= 7 * 86400:
            raise invalid("window_seconds must be 1..604800")
        if request.limit == 0:
            raise invalid("limit must be positive")
        w_ms = request.window_seconds * 1000
        now_ms = int(time.time() * 1000)
        idx = now_ms // w_ms
        elapsed = now_ms - idx * w_ms
        base = keys.limit_base(request.bucket, request.key)
        count = int(
            await self.store.script(
                "limit_hit",
                [base + str(idx), base + str(idx - 1)],
                [cost, request.limit, request.window_seconds, elapsed],
            )
        )
        allowed = count <= request.limit
        retry = 0 if allowed else max(1, math.ceil((w_ms - elapsed) / 1000))
        return pb.HitResponse(allowed=allowed, count=min(count, 2**32 - 1), retry_after_seconds=retry)

    async def Hit(self, request: pb.HitRequest, context: Any) -> pb.HitResponse:
        return await self._hit(request, request.cost or 1)

    async def Peek(self, request: pb.HitRequest, context: Any) -> pb.HitResponse:
        return await self._hit(request, 0)
