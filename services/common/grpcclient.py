"""The metadata gRPC client every front-end and the operator use.

Deadlines on every call (KUBEMAIL_GRPC_TIMEOUT unless the caller gives one), retries of
UNAVAILABLE through the gRPC service config, keepalive, and client metrics
(kubemail_grpc_client_*). Deliver, Append, Copy, Move and Outbound.Queue carry idempotency keys
(one per client transaction, reused by the mail store's retries). `addr` may be
`host:port` or a gRPC target such as
`dns:///kubemail-metadata-headless.mail.svc.cluster.local:50051` (round-robin over pods).

What a failure means: an UNAVAILABLE sent by the metadata service itself means it wrote
nothing. An UNAVAILABLE from a connection lost mid-call, and any DEADLINE_EXCEEDED, do not: the
call may have committed after all. Deliver, Append, Copy, Move and Outbound.Queue therefore carry
an idempotency key, one per client transaction and reused for every retry of its commit; message
writes go through services.common.mailstore, which does those retries (decision 0010).

A failed unary call raises :class:`~services.common.rpcerrors.MetadataError` (an AioRpcError
with `.reason`, the ErrorReason the service sent); callers branch on the reason, never on the
details text. A streaming call raises a plain AioRpcError: read it with `reason_of`.

The metadata server ages connections out (KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS): on
GOAWAY the channel re-resolves and reconnects by itself, unary calls in flight finish within
the grace, and a call the server refused as the connection went away is retried by gRPC
(transparent retry; `grpc.enable_retries`). Streams cut after the grace end with UNAVAILABLE:
their consumers re-open them (services.common.watch).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from services.common.actor import ACTOR, HEADER
from services.common.rpcerrors import MetadataError, reason_of
from services.gen.kubemail.v1 import changes_pb2_grpc as changes_rpc
from services.gen.kubemail.v1 import devices_pb2_grpc as devices_rpc
from services.gen.kubemail.v1 import directory_pb2_grpc as directory_rpc
from services.gen.kubemail.v1 import limits_pb2_grpc as limits_rpc
from services.gen.kubemail.v1 import mailboxes_pb2_grpc as mailboxes_rpc
from services.gen.kubemail.v1 import maildrop_pb2_grpc as maildrop_rpc
from services.gen.kubemail.v1 import messages_pb2_grpc as messages_rpc
from services.gen.kubemail.v1 import outbound_pb2_grpc as outbound_rpc

__all__ = ["MetadataClient", "MetadataError", "reason_of"]

GRPC_CLIENT_CALLS = Counter(
    "kubemail_grpc_client_calls_total", "gRPC calls made to the metadata service", ["method", "code"]
)
GRPC_CLIENT_LATENCY = Histogram(
    "kubemail_grpc_client_call_duration_seconds",
    "Latency of gRPC calls to the metadata service",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_SERVICE_CONFIG = {
    # With a dns:/// target naming a headless Service, calls spread over every metadata pod
    # (one HTTP/2 connection would otherwise pin a front-end to one pod).
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [
        {
            "name": [
                {"service": "kubemail.v1.DirectoryService"},
                {"service": "kubemail.v1.MailboxesService"},
                {"service": "kubemail.v1.MessagesService"},
                {"service": "kubemail.v1.MaildropService"},
                {"service": "kubemail.v1.LimitsService"},
                {"service": "kubemail.v1.OutboundService"},
            ],
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.1s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ],
}


def _short(method: str | bytes) -> str:
    m = method.decode() if isinstance(method, bytes) else method
    return m.rsplit("/", 1)[-1]


class _Interceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        actor = ACTOR.get()
        if client_call_details.timeout is None or actor:
            d = client_call_details
            md = d.metadata
            if actor:
                md = grpc.aio.Metadata(*(tuple(md) if md else ()), (HEADER, actor))
            client_call_details = grpc.aio.ClientCallDetails(
                d.method, self.timeout if d.timeout is None else d.timeout, md, d.credentials, d.wait_for_ready
            )
        method = _short(client_call_details.method)
        start = time.perf_counter()
        code = "OK"
        try:
            call = await continuation(client_call_details, request)
            await call
            return call
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            raise MetadataError.from_rpc_error(exc) from None
        finally:
            GRPC_CLIENT_CALLS.labels(method, code).inc()
            GRPC_CLIENT_LATENCY.labels(method).observe(time.perf_counter() - start)


class MetadataClient:
    """Stubs of every metadata service over one channel."""

    def __init__(self, addr: str, timeout: float = 10.0) -> None:
        options = [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", json.dumps(_SERVICE_CONFIG)),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
            # A subchannel pool of this channel's own: grpc otherwise shares subchannels between
            # channels to one address, and a new client then inherits the reconnect backoff of a
            # connection that failed before (tests/common/test_grpcclient_pool.py).
            ("grpc.use_local_subchannel_pool", 1),
        ]
        self.addr = addr
        self.timeout = timeout
        interceptors: list[Any] = [_Interceptor(timeout)]
        self.channel = grpc.aio.insecure_channel(addr, options=options, interceptors=interceptors)
        self.directory = directory_rpc.DirectoryServiceStub(self.channel)
        self.devices = devices_rpc.DevicesServiceStub(self.channel)
        self.mailboxes = mailboxes_rpc.MailboxesServiceStub(self.channel)
        self.messages = messages_rpc.MessagesServiceStub(self.channel)
        self.changes = changes_rpc.ChangesServiceStub(self.channel)
        self.maildrop = maildrop_rpc.MaildropServiceStub(self.channel)
        self.limits = limits_rpc.LimitsServiceStub(self.channel)
        self.outbound = outbound_rpc.OutboundServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> MetadataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
