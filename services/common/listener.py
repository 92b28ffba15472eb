"""The asyncio TCP listener every front-end uses: PROXY protocol, implicit TLS, STARTTLS,
trusted networks, connection tracking and graceful drain.

    server = await listener.serve(host, port, handler, tls=tls, proxy_networks=cfg.proxy_networks,
                                  trusted_networks=cfg.trusted_networks, name="imap")
    ...
    await listener.close_and_drain(server, timeout=20)

`handler(conn)` runs once per connection; the listener closes the connection when it
returns or raises. For peers inside `proxy_networks` (and only those) the PROXY v1/v2
header is read first, within `proxy_timeout`, and replaces the peer address; a peer there
that sends no valid header is disconnected. Bytes from other peers reach the handler
untouched, a PROXY header included.

The header is read with exact-length reads driven by the sans-I/O parser, so not one byte
of client data is consumed with it; implicit TLS (`tls=`) then starts on the bare socket.

`serve` returns a `Listener`, which offers the asyncio.Server methods services use
(`sockets`, `close`, `wait_closed`, `is_serving`, `serve_forever`, async context manager)
plus `port`, `name` and `connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable, Iterable

from prometheus_client import Counter, Gauge

from services.common import proxyproto
from services.common.config import ip_in, parse_networks
from services.common.sockets import bind_socket, norm_ip
from services.common.tls import ReloadingTLS

log = logging.getLogger(__name__)

CONNECTIONS = Counter("kubemail_listener_connections_total", "Connections accepted", ["listener"])
ACTIVE = Gauge("kubemail_listener_connections_active", "Connections open now", ["listener"])
REJECTED = Counter(
    "kubemail_listener_rejected_total",
    "Connections closed before the handler ran",
    ["listener", "reason"],  # reason: proxy, tls
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = Iterable[str | Network]
Handler = Callable[["Connection"], Awaitable[None]]


def _networks(values: Networks) -> tuple[Network, ...]:
    out: list[Network] = []
    for v in values:
        if isinstance(v, str):
            out.extend(parse_networks((v,)))
        else:
            out.append(v)
    return tuple(out)


class Connection:
    """One client connection: streams plus what sessions need to know about the peer."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        remote_ip: str,
        remote_port: int,
        local_ip: str,
        local_port: int,
        tls_active: bool,
        trusted: bool,
        proxied: bool,
        listener: str,
        handshake_timeout: float,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.remote_ip = remote_ip
        self.remote_port = remote_port
        self.local_ip = local_ip
        self.local_port = local_port
        self.tls_active = tls_active
        self.trusted = trusted
        self.proxied = proxied
        self.listener = listener
        self.id = uuid.uuid4().hex[:16]
        #: Set when the server drains (SIGTERM): long-lived sessions (IDLE) should say
        #: goodbye and return.
        self.draining = asyncio.Event()
        self._handshake_timeout = handshake_timeout

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.remote_ip}:{self.remote_port} {self.listener} tls={self.tls_active}>"

    async def start_tls(self, ctx: ssl.SSLContext | ReloadingTLS) -> int:
        """Upgrades to TLS (STARTTLS). Plaintext the client pipelined after the STARTTLS
        command is discarded (command injection, CVE-2011-0411); returns its length.
        Raises ssl.SSLError / OSError / TimeoutError when the handshake fails: the
        connection is then unusable and the session must end."""
        if self.tls_active:
            raise RuntimeError("TLS is already active")
        context = ctx.context() if isinstance(ctx, ReloadingTLS) else ctx
        buffered = getattr(self.reader, "_buffer", None)
        discarded = 0
        if isinstance(buffered, bytearray):
            discarded = len(buffered)
            buffered.clear()
        await self.writer.start_tls(context, ssl_handshake_timeout=self._handshake_timeout)
        self.tls_active = True
        return discarded

    async def send(self, data: bytes) -> None:
        """Writes and drains."""
        self.writer.write(data)
        await self.writer.drain()

    def abort(self) -> None:
        """Closes the socket at once (no TLS close_notify, no flush)."""
        self.writer.transport.abort()

    async def close(self, timeout: float = 2.0) -> None:
        if self.writer.is_closing():
            return
        self.writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                await self.writer.wait_closed()
        if not self.writer.transport.is_closing():
            self.abort()


