"""The metadata gRPC client every front-end and the operator use.

Deadlines on every call (KUBEMAIL_GRPC_TIMEOUT unless the caller gives one), retries of
UNAVAILABLE through the gRPC service config (the metadata service returns UNAVAILABLE
only when it wrote nothing; Deliver/Append also carry idempotency keys), keepalive, and
client metrics (kubemail_grpc_client_*). `addr` may be `host:port` or a gRPC target such as
`dns:///kubemail-metadata-headless.mail.svc.cluster.local:50051` (round-robin over pods).

The metadata server ages connections out (KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS): on
GOAWAY the channel re-resolves and reconnects by itself, unary calls in flight finish within
the grace, and a call the server refused as the connection went away is retried by gRPC
(transparent retry; `grpc.enable_retries`). Streams cut after the grace end with UNAVAILABLE:
their consumers re-open them (services.imap.watch).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from services.gen.kubemail.v1 import metadata_pb2_grpc as rpc

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
                {"service": "kubemail.v1.Directory"},
                {"service": "kubemail.v1.Mailboxes"},
                {"service": "kubemail.v1.Messages"},
                {"service": "kubemail.v1.Maildrop"},
                {"service": "kubemail.v1.Limits"},
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
        if client_call_details.timeout is None:
            d = client_call_details
            client_call_details = grpc.aio.ClientCallDetails(
                d.method, self.timeout, d.metadata, d.credentials, d.wait_for_ready
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
            raise
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
        ]
        self.addr = addr
        self.timeout = timeout
        interceptors: list[Any] = [_Interceptor(timeout)]
        self.channel = grpc.aio.insecure_channel(addr, options=options, interceptors=interceptors)
        self.directory = rpc.DirectoryStub(self.channel)
        self.mailboxes = rpc.MailboxesStub(self.channel)
        self.messages = rpc.MessagesStub(self.channel)
        self.changes = rpc.ChangesStub(self.channel)
        self.maildrop = rpc.MaildropStub(self.channel)
        self.limits = rpc.LimitsStub(self.channel)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> MetadataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
