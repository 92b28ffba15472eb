"""`python -m services.pop3` as a real process: serves poplib, drains and exits 0 on
SIGTERM, and refuses a malformed environment with one line instead of a traceback."""

from __future__ import annotations

import os
import poplib
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.servers import LoopThread, ServiceProcess
from tests.pop3.conftest import ADDRESS, PASSWORD, _deliver, _inbox
from tests.pop3.test_session import Raw, msg

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(metadata: Any) -> Iterator[tuple[LoopThread, Any, Any, str]]:
    from services.common import config
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig
    from services.common.grpcclient import MetadataClient
    from tests.fixtures.seed import seed_user

    lt = LoopThread()

    async def setup() -> tuple[Any, Any, str]:
        client = MetadataClient(metadata.addr, 10.0)
        user = await seed_user(client, ADDRESS, PASSWORD)
        return client, make_blobstore(config.load(CommonConfig, metadata.env)), user.id

    client, blobs, user_id = lt.run(setup())
    yield lt, client, blobs, user_id
    lt.run(client.close())
    lt.close()


def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.pop3"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_process_serves_drains_and_exits_zero(
    metadata: Any, seeded: tuple[LoopThread, Any, Any, str], tmp_path: Path
) -> None:
    lt, client, blobs, user_id = seeded
    lt.run(_deliver(client, blobs, user_id, [msg(1), msg(2)]))
    env = {
        **metadata.env,
        "KUBEMAIL_POP3_HOST": "127.0.0.1",
        "KUBEMAIL_POP3_TLS_PORT": "0",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
        "KUBEMAIL_METRICS_PORT": "9100",  # enabled: bound to a free port like every listener
        "KUBEMAIL_HOSTNAME": f"pop-{uuid.uuid4().hex[:6]}.test",
    }
    service = ServiceProcess("pop3", env, tmp_path, capture=True).start()
    proc = service.proc
    assert proc is not None
    port, metrics_port = service.ports["pop3"], service.ports["metrics"]
    try:
        p = poplib.POP3("127.0.0.1", port, timeout=10)
        p.user(ADDRESS)
        p.pass_(PASSWORD)
        assert p.stat()[0] == 2
        assert b"\r\n".join(p.retr(1)[1]) + b"\r\n" == msg(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as resp:
            assert b"kubemail_pop3_commands_total" in resp.read()
        idle = Raw(port)  # a second client that sends nothing
        assert idle.greeting.startswith(b"+OK")

        proc.send_signal(signal.SIGTERM)
        # Draining: the session in progress may finish (its DELE is committed) ...
        p.dele(1)
        assert p.quit().startswith(b"+OK")
        # ... the idle one is told to come back later and let go, nobody new gets in.
        assert idle.line().startswith(b"-ERR [SYS/TEMP]")
        assert idle.line() == b""
        assert proc.wait(20) == 0, proc.stderr.read() if proc.stderr else b""
        with pytest.raises(OSError):
            Raw(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert lt.run(_inbox(client, user_id))[1] == [2]


def test_malformed_env_exits_nonzero_with_one_line(metadata: Any) -> None:
    proc = spawn({**metadata.env, "KUBEMAIL_POP3_PORT": "abc", "KUBEMAIL_METRICS_PORT": "0"})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode not in (0, None)
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, err
    assert "KUBEMAIL_POP3_PORT" in lines[0] and "abc" in lines[0]
    assert "Traceback" not in lines[0]
