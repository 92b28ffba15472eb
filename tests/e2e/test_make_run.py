"""`make run` itself: scripts/run_local.py on its fixed ports, used as a developer would, then Ctrl-C."""

from __future__ import annotations

import imaplib
import os
import poplib
import queue
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scripts.suite import ROOT, Ports
from scripts.suite import descendants as suite_descendants
from tests.e2e.conftest import HAS_IMAP, HAS_POP3, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

DEMO = "demo@example.test"
DEMO_PASSWORD = "demo-password"
BANNER_END = "self-signed certificate"
PORTS = Ports.fixed()  # what `make run` documents: 2525/2587/2465/1143/1993/1110/1995/50051/6380/9101-9106
LAUNCHER = [sys.executable, "scripts/run_local.py"]


def _fixed_ports() -> list[int]:
    p = PORTS
    return [p.smtp, p.submission, p.smtps, p.imap, p.imaps, p.pop3, p.pop3s, p.metadata, p.redis, *p.metrics.values()]


def _busy(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return True
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


class _Output:
    """The launcher's combined output, read by a thread (never blocks the test)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        self._t = threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True)
        self._t.start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._q.put(line)
        self._q.put(None)

    def until(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{needle!r} not printed within {timeout}s:\n{self.text}")
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"launcher exited before printing {needle!r}:\n{self.text}")
            self.lines.append(line)
            if needle in line:
                return self.text

    def drain(self, timeout: float = 5.0) -> str:
        self._t.join(timeout)
        while not self._q.empty():
            line = self._q.get_nowait()
            if line is not None:
                self.lines.append(line)
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


def test_make_run_banner_demo_account_and_clean_ctrl_c(tmp_path: Path) -> None:
    busy = [p for p in _fixed_ports() if _busy(p)]
    if busy:
        pytest.skip(f"`make run` needs its fixed ports; busy here: {busy}")
    env = {**os.environ, "KUBEMAIL_RUN_DIR": str(tmp_path / "run"), "PYTHONUNBUFFERED": "1"}
    for var in ("KUBEMAIL_DEMO_DOMAIN", "KUBEMAIL_DEMO_PASSWORD"):
        env.pop(var, None)
    proc = subprocess.Popen(
        LAUNCHER, cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    out = _Output(proc)
    descendants: set[int] = set()
    try:
        banner = out.until(BANNER_END, 90)
        assert DEMO in banner and DEMO_PASSWORD in banner, banner
        assert str(tmp_path / "run") in banner
        for port in (PORTS.smtp, PORTS.submission, PORTS.smtps, PORTS.imap, PORTS.pop3, PORTS.metadata, PORTS.http):
            assert f":{port}" in banner, (port, banner)
        # every component: the relay and the web front-end, and the spam filter when rspamd is installed
        assert "relay " in banner and "web " in banner, banner
        if shutil.which("rspamd"):
            assert "spam filter    rspamd http://127.0.0.1:" in banner, banner
        descendants = set(suite_descendants(proc.pid))
        assert len(descendants) >= 2, descendants  # at least redis-server and metadata

        raw = b"From: <dev@remote.test>\r\nTo: <demo@example.test>\r\nSubject: make run\r\n\r\nhello demo\r\n"
        with smtplib.SMTP("127.0.0.1", PORTS.smtp, timeout=20) as s:
            assert s.sendmail("dev@remote.test", [DEMO], raw) == {}
        if HAS_POP3:

            def popped() -> list[bytes]:
                p = poplib.POP3("127.0.0.1", PORTS.pop3, timeout=20)
                try:
                    p.user(DEMO)
                    p.pass_(DEMO_PASSWORD)
                    return [b"\r\n".join(p.retr(i + 1)[1]) + b"\r\n" for i in range(p.stat()[0])]
                finally:
                    p.quit()

            [msg] = wait_for(popped, 20, 0.3, "the message in the demo maildrop")
            assert msg.endswith(raw)
        if HAS_IMAP:
            m = imaplib.IMAP4("127.0.0.1", PORTS.imap, timeout=20)
            try:
                assert m.login(DEMO, DEMO_PASSWORD)[0] == "OK"
                assert m.select("INBOX") == ("OK", [b"1"])
                typ, data = m.fetch("1", "(BODY.PEEK[])")
                assert typ == "OK" and isinstance(data[0], tuple) and data[0][1].endswith(raw), data
            finally:
                m.logout()

        # Ctrl-C: the launcher stops everything and exits 0
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run_local.py did not exit within 15 s of SIGINT:\n{out.drain(1)}")
        text = out.drain()
        assert code == 0, text
        assert "stopped." in text, text
        assert "Traceback" not in text, text
        left = [pid for pid in descendants if _alive(pid)]
        assert not left, f"processes left behind after Ctrl-C: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in descendants:  # never leave strays on the shared machine
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_make_run_refuses_to_start_when_a_fixed_port_is_taken(tmp_path: Path) -> None:
    holder = None
    busy = [p for p in _fixed_ports() if _busy(p)]
    if not busy:  # take one ourselves, as a second `make run` would find it
        holder = socket.socket()
        # SO_REUSEADDR: the previous test's metadata may have left this port in TIME_WAIT
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", PORTS.metadata))
        holder.listen(1)
        busy = [PORTS.metadata]
    try:
        env = {**os.environ, "KUBEMAIL_RUN_DIR": str(tmp_path / "run")}
        out = subprocess.run(LAUNCHER, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    finally:
        if holder is not None:
            holder.close()
    assert out.returncode == 1, out.stdout + out.stderr
    assert "ports already in use" in out.stderr and str(busy[0]) in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run" / "redis").exists()  # nothing was started
