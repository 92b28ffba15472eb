"""services/common/listener.py over real sockets: PROXY, implicit TLS, STARTTLS, drain."""

from __future__ import annotations

import asyncio
import ssl
import struct
from pathlib import Path

import pytest

from services.common import listener, proxyproto
from services.common.listener import Connection
from services.common.tls import ReloadingTLS, generate_self_signed

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    return generate_self_signed(tmp_path_factory.mktemp("tls"), "localhost")


def client_ctx() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def describe(conn: Connection) -> None:
    """Sends a line describing the connection, then echoes lines until EOF/QUIT."""
    await conn.send(
        f"HELLO {conn.remote_ip} {conn.remote_port} tls={conn.tls_active} trusted={conn.trusted} "
        f"proxied={conn.proxied} local={conn.local_port}\r\n".encode()
    )
    while True:
        line = await conn.reader.readline()
        if not line or line == b"QUIT\r\n":
            return
        if line == b"STARTTLS\r\n":
            await conn.send(b"GO\r\n")
            assert isinstance(conn.ctx, ReloadingTLS)  # type: ignore[attr-defined]
            discarded = await conn.start_tls(conn.ctx)  # type: ignore[attr-defined]
            await conn.send(f"TLS discarded={discarded}\r\n".encode())
            continue
        await conn.send(b"ECHO " + line)


def with_ctx(ctx: ReloadingTLS | None):  # type: ignore[no-untyped-def]
    async def handler(conn: Connection) -> None:
        conn.ctx = ctx  # type: ignore[attr-defined]
        await describe(conn)

    return handler


async def assert_closed(r: asyncio.StreamReader) -> None:
    """The server closed the connection (EOF, or RST when it left input unread)."""
    async with asyncio.timeout(5):
        try:
            data = await r.read()
        except ConnectionResetError:
            return
    assert data == b""


async def open_client(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def test_plain_connection_attributes() -> None:
    srv = await listener.serve("127.0.0.1", 0, describe, trusted_networks=["127.0.0.0/8"], name="t-plain")
    try:
        r, w = await open_client(srv.port)
        hello = await r.readline()
        assert hello.startswith(b"HELLO 127.0.0.1 ") and b"tls=False trusted=True proxied=False" in hello
        assert f"local={srv.port}".encode() in hello
        w.write(b"abc\r\n")
        assert await r.readline() == b"ECHO abc\r\n"
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)
    srv2 = await listener.serve("127.0.0.1", 0, describe, trusted_networks=["10.0.0.0/8"], name="t-plain")
    try:
        r, w = await open_client(srv2.port)
        assert b"trusted=False" in await r.readline()
        w.close()
    finally:
        await listener.close_and_drain(srv2, 2)


