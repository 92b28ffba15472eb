"""IDLE while the metadata service is down (#13 item 9): a real `python -m services.metadata`
is killed and restarted under an idling client. The IDLE stays open with '* OK Still here'
keepalives, and resumes when the service is back (the Watch stream reconnected, new mail
pushed); past KUBEMAIL_IMAP_IDLE_OUTAGE_LIMIT the client gets '* BYE' and reconnects."""

from __future__ import annotations

import contextlib
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.common.grpcclient import MetadataClient
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import LoopThread, ServiceProcess
from tests.imap.conftest import PASSWORD, USER, Raw, msg, start_imap, stop_imap

KEEPALIVE = 1.0


@pytest.fixture
def meta(backend_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[ServiceProcess, dict[str, str]]]:
    env = {
        **backend_env,
        "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:0",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
        "KUBEMAIL_METRICS_PORT": "9100",  # enabled: bound to a port the kernel chose, reported
        "KUBEMAIL_LOG_LEVEL": "WARNING",
    }
    proc = ServiceProcess("metadata", env, tmp_path, log=tmp_path / "metadata.log").start()
    addr = f"127.0.0.1:{proc.ports['grpc']}"

    async def seed() -> None:
        async with MetadataClient(addr) as c:
            await seed_user(c, USER, PASSWORD)

    lt = LoopThread()
    lt.run(seed())
    lt.close()
    try:
        yield proc, {**backend_env, "KUBEMAIL_METADATA_ADDR": addr, "KUBEMAIL_GRPC_TIMEOUT": "2"}
    finally:
        proc.stop()


@contextlib.contextmanager
def _imap(env: dict[str, str], **settings: str) -> Iterator[int]:
    # re-reads come from Watch events and the keepalive tick (the poll timer is longer)
    env = {**env, "KUBEMAIL_IMAP_KEEPALIVE": str(KEEPALIVE), "KUBEMAIL_IMAP_POLL_INTERVAL": "30", **settings}
    srv, lt = start_imap(env)
    try:
        yield srv.port_of("imap")
    finally:
        stop_imap(srv, lt)


def _read_until(r: Raw, pred: Callable[[bytes], bool], timeout: float) -> list[bytes]:
    deadline = time.monotonic() + timeout
    got: list[bytes] = []
    while True:
        r.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            line = r.line()
        except (TimeoutError, EOFError) as exc:
            raise AssertionError(f"{exc!r} after {got}") from None
        got.append(line)
        if pred(line):
            return got


def _watch_streams(proc: ServiceProcess) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{proc.ports['metrics']}/metrics", timeout=5).read().decode()
    m = re.search(r"^kubemail_metadata_watch_streams ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def _idling(port: int) -> Raw:
    r = Raw(port)
    r.login()
    r.send(b"A APPEND INBOX {%d+}\r\n" % len(msg(1)) + msg(1) + b"\r\n")
    assert r.until("A")[1].startswith(b"A OK")
    assert b"* 1 EXISTS" in r.cmd("s", "SELECT INBOX")[0]
    r.send(b"i IDLE\r\n")
    assert r.line().startswith(b"+ ")
    return r


def test_idle_survives_a_metadata_outage_and_resumes(meta: tuple[ServiceProcess, dict[str, str]]) -> None:
    proc, env = meta
    with _imap(env) as port:
        r = _idling(port)
        proc.kill()
        # the outage: keepalives go on, the IDLE is neither ended (no tagged reply) nor BYE'd
        got = _read_until(r, lambda ln: ln == b"* OK Still here", 10)
        got += _read_until(r, lambda ln: ln == b"* OK Still here", 10)
        time.sleep(2 * KEEPALIVE)  # several failed re-reads in a row
        got += _read_until(r, lambda ln: ln == b"* OK Still here", 10)
        assert not [ln for ln in got if ln.startswith((b"i ", b"* BYE"))], got
        proc.start()  # same ports
        # the Watch stream is opened again on the restarted service (pushes resume)
        deadline = time.monotonic() + 30
        while _watch_streams(proc) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _watch_streams(proc) >= 1
        other = Raw(port)
        other.login()
        other.send(b"A APPEND INBOX {%d+}\r\n" % len(msg(2)) + msg(2) + b"\r\n")
        assert other.until("A")[1].startswith(b"A OK")
        other.close()
        got = _read_until(r, lambda ln: ln == b"* 2 EXISTS", 15)
        assert not [ln for ln in got if ln.startswith((b"i ", b"* BYE"))], got
        r.send(b"DONE\r\n")
        assert r.until("i")[1] == b"i OK IDLE terminated"
        lines, t = r.cmd("n", "NOOP")
        assert t.startswith(b"n OK"), (lines, t)
        r.close()


def test_idle_outage_past_the_limit_says_bye(meta: tuple[ServiceProcess, dict[str, str]]) -> None:
    proc, env = meta
    with _imap(env, KUBEMAIL_IMAP_IDLE_OUTAGE_LIMIT="3") as port:
        r = _idling(port)
        proc.kill()
        start = time.monotonic()
        got = _read_until(r, lambda ln: ln.startswith(b"* BYE"), 20)
        assert time.monotonic() - start >= 3 - 0.5, got  # not before the limit
        assert b"* OK Still here" in got, got  # kept alive until then
        assert not [ln for ln in got if ln.startswith(b"i ")], got
        # then the connection ends (the tagged reply may come first)
        r.sock.settimeout(5)
        rest = r.buf
        try:
            while chunk := r.sock.recv(4096):
                rest += chunk
        except (ConnectionError, TimeoutError) as exc:
            pytest.fail(f"connection not closed after BYE: {exc!r} {rest!r}")
        assert rest in (b"", b"i NO [UNAVAILABLE] IDLE ended: mail store unavailable\r\n"), rest
        r.close()
        proc.start()
