"""Errors as gRPC statuses with a typed reason, and the wrapper every RPC handler runs in.

Handlers raise :class:`Fail` for expected outcomes: an ``ErrorReason`` (the status code follows
from it, in :data:`CODES`) and prose for logs. Redis or blob store outages become UNAVAILABLE /
BACKEND_UNAVAILABLE (each write is one Lua script, so nothing was half-written); anything else
is logged and becomes INTERNAL / INTERNAL. The reason travels in trailing metadata
(services.common.rpcerrors). No exception ever escapes to grpc.
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

from services.common import rpcerrors
from services.common.blobstore import BlobUnavailable
from services.common.metrics import Children
from services.gen.kubemail.v1 import errors_pb2 as er
from services.metadata.metrics import RPC_DURATION, RPC_TOTAL

log = logging.getLogger("kubemail.metadata")

_C = grpc.StatusCode
# every reason the service sends, and its status code (the one table)
CODES: dict[int, grpc.StatusCode] = {
    er.ERROR_REASON_INVALID_ARGUMENT: _C.INVALID_ARGUMENT,
    er.ERROR_REASON_NO_SUCH_USER: _C.NOT_FOUND,
    er.ERROR_REASON_NO_SUCH_DOMAIN: _C.NOT_FOUND,
    er.ERROR_REASON_NO_SUCH_MAILBOX: _C.NOT_FOUND,
    er.ERROR_REASON_NO_SUCH_DESTINATION: _C.NOT_FOUND,
    er.ERROR_REASON_MAILBOX_EXISTS: _C.ALREADY_EXISTS,
    er.ERROR_REASON_ALIAS_TAKEN: _C.ALREADY_EXISTS,
    er.ERROR_REASON_QUOTA_EXCEEDED: _C.RESOURCE_EXHAUSTED,
    er.ERROR_REASON_MESSAGE_TOO_LARGE: _C.RESOURCE_EXHAUSTED,
    er.ERROR_REASON_USER_LIMIT: _C.RESOURCE_EXHAUSTED,
    er.ERROR_REASON_METADATA_TOO_MANY: _C.RESOURCE_EXHAUSTED,
    er.ERROR_REASON_METADATA_TOO_LARGE: _C.RESOURCE_EXHAUSTED,
    er.ERROR_REASON_KEYWORD_LIMIT: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_BLOB_MISSING: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_DOMAIN_NOT_EMPTY: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_INBOX_PROTECTED: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_LEASE_LOST: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_LEASE_EXPIRED: _C.FAILED_PRECONDITION,
    er.ERROR_REASON_PERMISSION_DENIED: _C.PERMISSION_DENIED,
    er.ERROR_REASON_BLOB_COLLECTING: _C.ABORTED,
    er.ERROR_REASON_VERSION_CONFLICT: _C.ABORTED,
    er.ERROR_REASON_BACKEND_UNAVAILABLE: _C.UNAVAILABLE,
    er.ERROR_REASON_INTERNAL: _C.INTERNAL,
}


class Fail(Exception):  # noqa: N818 (a status, not a bug)
    """An expected failure: a reason (ErrorReason) and a message for humans."""

    def __init__(self, reason: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = CODES[reason]
        self.message = message


REASON_PREFIX = "ERROR_REASON_"


def invalid(message: str) -> Fail:
    return Fail(er.ERROR_REASON_INVALID_ARGUMENT, message)


def from_token(token: str, message: str) -> Fail:
    """A Lua script's error: its token is an ErrorReason name without the ERROR_REASON_ prefix
    (``err('KEYWORD_LIMIT', ...)``); an unknown one is a bug."""
    try:
        return Fail(er.ErrorReason.Value(REASON_PREFIX + token), message)
    except (ValueError, KeyError):
        log.error("script returned an unknown error token %r (%s)", token, message)
        return Fail(er.ERROR_REASON_INTERNAL, "internal error")


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    rexc.ConnectionError,
    rexc.TimeoutError,
    rexc.BusyLoadingError,
    rexc.ClusterDownError,
    rexc.ClusterError,
    rexc.TryAgainError,
    rexc.MasterDownError,
    rexc.ReadOnlyError,
    BlobUnavailable,
    ConnectionError,
    asyncio.TimeoutError,
)


def _status(exc: BaseException, method: str) -> Fail:
    if isinstance(exc, Fail):
        return exc
    if isinstance(exc, UNAVAILABLE_ERRORS):
        log.warning("%s: backend unavailable: %s", method, exc)
        return Fail(er.ERROR_REASON_BACKEND_UNAVAILABLE, f"backend unavailable: {type(exc).__name__}")
    log.exception("%s: unexpected error", method, exc_info=exc)
    return Fail(er.ERROR_REASON_INTERNAL, "internal error")


async def _abort(context: grpc.aio.ServicerContext, fail: Fail) -> None:
    context.set_trailing_metadata(rpcerrors.encode(fail.reason))
    await context.abort(fail.code, fail.message)


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def wrap_unary(method: str, fn: Handler) -> Handler:
    """Runs `fn` with status mapping and the rpc metrics."""

    duration = _DURATIONS[method]

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
            fail = _status(exc, method)
            code = fail.code
            await _abort(context, fail)
        finally:
            _TOTALS[method, code.name].inc()
            duration.observe(time.perf_counter() - start)

    return call


_TOTALS = Children(RPC_TOTAL)  # (method, code) -> series (.labels() once each)
_DURATIONS = Children(RPC_DURATION)


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
            fail = _status(exc, method)
            code = fail.code
            await _abort(context, fail)
        finally:
            _TOTALS[method, code.name].inc()

    return call
