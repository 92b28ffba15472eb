"""The IMAP server process: listeners (plain + implicit TLS), metrics, graceful shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from services.common import config, entry, httpserver, listener, logs
from services.common.auth import Authenticator, AuthLimits
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.tls import server_tls
from services.imap.config import ImapConfig
from services.imap.context import ServerContext
from services.imap.dispatch import CommandLoop
from services.imap.watch import WatchHub

log = logging.getLogger("kubemail.imap")


@dataclass
class ImapServer:
    ctx: ServerContext
    listeners: list[listener.Listener] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.listeners[0].port

    def port_of(self, name: str) -> int:
        return next(lst.port for lst in self.listeners if lst.name == name)

    async def stop(self, timeout: float = 5.0) -> None:
        self.ctx.closing = True
        for s in list(self.ctx.sessions):
            if s.changed is not None:
                s.changed.set()
        for lst in self.listeners:
            await listener.close_and_drain(lst, timeout)
        await self.ctx.hub.close()
        await self.ctx.md.close()
        with contextlib.suppress(Exception):
            await self.ctx.blobs.close()


async def start(
    cfg: ImapConfig,
    common: CommonConfig,
    port: int | None = None,
    tls_port: int | None = None,
    blobs: BlobStore | None = None,
    auth_limits: AuthLimits | None = None,
) -> ImapServer:
    """Starts listening. port / tls_port override the config (0 = ephemeral, None = config)."""
    md = MetadataClient(common.metadata_addr, common.grpc_timeout)
    store: Any = blobs or make_blobstore(common, cache=True)
    tls = server_tls(common.tls_cert, common.tls_key)
    ctx = ServerContext(
        cfg=cfg,
        common=common,
        md=md,
        blobs=store,
        hub=WatchHub(md),
        auth=Authenticator(md, "imap", auth_limits or config.load(AuthLimits)),
        tls=tls,
        trusted=config.parse_networks(common.trusted_networks),
    )

    async def handle(conn: listener.Connection) -> None:
        if len(ctx.sessions) >= cfg.max_connections:
            await conn.send(b"* BYE Too many connections, try later\r\n")
            return
        await CommandLoop(ctx, conn).run()

    srv = ImapServer(ctx)
    plain = cfg.port if port is None else port
    secure = cfg.tls_port if tls_port is None else tls_port
    common_kw: dict[str, Any] = dict(
        proxy_networks=common.proxy_networks,
        trusted_networks=common.trusted_networks,
        limit=cfg.max_line * 2,
    )
    if plain is not None and (plain or port == 0):
        srv.listeners.append(await listener.serve(cfg.host, plain, handle, name="imap", **common_kw))
    if tls is not None and secure is not None and (secure or tls_port == 0):
        srv.listeners.append(await listener.serve(cfg.host, secure, handle, tls=tls, name="imaps", **common_kw))
    return srv


async def main_async() -> None:
    common = config.load(CommonConfig)
    cfg = config.load(ImapConfig)
    logs.setup(common.log_level, common.log_format)
    srv = await start(cfg, common)
    http = (
        httpserver.start(common.metrics_host, common.metrics_port, lambda: not srv.ctx.closing)
        if (common.metrics_port)
        else None
    )
    log.info("imap ready on %s", ", ".join(f"{lst.name}:{lst.port}" for lst in srv.listeners))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("imap shutting down")
    await srv.stop(20.0)
    if http is not None:
        http.stop()


def main() -> None:
    entry.run(main_async, "imap")
