# ruff: noqa: N802  -- gRPC method names come from the proto
"""POP3 maildrop lock (fencing tokens) and shared rate limits."""

from __future__ import annotations

import math
import time
from typing import Any

from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.gen.kubemail.v1 import limits_pb2_grpc as limits_rpc
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import maildrop_pb2_grpc as maildrop_rpc
from services.metadata import keys
from services.metadata.directory import DirectoryData
from services.metadata.errors import invalid
from services.metadata.store import Store

_LockRequest = maildrop_pb.AcquireRequest | maildrop_pb.RefreshRequest | maildrop_pb.ReleaseRequest
_Window = limits_pb.HitRequest | limits_pb.PeekRequest
_Backoff = limits_pb.BackoffFailRequest | limits_pb.BackoffCheckRequest | limits_pb.BackoffResetRequest
MAX_BACKOFF = 7 * 86400
MAX_TTL = 3600
DEFAULT_TTL = 300


class MaildropServicer(maildrop_rpc.MaildropServiceServicer):
    def __init__(self, store: Store, directory: DirectoryData) -> None:
        self.store = store
        self.dir = directory

    async def _op(self, op: str, request: _LockRequest) -> tuple[bool, int]:
        await self.dir.require_user(request.user_id)
        if not request.holder or len(request.holder) > 256:
            raise invalid("holder (1..256 characters) is required")
        if request.ttl_seconds > MAX_TTL:
            raise invalid(f"ttl_seconds above {MAX_TTL}")
        token = 0 if isinstance(request, maildrop_pb.AcquireRequest) else request.fencing_token
        if op != "acquire" and not token:
            raise invalid("fencing_token is required")
        ttl = request.ttl_seconds or DEFAULT_TTL
        res = await self.store.user_script("maildrop", request.user_id, [op, request.holder, ttl, token])
        return bool(res["acquired"]), int(res["token"])

    async def Acquire(self, request: maildrop_pb.AcquireRequest, context: Any) -> maildrop_pb.AcquireResponse:
        acquired, token = await self._op("acquire", request)
        return maildrop_pb.AcquireResponse(acquired=acquired, fencing_token=token)

    async def Refresh(self, request: maildrop_pb.RefreshRequest, context: Any) -> maildrop_pb.RefreshResponse:
        acquired, token = await self._op("refresh", request)
        return maildrop_pb.RefreshResponse(acquired=acquired, fencing_token=token)

    async def Release(self, request: maildrop_pb.ReleaseRequest, context: Any) -> maildrop_pb.ReleaseResponse:
        acquired, token = await self._op("release", request)
        return maildrop_pb.ReleaseResponse(acquired=acquired, fencing_token=token)


class LimitsServicer(limits_rpc.LimitsServiceServicer):
    """Sliding window approximated by two fixed windows (weighted previous + current)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def _hit(self, request: _Window, cost: int) -> tuple[bool, int, int]:
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
        return allowed, min(count, 2**32 - 1), retry

    async def Hit(self, request: limits_pb.HitRequest, context: Any) -> limits_pb.HitResponse:
        allowed, count, retry = await self._hit(request, request.cost or 1)
        return limits_pb.HitResponse(allowed=allowed, count=count, retry_after_seconds=retry)

    async def Peek(self, request: limits_pb.PeekRequest, context: Any) -> limits_pb.PeekResponse:
        allowed, count, retry = await self._hit(request, 0)
        return limits_pb.PeekResponse(allowed=allowed, count=count, retry_after_seconds=retry)

    async def _backoff(self, op: str, request: _Backoff) -> tuple[int, int]:
        """(failures, retry_after_seconds) of one backoff key."""
        if not request.bucket or len(request.bucket) > 64 or not request.key or len(request.key) > 512:
            raise invalid("bucket (1..64) and key (1..512) are required")
        free = base = top = 1
        if isinstance(request, limits_pb.BackoffFailRequest):
            base = request.base_seconds or 1
            top = request.max_seconds or base
            if top > MAX_BACKOFF or base > top:
                raise invalid(f"base_seconds <= max_seconds <= {MAX_BACKOFF} required")
            free = request.free_failures or 1
        failures, retry_ms = await self.store.script(
            "backoff",
            [keys.backoff(request.bucket, request.key)],
            [op, int(time.time() * 1000), free, base * 1000, top * 1000],
        )
        return min(int(failures), 2**32 - 1), math.ceil(int(retry_ms) / 1000)

    async def BackoffFail(self, request: limits_pb.BackoffFailRequest, context: Any) -> limits_pb.BackoffFailResponse:
        failures, retry = await self._backoff("fail", request)
        return limits_pb.BackoffFailResponse(failures=failures, retry_after_seconds=retry)

    async def BackoffCheck(
        self, request: limits_pb.BackoffCheckRequest, context: Any
    ) -> limits_pb.BackoffCheckResponse:
        failures, retry = await self._backoff("check", request)
        return limits_pb.BackoffCheckResponse(failures=failures, retry_after_seconds=retry)

    async def BackoffReset(
        self, request: limits_pb.BackoffResetRequest, context: Any
    ) -> limits_pb.BackoffResetResponse:
        await self._backoff("reset", request)
        return limits_pb.BackoffResetResponse()