class Listener:
    """A listening socket with its accept loop and open connections."""

    def __init__(
        self,
        sock: socket.socket,
        handler: Handler,
        *,
        tls: ReloadingTLS | ssl.SSLContext | None,
        proxy_networks: tuple[Network, ...],
        trusted_networks: tuple[Network, ...],
        name: str,
        proxy_timeout: float,
        handshake_timeout: float,
        limit: int,
    ) -> None:
        self._sock = sock
        self._handler = handler
        self._tls = tls
        self._proxy = proxy_networks
        self._trusted = trusted_networks
        self.name = name
        self._proxy_timeout = proxy_timeout
        self._handshake_timeout = handshake_timeout
        self._limit = limit
        self.connections: set[Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._accept_task: asyncio.Task[None] | None = None
        self._port = int(sock.getsockname()[1])

    # asyncio.Server-like surface ------------------------------------------------------

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return () if self._closed.is_set() else (self._sock,)

    @property
    def port(self) -> int:
        return self._port

    def is_serving(self) -> bool:
        return self._accept_task is not None and not self._closed.is_set()

    def close(self) -> None:
        """Stops accepting; open connections continue (see close_and_drain)."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._accept_task is not None:
            self._accept_task.cancel()
        self._sock.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()
        if self._accept_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._accept_task

    async def serve_forever(self) -> None:
        await self._closed.wait()

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await close_and_drain(self, 5.0)

    # internals ------------------------------------------------------------------------

    def start(self) -> None:
        self._accept_task = asyncio.get_running_loop().create_task(self._accept_loop(), name=f"accept-{self.name}")

    async def _accept_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed.is_set():
            try:
                csock, addr = await loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError as exc:
                if self._closed.is_set():
                    return
                log.warning("accept failed on %s: %s", self.name, exc)
                await asyncio.sleep(0.1)
                continue
            # Replies are many small writes: without TCP_NODELAY each waits ~40 ms for the
            # peer's delayed ACK (Nagle), which made POP3 RETR of 1,000 messages take 47 s.
            with contextlib.suppress(OSError):
                csock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = loop.create_task(self._serve_one(csock, addr), name=f"conn-{self.name}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _read_proxy_header(self, sock: socket.socket) -> proxyproto.ProxyResult:
        """Reads exactly the PROXY header: never a byte of client data."""
        loop = asyncio.get_running_loop()
        buf = b""
        async with asyncio.timeout(self._proxy_timeout):
            while True:
                r = proxyproto.parse(buf)
                if isinstance(r, proxyproto.ProxyResult):
                    return r
                chunk = await loop.sock_recv(sock, r.at_least - len(buf))
                if not chunk:
                    raise proxyproto.ProxyError("connection closed inside the PROXY header")
                buf += chunk

    async def _serve_one(self, sock: socket.socket, addr: tuple[object, ...]) -> None:
        try:
            conn = await self._open(sock, addr)
        except BaseException:
            sock.close()
            raise
        if conn is None:
            sock.close()
            return
        self.connections.add(conn)
        ACTIVE.labels(self.name).inc()
        try:
            await self._handler(conn)
        except asyncio.CancelledError:
            pass
        except (ConnectionError, ssl.SSLError, TimeoutError, asyncio.IncompleteReadError) as exc:
            log.debug("%s: connection %s ended: %r", self.name, conn.id, exc)
        except Exception:
            log.exception("%s: handler failed for connection %s", self.name, conn.id)
        finally:
            self.connections.discard(conn)
            ACTIVE.labels(self.name).dec()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _open(self, sock: socket.socket, addr: tuple[object, ...]) -> Connection | None:
        """PROXY header, TLS handshake, streams; None when the connection is refused."""
        loop = asyncio.get_running_loop()
        CONNECTIONS.labels(self.name).inc()
        remote_ip, remote_port = norm_ip(str(addr[0])), int(addr[1])  # type: ignore[call-overload]
        try:
            local = sock.getsockname()
            local_ip, local_port = norm_ip(str(local[0])), int(local[1])
        except OSError:
            return None
        proxied = False
        if self._proxy and ip_in(remote_ip, self._proxy):
            try:
                hdr = await self._read_proxy_header(sock)
            except (proxyproto.ProxyError, TimeoutError, OSError) as exc:
                REJECTED.labels(self.name, "proxy").inc()
                log.info("%s: dropping %s: bad PROXY header: %s", self.name, remote_ip, exc)
                return None
            if hdr.src_ip is not None and hdr.src_port is not None:
                remote_ip, remote_port, proxied = norm_ip(hdr.src_ip), hdr.src_port, True

        made: asyncio.Future[asyncio.StreamWriter] = loop.create_future()
        reader = asyncio.StreamReader(limit=self._limit)

        def _made(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            if not made.done():
                made.set_result(w)

        # A client_connected_cb makes the protocol (and StreamWriter.start_tls) server-side.
        protocol = asyncio.StreamReaderProtocol(reader, _made)
        ctx = None
        if self._tls is not None:
            ctx = self._tls.context() if isinstance(self._tls, ReloadingTLS) else self._tls
        try:
            await loop.connect_accepted_socket(
                lambda: protocol, sock, ssl=ctx, ssl_handshake_timeout=self._handshake_timeout if ctx else None
            )
            writer = await made
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            REJECTED.labels(self.name, "tls").inc()
            log.info("%s: handshake with %s failed: %s", self.name, remote_ip, exc)
            return None

        return Connection(
            reader,
            writer,
            remote_ip=remote_ip,
            remote_port=remote_port,
            local_ip=local_ip,
            local_port=local_port,
            tls_active=ctx is not None,
            trusted=bool(self._trusted) and ip_in(remote_ip, self._trusted),
            proxied=proxied,
            listener=self.name,
            handshake_timeout=self._handshake_timeout,
        )


async def serve(
    host: str,
    port: int,
    handler: Handler,
    *,
    tls: ReloadingTLS | ssl.SSLContext | None = None,
    proxy_networks: Networks = (),
    trusted_networks: Networks = (),
    name: str = "tcp",
    proxy_timeout: float = 5.0,
    handshake_timeout: float = 30.0,
    limit: int = 64 * 1024,
    backlog: int = 512,
) -> Listener:
    """Listens on host:port (port 0 = any; see `.port`) and runs `handler` per connection.

    tls: implicit TLS (SMTPS 465, IMAPS 993, POP3S 995); None = plaintext (STARTTLS via
    `Connection.start_tls`). `limit` is the StreamReader line/buffer limit. `name` labels
    metrics and must be a bounded value (e.g. "smtp", "submission", "imaps").
    """
    sock = bind_socket(host, port, backlog)
    lst = Listener(
        sock,
        handler,
        tls=tls,
        proxy_networks=_networks(proxy_networks),
        trusted_networks=_networks(trusted_networks),
        name=name,
        proxy_timeout=proxy_timeout,
        handshake_timeout=handshake_timeout,
        limit=limit,
    )
    lst.start()
    log.info("%s listening on %s:%d%s", name, host, lst.port, " (TLS)" if tls else "")
    return lst


async def close_and_drain(server: Listener, timeout: float) -> int:
    """Graceful shutdown: stop accepting, set every connection's `draining` event, wait up
    to `timeout` seconds for handlers to finish, then close the rest. Returns how many
    connections had to be closed forcibly."""
    server.close()
    for conn in list(server.connections):
        conn.draining.set()
    pending = set(server.tasks)
    if pending:
        _, pending = await asyncio.wait(pending, timeout=max(timeout, 0))
    forced = len(pending)
    if pending:
        for conn in list(server.connections):
            with contextlib.suppress(Exception):
                conn.abort()
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=2.0)
    await server.wait_closed()
    return forced
