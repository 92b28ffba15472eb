"""services/common/rpcerrors.py: the reason in trailing metadata, decoded on the client."""

from __future__ import annotations

import grpc

from services.common import rpcerrors
from services.common.rpcerrors import MetadataError, reason_of
from services.gen.kubemail.v1 import errors_pb2 as er


def test_encode_decode_round_trip() -> None:
    for value in er.ErrorReason.values():
        md = rpcerrors.encode(value)
        assert rpcerrors.decode(md, grpc.StatusCode.UNKNOWN) == value
        assert rpcerrors.decode([(k, v.encode()) for k, v in md], grpc.StatusCode.UNKNOWN) == value


def test_missing_or_unknown_reason() -> None:
    assert rpcerrors.decode(None, grpc.StatusCode.UNAVAILABLE) == er.ERROR_REASON_BACKEND_UNAVAILABLE
    assert rpcerrors.decode((), grpc.StatusCode.DEADLINE_EXCEEDED) == er.ERROR_REASON_TIMEOUT
    assert rpcerrors.decode((), grpc.StatusCode.NOT_FOUND) == er.ERROR_REASON_UNSPECIFIED
    md = ((rpcerrors.REASON_KEY, "FROM_THE_FUTURE"),)
    assert rpcerrors.decode(md, grpc.StatusCode.NOT_FOUND) == er.ERROR_REASON_UNSPECIFIED


def test_metadata_error_is_an_rpc_error_with_a_reason() -> None:
    plain = grpc.aio.AioRpcError(
        grpc.StatusCode.NOT_FOUND,
        grpc.aio.Metadata(),
        grpc.aio.Metadata(*rpcerrors.encode(er.ERROR_REASON_NO_SUCH_USER)),
        "no such user",
    )
    assert reason_of(plain) == er.ERROR_REASON_NO_SUCH_USER
    typed = MetadataError.from_rpc_error(plain)
    assert isinstance(typed, grpc.aio.AioRpcError)
    assert (typed.reason, typed.code(), typed.details()) == (
        er.ERROR_REASON_NO_SUCH_USER,
        grpc.StatusCode.NOT_FOUND,
        "no such user",
    )
    assert reason_of(typed) == er.ERROR_REASON_NO_SUCH_USER and not typed.temporary
    assert MetadataError(grpc.StatusCode.UNAVAILABLE, er.ERROR_REASON_BACKEND_UNAVAILABLE).temporary
    assert reason_of(ValueError("x")) == er.ERROR_REASON_UNSPECIFIED
