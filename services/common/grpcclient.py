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

import asyncio
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from services.common.actor import ACTOR, HEADER
from services.common.metrics import Children
from services.common.rpcerrors import MetadataError, reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import changes_pb2_grpc as changes_rpc
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import devices_pb2_grpc as devices_rpc
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import directory_pb2_grpc as directory_rpc
from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.gen.kubemail.v1 import limits_pb2_grpc as limits_rpc
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import mailboxes_pb2_grpc as mailboxes_rpc
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import maildrop_pb2_grpc as maildrop_rpc
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import messages_pb2_grpc as messages_rpc
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
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
_CALLS = Children(GRPC_CLIENT_CALLS)  # (method, code) -> series, each made on first use
_LATENCY = Children(GRPC_CLIENT_LATENCY)

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


class _Unary:
    """One unary method of a metadata stub: the plain grpc.aio multicallable with the default
    deadline and the actor header filled in, the client metrics, and AioRpcError raised as
    MetadataError. No grpc.aio interceptor: an intercepted call costs another call object and
    another task per call (bench/grpc_calls.py). Calling it takes the actor of the caller's
    context; the RPC starts when the result is awaited (on the awaiting thread's event loop, so
    a call may be made on one thread and run on another's loop), which gives the response."""

    __slots__ = ("_call", "_name", "_timeout")

    def __init__(self, multicallable: Any, name: str, timeout: float) -> None:
        self._call = multicallable
        self._name = name
        self._timeout = timeout

    def __call__(
        self, request: Any, *, timeout: float | None = None, metadata: Any = None, **kwargs: Any
    ) -> Coroutine[Any, Any, Any]:
        actor = ACTOR.get()
        if actor:
            metadata = (*metadata, (HEADER, actor)) if metadata else ((HEADER, actor),)
        return self._run(request, self._timeout if timeout is None else timeout, metadata, kwargs)

    def _done(self, code: str, start: float) -> None:
        _CALLS[self._name, code].inc()
        _LATENCY[self._name].observe(time.perf_counter() - start)

    async def _run(self, request: Any, timeout: float, metadata: Any, kwargs: dict[str, Any]) -> Any:
        start = time.perf_counter()
        try:
            response = await self._call(request, timeout=timeout, metadata=metadata, **kwargs)
        except grpc.aio.AioRpcError as exc:
            self._done(exc.code().name, start)
            raise MetadataError.from_rpc_error(exc) from None
        except asyncio.CancelledError:
            self._done("CANCELLED", start)
            raise
        self._done("OK", start)
        return response


def _stub(stub_class: Callable[[grpc.aio.Channel], Any], module: Any, channel: grpc.aio.Channel, timeout: float) -> Any:
    """`stub_class` (``<Name>Stub`` of the service ``<Name>`` in the _pb2 `module`) on `channel`
    with every unary-unary method a :class:`_Unary`; streaming methods (ChangesService.Watch)
    stay the plain multicallables (no default deadline, no actor header, no metrics: their
    callers pass what they need, services.common.watch)."""
    descriptor = module.DESCRIPTOR.services_by_name[stub_class.__name__.removesuffix("Stub")]
    stub = stub_class(channel)
    for m in descriptor.methods:
        if not m.client_streaming and not m.server_streaming:
            setattr(stub, m.name, _Unary(getattr(stub, m.name), m.name, timeout))
    return stub


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
        self.channel = grpc.aio.insecure_channel(addr, options=options)
        ch = self.channel
        self.directory = _stub(directory_rpc.DirectoryServiceStub, directory_pb, ch, timeout)
        self.devices = _stub(devices_rpc.DevicesServiceStub, devices_pb, ch, timeout)
        self.mailboxes = _stub(mailboxes_rpc.MailboxesServiceStub, mailboxes_pb, ch, timeout)
        self.messages = _stub(messages_rpc.MessagesServiceStub, messages_pb, ch, timeout)
        self.changes = _stub(changes_rpc.ChangesServiceStub, changes_pb, ch, timeout)
        self.maildrop = _stub(maildrop_rpc.MaildropServiceStub, maildrop_pb, ch, timeout)
        self.limits = _stub(limits_rpc.LimitsServiceStub, limits_pb, ch, timeout)
        self.outbound = _stub(outbound_rpc.OutboundServiceStub, outbound_pb, ch, timeout)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> MetadataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