async def test_proxy_v1_replaces_peer_and_keeps_following_bytes() -> None:
    srv = await listener.serve(
        "127.0.0.1", 0, describe, proxy_networks=["127.0.0.1/32"], trusted_networks=["192.0.2.0/24"], name="t-proxy"
    )
    try:
        r, w = await open_client(srv.port)
        # header and client data in one segment: not a byte of the data may be lost
        w.write(b"PROXY TCP4 192.0.2.9 198.51.100.1 4242 25\r\nfirst line\r\n")
        hello = await r.readline()
        assert hello.startswith(b"HELLO 192.0.2.9 4242 ") and b"trusted=True proxied=True" in hello
        assert await r.readline() == b"ECHO first line\r\n"
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_proxy_v2_with_tlvs_and_local() -> None:
    srv = await listener.serve("127.0.0.1", 0, describe, proxy_networks=["127.0.0.0/8"], name="t-proxy2")
    try:
        body = bytes([203, 0, 113, 5, 10, 0, 0, 1]) + struct.pack("!HH", 5555, 993) + b"\x04\x00\x02xy"
        hdr = proxyproto.V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body
        r, w = await open_client(srv.port)
        w.write(hdr + b"x\r\n")
        assert (await r.readline()).startswith(b"HELLO 203.0.113.5 5555 ")
        assert await r.readline() == b"ECHO x\r\n"
        w.close()
        # LOCAL (health checks of the balancer): the real peer stays
        r, w = await open_client(srv.port)
        w.write(proxyproto.V2_SIGNATURE + bytes([0x20, 0x00, 0, 0]))
        hello = await r.readline()
        assert hello.startswith(b"HELLO 127.0.0.1 ") and b"proxied=False" in hello
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_proxy_peer_without_valid_header_is_dropped() -> None:
    calls = 0

    async def handler(conn: Connection) -> None:
        nonlocal calls
        calls += 1

    srv = await listener.serve(
        "127.0.0.1", 0, handler, proxy_networks=["127.0.0.1/32"], proxy_timeout=0.3, name="t-proxy-bad"
    )
    try:
        for data in (b"EHLO me\r\n", b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n", b"PROXY TCP4 1.2.3.4", b""):
            r, w = await open_client(srv.port)
            w.write(data)
            await assert_closed(r)  # at once, or after proxy_timeout for the partial ones
            w.close()
        assert calls == 0
    finally:
        await listener.close_and_drain(srv, 2)


async def test_untrusted_peer_header_is_protocol_data() -> None:
    srv = await listener.serve("127.0.0.1", 0, describe, proxy_networks=["10.0.0.0/8"], name="t-noproxy")
    try:
        r, w = await open_client(srv.port)
        w.write(b"PROXY TCP4 192.0.2.9 198.51.100.1 4242 25\r\n")
        assert (await r.readline()).startswith(b"HELLO 127.0.0.1 ")
        assert await r.readline() == b"ECHO PROXY TCP4 192.0.2.9 198.51.100.1 4242 25\r\n"
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_implicit_tls_with_and_without_proxy(certs: tuple[str, str]) -> None:
    tls = ReloadingTLS(*certs)
    srv = await listener.serve("127.0.0.1", 0, with_ctx(None), tls=tls, proxy_networks=["127.0.0.2/32"], name="t-tls")
    try:
        r, w = await asyncio.open_connection("127.0.0.1", srv.port, ssl=client_ctx())
        assert b"tls=True" in await r.readline()
        w.write(b"secret\r\n")
        assert await r.readline() == b"ECHO secret\r\n"
        w.close()
        # a plaintext client gets no service
        r, w = await open_client(srv.port)
        w.write(b"HELLO\r\n" * 100)
        await assert_closed(r)
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)

    # PROXY header first, then the TLS handshake on the same connection
    srv = await listener.serve("127.0.0.1", 0, with_ctx(None), tls=tls, proxy_networks=["127.0.0.1/32"], name="t-tls")
    try:
        r, w = await open_client(srv.port)
        w.write(b"PROXY TCP6 2001:db8::5 2001:db8::6 777 993\r\n")
        await w.drain()
        await w.start_tls(client_ctx())
        hello = await r.readline()
        assert hello.startswith(b"HELLO 2001:db8::5 777 tls=True")
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_starttls_discards_pipelined_plaintext(certs: tuple[str, str]) -> None:
    tls = ReloadingTLS(*certs)
    srv = await listener.serve("127.0.0.1", 0, with_ctx(tls), name="t-starttls")
    try:
        r, w = await open_client(srv.port)
        assert b"tls=False" in await r.readline()
        w.write(b"STARTTLS\r\nINJECTED\r\n")
        assert await r.readline() == b"GO\r\n"
        await w.start_tls(client_ctx())
        assert await r.readline() == b"TLS discarded=10\r\n"
        w.write(b"after\r\n")
        assert await r.readline() == b"ECHO after\r\n"  # not "ECHO INJECTED"
        w.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_handler_error_closes_only_that_connection() -> None:
    async def handler(conn: Connection) -> None:
        line = await conn.reader.readline()
        if line == b"boom\r\n":
            raise RuntimeError("handler bug")
        await conn.send(b"fine\r\n")

    srv = await listener.serve("127.0.0.1", 0, handler, name="t-err")
    try:
        r1, w1 = await open_client(srv.port)
        r2, w2 = await open_client(srv.port)
        w1.write(b"boom\r\n")
        await assert_closed(r1)
        w2.write(b"ok\r\n")
        assert await r2.readline() == b"fine\r\n"
        w1.close()
        w2.close()
    finally:
        await listener.close_and_drain(srv, 2)


async def test_close_and_drain() -> None:
    async def polite(conn: Connection) -> None:
        await conn.send(b"hi\r\n")
        await conn.draining.wait()
        await conn.send(b"BYE draining\r\n")

    async def stubborn(conn: Connection) -> None:
        await conn.send(b"hi\r\n")
        await asyncio.sleep(3600)

    srv = await listener.serve("127.0.0.1", 0, polite, name="t-drain")
    r, w = await open_client(srv.port)
    assert await r.readline() == b"hi\r\n"
    assert len(srv.connections) == 1
    assert await listener.close_and_drain(srv, 2) == 0
    assert await r.readline() == b"BYE draining\r\n"
    assert await r.read() == b""
    assert not srv.is_serving() and srv.sockets == ()
    w.close()

    srv = await listener.serve("127.0.0.1", 0, stubborn, name="t-drain")
    port = srv.port
    r, w = await open_client(port)
    assert await r.readline() == b"hi\r\n"
    assert await listener.close_and_drain(srv, 0.2) == 1
    await assert_closed(r)
    with pytest.raises(OSError):
        await open_client(port)
    w.close()
    assert not srv.connections and not srv.tasks


async def test_many_concurrent_connections() -> None:
    srv = await listener.serve("127.0.0.1", 0, describe, name="t-many")
    try:

        async def one(i: int) -> bytes:
            r, w = await open_client(srv.port)
            await r.readline()
            w.write(b"%d\r\n" % i)
            line = await r.readline()
            w.close()
            return line

        got = await asyncio.gather(*(one(i) for i in range(50)))
        assert got == [b"ECHO %d\r\n" % i for i in range(50)]
    finally:
        await listener.close_and_drain(srv, 2)


def test_path_sanity(tmp_path: Path) -> None:
    assert listener.norm_ip("::ffff:192.0.2.1") == "192.0.2.1"
    assert listener.norm_ip("2001:db8::1") == "2001:db8::1"
    assert listener.norm_ip("weird") == "weird"
