"""Typed failures across gRPC (invariant 10, docs/decisions/0007-error-model.md).

The metadata service puts the name of a ``kubemail.v1.ErrorReason`` in the trailing metadata
key :data:`REASON_KEY` of every failed call. The client (services.common.grpcclient) raises
:class:`MetadataError`, whose ``reason`` is the only thing callers branch on; its details are
prose for logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc

from services.gen.kubemail.v1 import errors_pb2

Reason = errors_pb2.ErrorReason
REASON_KEY = "kubemail-error-reason"

# the reason of a failure that carries none (raised by the gRPC library, or an older server)
_BY_CODE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.UNAVAILABLE: errors_pb2.ERROR_REASON_BACKEND_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors_pb2.ERROR_REASON_TIMEOUT,
    grpc.StatusCode.UNIMPLEMENTED: errors_pb2.ERROR_REASON_UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL: errors_pb2.ERROR_REASON_INTERNAL,
}

# reasons a caller may retry later: the service wrote nothing, except after TIMEOUT, when it may
# have (retry with the same idempotency key: services.common.mailstore, decision 0010)
TEMPORARY: frozenset[int] = frozenset(
    {
        errors_pb2.ERROR_REASON_BACKEND_UNAVAILABLE,
        errors_pb2.ERROR_REASON_TIMEOUT,
        errors_pb2.ERROR_REASON_BLOB_COLLECTING,
    }
)


def reason_name(reason: int) -> str:
    return str(Reason.Name(reason))  # type: ignore[arg-type]


def encode(reason: int) -> tuple[tuple[str, str]]:
    """Trailing metadata carrying `reason`."""
    return ((REASON_KEY, reason_name(reason)),)


def decode(metadata: Iterable[Any] | None, code: grpc.StatusCode) -> int:
    """The reason in trailing metadata; for none, one derived from the status code."""
    for item in metadata or ():
        key, value = item[0], item[1]
        if key == REASON_KEY:
            text = value.decode() if isinstance(value, bytes) else str(value)
            try:
                return int(Reason.Value(text))
            except ValueError:
                return errors_pb2.ERROR_REASON_UNSPECIFIED
    return _BY_CODE.get(code, errors_pb2.ERROR_REASON_UNSPECIFIED)


class MetadataError(grpc.aio.AioRpcError):
    """A failed metadata call: `reason` (an ErrorReason value) says why.

    It is an AioRpcError, so code that only needs "the call failed" keeps catching that.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: int,
        details: str | None = None,
        initial_metadata: Any = None,
        trailing_metadata: Any = None,
        debug_error_string: str | None = None,
    ) -> None:
        super().__init__(
            code,
            initial_metadata if initial_metadata is not None else grpc.aio.Metadata(),
            trailing_metadata if trailing_metadata is not None else grpc.aio.Metadata(),
            details,
            debug_error_string,
        )
        self.reason = reason

    @classmethod
    def from_rpc_error(cls, exc: grpc.aio.AioRpcError) -> MetadataError:
        if isinstance(exc, MetadataError):
            return exc
        trailing = exc.trailing_metadata()
        return cls(
            exc.code(),
            decode(trailing, exc.code()),
            exc.details(),
            exc.initial_metadata(),
            trailing,
            exc.debug_error_string(),
        )

    @property
    def temporary(self) -> bool:
        return self.reason in TEMPORARY

    def __str__(self) -> str:
        return f"{reason_name(self.reason)} ({self.code().name}): {self.details() or ''}"


def reason_of(exc: BaseException) -> int:
    """The reason of any failed call (a streaming call raises a plain AioRpcError)."""
    if isinstance(exc, MetadataError):
        return exc.reason
    if isinstance(exc, grpc.aio.AioRpcError):
        return decode(exc.trailing_metadata(), exc.code())
    return errors_pb2.ERROR_REASON_UNSPECIFIED
