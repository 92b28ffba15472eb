"""kubemail_smtp_connections returns to its start value on every way a session can end.

Each path is driven over real sockets: QUIT, a client drop at each phase (admission,
after EHLO, mid-DATA), STARTTLS (completed, abandoned before the handshake, a broken
handshake, a drop after TLS), implicit TLS (completed, a broken handshake, a drop before
it), early 421 rejections, PROXY failures (garbage, timeout) and the idle timeout.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Callable

from prometheus_client import REGISTRY

from services.common.admission import Verdict
from tests.fixtures.linesock import read_until_closed
from tests.smtp.conftest import World

LISTENERS = ("mx", "submission", "submissions")


def _gauges() -> dict[str, float]:
    return {k: REGISTRY.get_sample_value("kubemail_smtp_connections", {"listener": k}) or 0.0 for k in LISTENERS}


def _sessions(world: World) -> int:
    return len(world.server.ctx.sessions)


def _settles(world: World, base: dict[str, float], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while (_gauges() != base or _sessions(world)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gauges() == base
    assert _sessions(world) == 0


def _connect(port: int) -> tuple[socket.socket, object]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock, sock.makefile("rb")


def _ehlo(sock: socket.socket, f: object) -> None:
    sock.sendall(b"EHLO gauge.test\r\n")
    while not f.readline().startswith(b"250 "):  # type: ignore[attr-defined]
        pass


def test_gauge_returns_to_start_on_every_session_end(world: World) -> None:
    base = _gauges()
    mx, sub, subs = world.mx, world.submission, world.submissions

    # QUIT
    with world.smtp() as s:
        assert s.noop()[0] == 250
    # dropped straight after connecting (while admission is still running), many times
    for _ in range(15):
        socket.create_connection(("127.0.0.1", mx), timeout=5).close()
    # dropped after the greeting without a word, and half-closed
    sock, f = _connect(mx)
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    sock.shutdown(socket.SHUT_WR)
    assert f.readline() == b""  # type: ignore[attr-defined]
    sock.close()
    # dropped after EHLO, and in the middle of DATA
    sock, f = _connect(mx)
    f.readline()  # type: ignore[attr-defined]
    _ehlo(sock, f)
    sock.close()
    sock, f = _connect(mx)
    f.readline()  # type: ignore[attr-defined]
    sock.sendall(b"HELO g.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert [f.readline()[:3] for _ in range(4)] == [b"250", b"250", b"250", b"354"]  # type: ignore[attr-defined]
    sock.sendall(b"Subject: cut\r\n\r\npartial")
    sock.close()

    # STARTTLS completed, then QUIT; completed, then dropped
    with world.smtp(sub) as s:
        s.starttls(context=world.tls_context())
        assert s.ehlo()[0] == 250
    sock, f = _connect(sub)
    f.readline()  # type: ignore[attr-defined]
    _ehlo(sock, f)
    sock.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    tls = world.tls_context().wrap_socket(sock)
    tls.sendall(b"EHLO again.test\r\n")
    tls.recv(1024)
    tls.close()
    # STARTTLS accepted, then the client goes away before any handshake byte
    sock, f = _connect(sub)
    f.readline()  # type: ignore[attr-defined]
    _ehlo(sock, f)
    sock.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    sock.close()
    # STARTTLS accepted, then garbage instead of a ClientHello
    sock, f = _connect(sub)
    f.readline()  # type: ignore[attr-defined]
    _ehlo(sock, f)
    sock.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    sock.sendall(b"this is not TLS at all\r\n" * 4)
    read_until_closed(sock)
    # STARTTLS accepted, the client refuses our certificate (verification fails client-side)
    sock, f = _connect(sub)
    f.readline()  # type: ignore[attr-defined]
    _ehlo(sock, f)
    sock.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    strict = ssl.create_default_context()  # does not trust the self-signed test certificate
    try:
        strict.wrap_socket(sock, server_hostname="mx.example.test").close()
    except ssl.SSLError:
        pass
    sock.close()

    # implicit TLS: completed, garbage instead of a handshake, dropped before it
    with world.tls_context().wrap_socket(socket.create_connection(("127.0.0.1", subs), timeout=10)) as tls:
        tf = tls.makefile("rb")
        assert tf.readline().startswith(b"220 ")
        tls.sendall(b"QUIT\r\n")
        assert tf.readline().startswith(b"221 ")
    sock, _ = _connect(subs)
    sock.sendall(b"EHLO plain.test\r\n")
    read_until_closed(sock)
    for _ in range(5):
        socket.create_connection(("127.0.0.1", subs), timeout=5).close()

    _settles(world, base)


def test_gauge_returns_to_start_after_rejections_proxy_failures_and_timeouts(make_world: Callable[..., World]) -> None:
    world = make_world(
        KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8",
        KUBEMAIL_SMTP_PROXY_TIMEOUT="0.3",
        KUBEMAIL_SMTP_TIMEOUT="0.5",
        KUBEMAIL_CONN_PER_IP="1",
    )
    base = _gauges()
    mx, subs = world.mx, world.submissions
    # a garbage PROXY header; no header at all (PROXY timeout)
    sock, f = _connect(mx)
    sock.sendall(b"HELO not-a-proxy-header\r\n")
    assert f.readline() == b""  # type: ignore[attr-defined]
    sock.close()
    sock, f = _connect(mx)
    assert f.readline()[:3] in (b"", b"421")  # type: ignore[attr-defined]
    sock.close()
    # a good header, then the idle timeout; the same source again is rate limited (421)
    sock, f = _connect(mx)
    sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n")
    assert f.readline().startswith(b"220 ")  # type: ignore[attr-defined]
    assert f.readline().startswith(b"421 4.4.2")  # type: ignore[attr-defined]
    sock.close()
    for _ in range(3):
        sock, f = _connect(mx)
        sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40001 25\r\n")
        assert f.readline().startswith(b"421 4.7.0")  # type: ignore[attr-defined]
        sock.close()
    # a good header in front of implicit TLS, then garbage instead of a handshake
    sock, _ = _connect(subs)
    sock.sendall(b"PROXY TCP4 203.0.113.8 192.0.2.1 40000 465\r\nnot tls\r\n")
    read_until_closed(sock)
    _settles(world, base)


def test_gauge_returns_to_start_when_clients_leave_during_slow_admission(world: World) -> None:
    """Metadata slow or down (as with redis-server killed): clients give up before the greeting."""
    ctx = world.server.ctx

    async def slow_check(open_sessions: int, ip: str, from_ip: int = 0) -> Verdict:
        await asyncio.sleep(2.0)  # long enough that, even on a loaded machine, clients leave first
        return Verdict.ADMITTED

    ctx.admission.check = slow_check  # type: ignore[method-assign]
    base = _gauges()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for port in (world.mx, world.submission) * 3]
    deadline = time.monotonic() + 10  # the server accepts them on its own thread: wait, do not guess
    while _gauges()["mx"] != base["mx"] + 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gauges()["mx"] == base["mx"] + 3
    for sock in socks:
        sock.close()
    _settles(world, base)
