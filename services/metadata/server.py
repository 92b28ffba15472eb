"""The metadata gRPC server: every service, the standard health service, metrics, GC."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from grpc_health.v1 import _async as health_aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.actor import ACTOR, HEADER
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
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
from services.metadata.acl import Acl
from services.metadata.changes import ChangesServicer, Hub
from services.metadata.config import MetadataConfig
from services.metadata.devices import DevicesServicer
from services.metadata.directory import DirectoryData, DirectoryServicer
from services.metadata.errors import wrap_stream, wrap_unary
from services.metadata.gc import BlobGC
from services.metadata.mailboxes import MailboxesServicer
from services.metadata.mailboxes_data import MailboxData
from services.metadata.maildrop import LimitsServicer, MaildropServicer
from services.metadata.messages import MessagesServicer
from services.metadata.outbound import OutboundData, OutboundServicer
from services.metadata.store import Store, make_redis

log = logging.getLogger("kubemail.metadata")
SERVICE_FILES = {
    "DirectoryService": directory_pb.DESCRIPTOR,
    "MailboxesService": mailboxes_pb.DESCRIPTOR,
    "MessagesService": messages_pb.DESCRIPTOR,
    "ChangesService": changes_pb.DESCRIPTOR,
    "MaildropService": maildrop_pb.DESCRIPTOR,
    "LimitsService": limits_pb.DESCRIPTOR,
    "OutboundService": outbound_pb.DESCRIPTOR,
    "DevicesService": devices_pb.DESCRIPTOR,
}
SERVICES = tuple(SERVICE_FILES)


def _actor(context: Any) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == HEADER:
            return str(value)
    return ""


def _guard_unary(method: str, fn: Any, acl: Acl) -> Any:
    """Checks a call made for another user against that user's ACL first (services.metadata.acl)."""

    @functools.wraps(fn)
    async def call(request: Any, context: Any) -> Any:
        actor = _actor(context)
        await acl.check(method, request, actor)
        token = ACTOR.set(actor)
        try:
            return await fn(request, context)
        finally:
            ACTOR.reset(token)

    return call


def _guard_stream(method: str, fn: Any, acl: Acl) -> Any:
    @functools.wraps(fn)
    async def call(request: Any, context: Any) -> AsyncIterator[Any]:
        await acl.check(method, request, _actor(context))
        async for item in fn(request, context):
            yield item

    return call


def _wrap(servicer: Any, service: str, acl: Acl | None = None) -> Any:
    """Status mapping and metrics around every method; with `acl`, the ACL check of calls made
    for another user (every per-user service)."""
    desc = SERVICE_FILES[service].services_by_name[service]
    for m in desc.methods:
        fn = getattr(servicer, m.name)
        if m.server_streaming:
            setattr(servicer, m.name, wrap_stream(m.name, _guard_stream(m.name, fn, acl) if acl else fn))
        else:
            setattr(servicer, m.name, wrap_unary(m.name, _guard_unary(m.name, fn, acl) if acl else fn))
    return servicer


