"""IDLE across processes: `python -m services.imap` as a second pod. A message delivered via
Messages.Deliver, an expunge and a flag set on pod A are pushed to a client idling on pod B
(before any timer-driven re-read). Also: keepalive, autologout, /metrics, SIGTERM drain."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig, load
from services.common.grpcclient import MetadataClient
from services.common.mime import build_summary
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from tests.fixtures.servers import LoopThread, ServiceProcess
from tests.imap.conftest import ImapHandle, Raw, msg

# Long enough that, even on a loaded CI machine, the three changes below reach the idling
# client before the first keepalive tick (which would also re-read them).
KEEPALIVE = 6


@pytest.fixture
def pod_b(imap: ImapHandle, tmp_path: Path) -> Iterator[tuple[int, int, subprocess.Popen[bytes]]]:
    env = {
        **imap.env,
        "KUBEMAIL_IMAP_TLS_PORT": "0",
        "KUBEMAIL_IMAP_HOST": "127.0.0.1",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
        "KUBEMAIL_METRICS_PORT": "9100",  # enabled: bound to a free port like every listener
        "KUBEMAIL_IMAP_KEEPALIVE": str(KEEPALIVE),
        "KUBEMAIL_IMAP_POLL_INTERVAL": "30",
        "KUBEMAIL_IMAP_PREAUTH_TIMEOUT": "1",
    }
    service = ServiceProcess("imap", env, tmp_path, capture=True).start()
    proc = service.proc
    assert proc is not None
    try:
        yield service.ports["imap"], service.ports["metrics"], proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _watch_streams() -> float:
    """Open Watch streams of the in-process metadata service (live once subscribed in Redis)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("kubemail_metadata_watch_streams") or 0.0


def _read_until(r: Raw, pred: object, timeout: float) -> tuple[list[bytes], float]:
    start = time.monotonic()
    r.sock.settimeout(timeout)
    got: list[bytes] = []
    while True:
        line = r.line()
        got.append(line)
        if pred(line):  # type: ignore[operator]
            return got, time.monotonic() - start


async def _deliver(env: dict[str, str], user_id: str, raw: bytes) -> None:
    common = load(CommonConfig, env)
    blobs = make_blobstore(common)
    bid = await blobs.put(raw)
    async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"]) as c:
        await c.messages.Deliver(
            messages_pb.DeliverRequest(
                blob_id=bid,
                size=len(raw),
                summary=build_summary(raw),
                deliveries=[messages_pb.Delivery(user_id=user_id)],
                idempotency_key=bid[:16],
            )
        )
    await blobs.close()


def test_idle_notifications_cross_pod(imap: ImapHandle, pod_b: tuple[int, int, subprocess.Popen[bytes]]) -> None:
    port_b, mport, proc = pod_b
    streams = _watch_streams()
    a = Raw(imap.port)
    a.login()
    a.cmd("a0", b"APPEND INBOX {%d+}\r\n" % len(msg(1)) + msg(1))
    a.cmd("s", "SELECT INBOX")
    b = Raw(port_b)
    b.login()
    lines, _ = b.cmd("s", "SELECT INBOX")
    assert b"* 1 EXISTS" in lines
    b.send(b"i IDLE\r\n")
    assert b.line().startswith(b"+ ")
    # both pods' Watch streams for the user are live (subscribed in Redis): wait, do not guess
    deadline = time.monotonic() + 20
    while _watch_streams() < streams + 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _watch_streams() >= streams + 2
    # Pod B re-reads changes on its own only at the keepalive tick (POLL_INTERVAL is longer),
    # and then writes '* OK Still here' in the same flush. So each change below that arrives
    # with no keepalive line before it was pushed by the Watch stream, not found by the timer
    # (no timed assertion: what is checked is how it arrived, not how fast).
    seen: list[bytes] = []
    # 1) flag set in a session on pod A
    a.cmd("a1", "STORE 1 +FLAGS (\\Flagged)")
    got, _ = _read_until(b, lambda ln: b"FETCH" in ln, KEEPALIVE + 10)
    seen += got
    assert got[-1].startswith(b"* 1 FETCH (UID 1 FLAGS (\\Flagged")
    # 2) delivery through Messages.Deliver (what SMTP does)
    lt = LoopThread()
    lt.run(_deliver(imap.env, imap.user_id, msg(2)))
    lt.close()
    got, _ = _read_until(b, lambda ln: ln == b"* 2 EXISTS", KEEPALIVE + 10)
    seen += got
    # 3) expunge on pod A
    a.cmd("a2", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd("a3", "EXPUNGE")
    got, _ = _read_until(b, lambda ln: ln == b"* 1 EXPUNGE", KEEPALIVE + 10)
    seen += got
    assert b"* OK Still here" not in seen, seen
    # keepalive while idle
    got, _ = _read_until(b, lambda ln: ln == b"* OK Still here", KEEPALIVE + 10)
    b.send(b"DONE\r\n")
    _, t = b.until("i")
    assert t.startswith(b"i OK")
    # metrics of pod B
    text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
    assert "kubemail_imap_connections 1.0" in text
    assert 'kubemail_imap_commands_total{command="IDLE",result="ok"} 1.0' in text
    assert "kubemail_imap_idle_sessions 0.0" in text
    assert "kubemail_imap_command_duration_seconds_bucket" in text
    # autologout before login (KUBEMAIL_IMAP_PREAUTH_TIMEOUT=1)
    c = Raw(port_b)
    c.sock.settimeout(5)
    assert c.line() == b"* BYE Autologout; idle for too long"
    c.close()
    # SIGTERM: an idling client is told goodbye and the process exits cleanly
    b.send(b"j IDLE\r\n")
    assert b.line().startswith(b"+ ")
    quiet = Raw(port_b)  # logged in, waiting for its next command
    quiet.login()
    proc.send_signal(signal.SIGTERM)
    got, _ = _read_until(b, lambda ln: ln.startswith(b"* BYE"), 10)
    got, _ = _read_until(quiet, lambda ln: ln.startswith(b"* BYE"), 10)
    assert proc.wait(15) == 0
    a.close()
