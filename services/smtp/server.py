"""The SMTP listeners of one process, their start and graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from services.common.auth import AuthLimits
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.sockets import bind_socket
from services.common.tls import server_tls
from services.smtp.config import SmtpConfig
from services.smtp.context import MX, SUBMISSION, SUBMISSIONS, Context, Listener
from services.smtp.handler import Handler
from services.smtp.session import KubemailSMTP

log = logging.getLogger("kubemail.smtp")


class SmtpServer:
    def __init__(self, ctx: Context, servers: dict[str, asyncio.Server], own_client: bool) -> None:
        self.ctx = ctx
        self.servers = servers
        self._own_client = own_client

    @property
    def ports(self) -> dict[str, int]:
        return {kind: int(s.sockets[0].getsockname()[1]) for kind, s in self.servers.items() if s.sockets}

    def bound_ports(self) -> dict[str, int]:
        return self.ports

    def ready(self) -> bool:
        return not self.ctx.draining and all(s.is_serving() for s in self.servers.values())

    async def stop(self, grace: float = 20.0) -> None:
        """Stops accepting, lets deliveries in flight finish, then says 421 to the rest."""
        self.ctx.draining = True
        for s in self.servers.values():
            s.close()
        deadline = time.monotonic() + grace
        while self.ctx.inflight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for sess in list(self.ctx.sessions):
            with contextlib.suppress(Exception):
                sess._writer.write(f"421 4.3.2 {self.ctx.hostname} Service shutting down\r\n".encode())
            if sess.transport is not None:
                sess.transport.close()
        for s in self.servers.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(s.wait_closed(), 2.0)
        if self._own_client:
            await self.ctx.client.close()
        await self.ctx.blobs.close()
        if self.ctx.rspamd is not None:
            await self.ctx.rspamd.close()


async def start(
    cfg: SmtpConfig,
    common: CommonConfig,
    *,
    client: MetadataClient | None = None,
    blobs: BlobStore | None = None,
    auth_limits: AuthLimits | None = None,
) -> SmtpServer:
    """Binds every listener whose port is not 0 (the front-ends' one start() signature; ports:
    CommonConfig.port, so KUBEMAIL_EPHEMERAL_PORTS binds them all to free ports)."""
    tls = server_tls(common.tls_cert, common.tls_key)
    own = client is None
    client = client or MetadataClient(common.metadata_addr, common.grpc_timeout)
    store = blobs or make_blobstore(common)  # instrumented (kubemail_blob_*) inside make_blobstore
    ctx = Context(cfg, common, client, store, tls, auth_limits)
    handler = Handler()
    loop = asyncio.get_running_loop()
    servers: dict[str, asyncio.Server] = {}
    plan: list[tuple[Listener, int]] = [(MX, cfg.mx_port), (SUBMISSION, cfg.submission_port)]
    if tls is not None:
        plan.append((SUBMISSIONS, cfg.submissions_port))
    elif cfg.submissions_port:
        log.warning("no TLS certificate configured: implicit-TLS submission listener is off")
    if not cfg.postmaster:
        log.warning(
            "KUBEMAIL_SMTP_POSTMASTER is not set: <Postmaster>, and postmaster@ a domain without such "
            "a user, alias or catch-all, are refused (RFC 5321 4.5.1 wants them accepted)"
        )
    try:
        for listener, configured in plan:
            port = common.port(configured)
            if port is None:
                continue

            def factory(listener: Listener = listener) -> KubemailSMTP:
                return KubemailSMTP(handler, ctx, listener)

            # one socket (dual stack for `::`), so an ephemeral port is one port for IPv4 and IPv6
            sock = bind_socket(cfg.host, port, 256)
            servers[listener.kind] = await loop.create_server(factory, sock=sock)
    except BaseException:
        for s in servers.values():
            s.close()
        raise
    srv = SmtpServer(ctx, servers, own)
    log.info("smtp listening on %s", srv.ports)
    return srv
