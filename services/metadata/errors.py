"""Errors as gRPC statuses, and the wrapper every RPC handler runs in.

Handlers raise :class:`Fail` for expected outcomes. Redis or blob store outages become
UNAVAILABLE (each write is one Lua script, so nothing was half-written); anything else is
logged and becomes INTERNAL. No exception ever escapes to grpc.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import redis.exceptions as rexc

from services.common.blobstore import BlobUnavailable
from services.metadata.metrics import RPC_DURATION, RPC_TOTAL

log = logging.getLogger("kubemail.metadata")


class Fail(Exception):  # noqa: N818 (a status, not a bug)
    """An expected failure answered with a gRPC status code."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> Fail:
    return Fail(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> Fail:
    return Fail(grpc.StatusCode.NOT_FOUND, message)


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    rexc.ConnectionError,
    rexc.TimeoutError,
    rexc.BusyLoadingError,
    rexc.ClusterDownError,
    rexc.ClusterError,
    rexc.TryAgainError,
    rexc.MasterDownError,
    BlobUnavailable,
    ConnectionError,
    asyncio.TimeoutError,
)


def _status(exc: BaseException, method: str) -> tuple[grpc.StatusCode, str]:
    if isinstance(exc, Fail):
        return exc.code, exc.message
    if isinstance(exc, UNAVAILABLE_ERRORS):
        log.warning("%s: backend unavailable: %s", method, exc)
        return grpc.StatusCode.UNAVAILABLE, f"backend unavailable: {type(exc).__name__}"
    if isinstance(exc, rexc.ResponseError) and "NOSCRIPT" not in str(exc) and "READONLY" in str(exc):
        return grpc.StatusCode.UNAVAILABLE, "redis is read-only"
    log.exception("%s: unexpected error", method, exc_info=exc)
    return grpc.StatusCode.INTERNAL, "internal error"


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def wrap_unary(method: str, fn: Handler) -> Handler:
    """Runs `fn` with status mapping and the rpc metrics."""

    @functools.wraps(fn)
    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        start = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            return await fn(request, context)
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except Exception as exc:
            code, message = _status(exc, method)
            await context.abort(code, message)
        finally:
            RPC_TOTAL.labels(method, code.name).inc()
            RPC_DURATION.labels(method).observe(time.perf_counter() - start)

    return call


StreamHandler = Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]


def wrap_stream(method: str, fn: StreamHandler) -> StreamHandler:
    @functools.wraps(fn)
    async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        code = grpc.StatusCode.OK
        try:
            async for item in fn(request, context):
                yield item
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except Exception as exc:
            code, message = _status(exc, method)
            await context.abort(code, message)
        finally:
            RPC_TOTAL.labels(method, code.name).inc()

    return call
