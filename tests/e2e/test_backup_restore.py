"""scripts/backup_restore.py on the local suite: 1,000 messages survive backup, wipe and restore byte for byte."""

from __future__ import annotations

import shutil
import smtplib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts import backup_restore as br
from scripts.suite import ROOT, Suite
from tests.e2e.conftest import E2E, assert_delivered, dump_logs, fetch_all, needs_imap, uidvalidity

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

COUNT = 1000
SENDERS = 4
MAIL_FROM = "sender@remote.test"


def message(n: int, to: str) -> bytes:
    return (
        f"From: <{MAIL_FROM}>\r\nTo: <{to}>\r\nSubject: backup {n}\r\n"
        f"Message-ID: <backup-{n}@e2e.test>\r\n\r\n"
        f"message {n}\r\n.leading dot\r\n" + f"{n:06d}" * (n % 50) + "\r\n"
    ).encode()


def _send(port: int, rcpt: str, numbers: range) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.e2e.test", timeout=30) as s:
        for n in numbers:
            assert s.sendmail(MAIL_FROM, [rcpt], message(n, rcpt)) == {}


def _tool(*args: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.backup_restore", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _start(workdir: Path) -> E2E:
    # one sender, a thousand messages: no per-sender rate limit
    return E2E(Suite(workdir, extra_env={"KUBEMAIL_SMTP_MSG_RATE_LIMIT": "0"}, services=("smtp", "imap")).start())


@needs_imap
def test_backup_wipe_restore_reads_every_message(tmp_path: Path) -> None:
    workdir = tmp_path / "suite"
    e2e = _start(workdir)
    try:
        rcpt = e2e.add_user("backup")
        per = COUNT // SENDERS
        with ThreadPoolExecutor(SENDERS) as pool:
            for f in [pool.submit(_send, e2e.ports.smtp, rcpt, range(i * per, (i + 1) * per)) for i in range(SENDERS)]:
                f.result()
        m = e2e.imap(rcpt)
        before, validity = fetch_all(m), uidvalidity(m)
        m.logout()
        assert len(before) == COUNT
        env = {**e2e.suite.service_env("metadata")}
        out = _tool("backup", str(tmp_path / "backup"), env=env)
        assert '"blobs": 1000' in out, out
    finally:
        e2e.suite.stop()
    # lose everything: the Redis data directory (AOF) and every blob
    shutil.rmtree(workdir / "redis")
    shutil.rmtree(workdir / "blobs")
    _tool("restore", str(tmp_path / "backup"), "--redis-dir", str(workdir / "redis"), env=env)
    e2e = _start(workdir)
    try:
        m = e2e.imap(rcpt)
        after, validity_after = fetch_all(m), uidvalidity(m)
        m.logout()
        assert validity_after == validity
        assert after == before  # the same UIDs, the same bytes
        sent = {message(n, rcpt) for n in range(COUNT)}
        for raw in after.values():
            body = raw[raw.index(b"From: <") :]
            assert body in sent
            assert_delivered(raw, body, MAIL_FROM)
        assert len({raw[raw.index(b"From: <") :] for raw in after.values()}) == COUNT
        # the restored store takes new mail (UIDs continue above the restored ones)
        _send(e2e.ports.smtp, rcpt, range(COUNT, COUNT + 1))
        m = e2e.imap(rcpt)
        latest = fetch_all(m)
        m.logout()
        assert len(latest) == COUNT + 1 and max(latest) > max(before)
    except BaseException:
        print(dump_logs(e2e.suite))
        raise
    finally:
        e2e.suite.stop()


def test_urls_and_refusals(tmp_path: Path) -> None:
    assert br.redis_cli_args("unix:///tmp/r.sock?db=2") == ["-s", "/tmp/r.sock", "-n", "2"]
    assert br.redis_cli_args("redis://:pw@10.0.0.1:6380/1") == [
        "-h",
        "10.0.0.1",
        "-p",
        "6380",
        "--pass",
        "pw",
        "-n",
        "1",
    ]
    with pytest.raises(br.BackupError, match="no complete backup"):
        br.restore(tmp_path, tmp_path / "redis", tmp_path / "blobs")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / br.MANIFEST).write_text('{"format": 1}')
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "appendonlydir").mkdir()
    with pytest.raises(br.BackupError, match="not empty"):
        br.restore(tmp_path / "b", tmp_path / "redis", tmp_path / "blobs")