class MetadataServer:
    """A running server; `port` is the bound gRPC port."""

    def __init__(
        self, server: grpc.aio.Server, port: int, store: Store, blobs: BlobStore, hub: Hub, gc: BlobGC
    ) -> None:
        self.server = server
        self.port = port
        self.store = store
        self.blobs = blobs
        self.hub = hub
        self.gc = gc
        self.healthy = False
        self.health = health_aio.HealthServicer()
        self._tasks: list[asyncio.Task[None]] = []

    async def run_gc(self, grace: int | None = None) -> int:
        """One blob GC pass (tests, operators); returns the number of blobs deleted."""
        return await self.gc.run_once(grace)

    async def run_sweep(self, grace: int | None = None) -> int:
        """One reconcile sweep (tests, operators); returns the number of blobs deleted."""
        return await self.gc.sweep_once(grace)

    async def set_health(self, status: int) -> None:
        for name in ("", *(f"kubemail.v1.{s}" for s in SERVICES)):
            await self.health.set(name, status)

    async def _probe(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.store.r.ping(), 5)
                ok = True
            except Exception:
                ok = False
            self.healthy = ok
            await self.set_health(
                health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            with contextlib.suppress(Exception):
                await OutboundData(self.store).refresh_metrics()
            await asyncio.sleep(5)

    def bound_ports(self) -> dict[str, int]:
        return {"grpc": self.port}

    def ready(self) -> bool:
        return self.healthy

    async def stop(self, grace: float | None = 10.0) -> None:
        await self.health.enter_graceful_shutdown()
        for t in self._tasks:
            t.cancel()
        await self.hub.close()
        await self.server.stop(grace)
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t
        with contextlib.suppress(Exception):
            await self.store.close()
        with contextlib.suppress(Exception):
            await self.blobs.close()

    async def wait(self) -> None:
        await self.server.wait_for_termination()


def server_options(cfg: MetadataConfig) -> list[tuple[str, int]]:
    limit = max(cfg.max_summary_bytes + 1024 * 1024, 8 * 1024 * 1024)
    options = [
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        # gRPC sets SO_REUSEPORT by default: a second server (or an ephemeral-port test
        # server) would then share the port silently instead of failing to bind.
        ("grpc.so_reuseport", 0),
    ]
    if cfg.max_connection_age_seconds > 0:
        # Clients resolve the headless Service again only when they reconnect: an aged-out
        # connection (GOAWAY; unary calls in flight finish, new ones go to a fresh connection)
        # is how pods added by the HPA get traffic. After the grace, streams still open
        # (Watch) are cut and their consumers reconnect.
        options += [
            ("grpc.max_connection_age_ms", max(1, int(cfg.max_connection_age_seconds * 1000))),
            ("grpc.max_connection_age_grace_ms", max(0, int(cfg.max_connection_age_grace_seconds * 1000))),
        ]
    return options


async def start(
    cfg: MetadataConfig,
    common: CommonConfig,
    *,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> MetadataServer:
    """Starts the server on cfg.listen (port 0, or KUBEMAIL_EPHEMERAL_PORTS: a free port); `interceptors` wrap every
    call (tests use one to delay replies past the client's deadline)."""
    store = Store(make_redis(cfg), cfg.redis_cluster)
    blobs = make_blobstore(common)
    directory = DirectoryData(store, cfg)
    mailboxes = MailboxData(store)
    acl = Acl(store, directory, mailboxes)
    hub = Hub(cfg.redis_url, cfg.redis_timeout)
    gc = BlobGC(store, blobs, cfg.gc_grace_seconds, cfg.gc_sweep_batch, cfg.idempotency_ttl_seconds)
    server = grpc.aio.server(options=server_options(cfg), interceptors=list(interceptors))
    directory_rpc.add_DirectoryServiceServicer_to_server(
        _wrap(DirectoryServicer(directory), "DirectoryService"), server
    )
    mailboxes_rpc.add_MailboxesServiceServicer_to_server(
        _wrap(MailboxesServicer(store, directory, mailboxes), "MailboxesService", acl), server
    )
    messages_rpc.add_MessagesServiceServicer_to_server(
        _wrap(MessagesServicer(cfg, store, blobs, directory, mailboxes), "MessagesService", acl), server
    )
    changes_rpc.add_ChangesServiceServicer_to_server(
        _wrap(ChangesServicer(hub, directory), "ChangesService", acl), server
    )
    maildrop_rpc.add_MaildropServiceServicer_to_server(
        _wrap(MaildropServicer(store, directory), "MaildropService", acl), server
    )
    limits_rpc.add_LimitsServiceServicer_to_server(_wrap(LimitsServicer(store), "LimitsService"), server)
    devices_rpc.add_DevicesServiceServicer_to_server(
        _wrap(DevicesServicer(store, directory), "DevicesService", acl), server
    )
    outbound_rpc.add_OutboundServiceServicer_to_server(
        _wrap(OutboundServicer(cfg, store, blobs), "OutboundService"), server
    )
    host, _, configured = cfg.listen.rpartition(":")
    port = common.port(int(configured)) if configured.isdigit() else None
    addr = cfg.listen if port is None else f"{host or '[::]'}:{port}"
    try:
        bound = server.add_insecure_port(addr)
    except RuntimeError as exc:  # grpcio raises instead of returning 0 when the bind fails
        raise OSError(f"cannot listen on {addr}: address in use or not available") from exc
    if bound == 0:
        raise OSError(f"cannot listen on {addr}")
    ms = MetadataServer(server, bound, store, blobs, hub, gc)
    health_pb2_grpc.add_HealthServicer_to_server(ms.health, server)
    # every service is known to the health service before the port serves: a Check that comes
    # before the first Redis probe answers NOT_SERVING, not NOT_FOUND
    await ms.set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
    await server.start()
    ms._tasks.append(asyncio.create_task(ms._probe(), name="metadata-probe"))
    if cfg.gc_interval_seconds > 0:
        ms._tasks.append(asyncio.create_task(gc.loop(cfg.gc_interval_seconds), name="blob-gc"))
    if cfg.gc_sweep_interval_seconds > 0:
        ms._tasks.append(asyncio.create_task(gc.sweep_loop(cfg.gc_sweep_interval_seconds), name="blob-sweep"))
    log.info("metadata gRPC listening on %s", addr)
    return ms
