"""POP3 listeners (plain with STLS, implicit TLS) on the shared listener; one Session each."""

from __future__ import annotations

import dataclasses
import logging

from services.common import config
from services.common.admission import Admission, Verdict
from services.common.auth import Authenticator, AuthLimits
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.listener import Connection, Listener, close_and_drain, serve
from services.common.tls import ReloadingTLS, server_tls
from services.pop3 import formatter as fmt
from services.pop3 import metrics as m
from services.pop3.config import Pop3Config
from services.pop3.session import Deps, Session

log = logging.getLogger(__name__)


class ConnTransport:
    """Adapts the shared listener's Connection to what a Session needs."""

    def __init__(self, conn: Connection, tls: ReloadingTLS | None) -> None:
        self.conn = conn
        self.tls = tls
        self.remote_ip = conn.remote_ip
        self.trusted = conn.trusted
        self.draining = conn.draining

    @property
    def tls_active(self) -> bool:
        return self.conn.tls_active

    async def read(self, n: int) -> bytes:
        return await self.conn.reader.read(n)

    def write(self, data: bytes) -> None:
        self.conn.writer.write(data)

    async def drain(self) -> None:
        await self.conn.writer.drain()

    def tls_available(self) -> bool:
        return self.tls is not None

    async def start_tls(self) -> None:
        assert self.tls is not None
        await self.conn.start_tls(self.tls)

    async def close(self) -> None:
        await self.conn.close()


@dataclasses.dataclass
class Pop3Server:
    deps: Deps
    listeners: list[Listener]
    port: int = 0
    tls_port: int = 0
    draining: bool = False
    own_client: bool = True

    def bound_ports(self) -> dict[str, int]:
        return {lst.name: lst.port for lst in self.listeners}

    def ready(self) -> bool:
        return not self.draining

    async def stop(self, grace: float = 10.0) -> None:
        self.draining = True
        for lst in self.listeners:
            await close_and_drain(lst, grace)
        if self.own_client:
            await self.deps.client.close()
        await self.deps.blobs.close()


async def start(
    cfg: Pop3Config,
    common: CommonConfig,
    *,
    client: MetadataClient | None = None,
    blobs: BlobStore | None = None,
    auth_limits: AuthLimits | None = None,
) -> Pop3Server:
    """Starts the listeners (the front-ends' one start() signature; ports: CommonConfig.port)."""
    own_client = client is None
    client = client or MetadataClient(common.metadata_addr, common.grpc_timeout)
    if blobs is None:
        blobs = make_blobstore(common, cache=True)
    auth = Authenticator(client, "pop3", auth_limits or config.load(AuthLimits))
    deps = Deps(cfg=cfg, hostname=common.hostname, client=client, blobs=blobs, login=auth.login)
    tls = server_tls(common.tls_cert, common.tls_key)
    server = Pop3Server(deps, [], own_client=own_client)

    admission = Admission(client, auth.limits, "pop3", cfg.max_connections)

    async def handle(conn: Connection) -> None:
        m.CONNECTIONS_TOTAL.labels("tls" if conn.listener == "pop3s" else "plain").inc()
        admission.draining = server.draining
        open_now = sum(len(lst.connections) for lst in server.listeners)  # this one included
        if await admission.check(open_now, conn.remote_ip) is not Verdict.ADMITTED:
            await conn.send(fmt.err("Too many connections, try again later", fmt.SYS_TEMP))
            return
        await Session(ConnTransport(conn, tls), deps).run()

    trusted = common.trusted_networks
    plain_port = common.port(cfg.port)
    if plain_port is not None:
        lst = await serve(
            cfg.host,
            plain_port,
            handle,
            name="pop3",
            proxy_networks=common.proxy_networks_of("pop3"),
            trusted_networks=trusted,
        )
        server.listeners.append(lst)
        server.port = lst.port
    implicit_port = common.port(cfg.tls_port)
    if tls is not None and implicit_port is not None:
        lst = await serve(
            cfg.host,
            implicit_port,
            handle,
            tls=tls,
            name="pop3s",
            proxy_networks=common.proxy_networks_of("pop3s"),
            trusted_networks=trusted,
        )
        server.listeners.append(lst)
        server.tls_port = lst.port
    return server
