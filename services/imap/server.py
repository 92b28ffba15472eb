"""The IMAP server process: listeners (plain + implicit TLS), metrics, graceful shutdown."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from services.common import config, listener, process
from services.common.admission import Admission, Verdict
from services.common.auth import Authenticator, AuthLimits
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore
from services.common.rspamd import Rspamd
from services.common.tls import server_tls
from services.common.watch import WatchHub
from services.imap.config import ImapConfig
from services.imap.context import ServerContext
from services.imap.dispatch import CommandLoop
from services.imap.learning import Learner

log = logging.getLogger("kubemail.imap")

REFUSALS = {
    Verdict.BUSY: b"* BYE [UNAVAILABLE] Too many connections, try later\r\n",
    Verdict.RATE_LIMITED: b"* BYE [UNAVAILABLE] Too many connections from your address, try later\r\n",
}


@dataclass
class ImapServer:
    ctx: ServerContext
    listeners: list[listener.Listener] = field(default_factory=list)
    own_client: bool = True

    @property
    def port(self) -> int:
        return self.listeners[0].port

    def port_of(self, name: str) -> int:
        return next(lst.port for lst in self.listeners if lst.name == name)

    def bound_ports(self) -> dict[str, int]:
        return {lst.name: lst.port for lst in self.listeners}

    def ready(self) -> bool:
        return not self.ctx.closing

    async def stop(self, timeout: float = 20.0) -> None:
        self.ctx.closing = True
        for s in list(self.ctx.sessions):
            s.resync()
        for lst in self.listeners:
            await listener.close_and_drain(lst, timeout)
        await self.ctx.hub.close()
        if self.ctx.learner is not None:
            await self.ctx.learner.close()
        if self.own_client:
            await self.ctx.md.close()
        with contextlib.suppress(Exception):
            await self.ctx.blobs.close()


async def start(
    cfg: ImapConfig,
    common: CommonConfig,
    *,
    client: MetadataClient | None = None,
    blobs: BlobStore | None = None,
    auth_limits: AuthLimits | None = None,
) -> ImapServer:
    """Starts listening (the front-ends' one start() signature; ports: CommonConfig.port)."""
    own_client = client is None
    md = client or MetadataClient(common.metadata_addr, common.grpc_timeout)
    store: Any = blobs or make_blobstore(common, cache=True)
    tls = server_tls(common.tls_cert, common.tls_key)
    ctx = ServerContext(
        cfg=cfg,
        common=common,
        md=md,
        blobs=store,
        hub=WatchHub(md),
        mail=MailStore(md, store, common.parse_in_thread_bytes, common.commit_attempts),
        auth=Authenticator(md, "imap", auth_limits or config.load(AuthLimits)),
        tls=tls,
        trusted=config.parse_networks(common.trusted_networks),
    )
    if common.rspamd_controller_url:
        scanner = Rspamd("", common.rspamd_controller_url, common.rspamd_timeout, common.rspamd_password_file)
        ctx.learner = Learner(scanner, md, store)

    admission = Admission(md, ctx.auth.limits, "imap", cfg.max_connections)

    async def handle(conn: listener.Connection) -> None:
        admission.draining = ctx.closing
        verdict = await admission.check(len(ctx.sessions) + 1, conn.remote_ip)
        if verdict is not Verdict.ADMITTED:
            await conn.send(REFUSALS[verdict])
            return
        await CommandLoop(ctx, conn).run()

    srv = ImapServer(ctx, own_client=own_client)
    plain, secure = common.port(cfg.port), common.port(cfg.tls_port)
    common_kw: dict[str, Any] = dict(trusted_networks=common.trusted_networks, limit=cfg.max_line * 2)
    if plain is not None:
        srv.listeners.append(
            await listener.serve(
                cfg.host, plain, handle, name="imap", proxy_networks=common.proxy_networks_of("imap"), **common_kw
            )
        )
    if tls is not None and secure is not None:
        srv.listeners.append(
            await listener.serve(
                cfg.host,
                secure,
                handle,
                tls=tls,
                name="imaps",
                proxy_networks=common.proxy_networks_of("imaps"),
                **common_kw,
            )
        )
    return srv


async def start_service(common: CommonConfig) -> ImapServer:
    return await start(config.load(ImapConfig), common)


def main() -> None:
    process.main("imap", start_service)
