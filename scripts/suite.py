"""The whole kubemail suite as local processes: redis-server, metadata, smtp, imap, pop3.

Used by `make run` (scripts/run_local.py), the end-to-end tests and the observability test.
Every service runs the same code as in the cluster (`python -m services.<name>`); only the
endpoints differ: a local redis-server with AOF, a local blob backend (or an S3 endpoint), and
unprivileged ports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """`n` distinct free ports (all held open while choosing, so none is handed out twice)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, parents before children (read from /proc)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        child = todo.pop()
        out.append(child)
        todo.extend(kids.get(child, []))
    return out


@dataclasses.dataclass
class Ports:
    redis: int
    metadata: int
    smtp: int
    submission: int
    smtps: int
    imap: int
    imaps: int
    pop3: int
    pop3s: int
    metrics: dict[str, int]

    @classmethod
    def fixed(cls) -> Ports:
        """The documented ports of `make run`."""
        return cls(
            6380,
            50051,
            2525,
            2587,
            2465,
            1143,
            1993,
            1110,
            1995,
            {"metadata": 9101, "smtp": 9102, "imap": 9103, "pop3": 9104},
        )

    @classmethod
    def ephemeral(cls) -> Ports:
        p = free_ports(13)
        metrics = dict(zip(("metadata", "smtp", "imap", "pop3"), p[9:], strict=True))
        return cls(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], metrics)


# The environment variable each front-end reads for each listener.
LISTEN_ENV: dict[str, dict[str, str]] = {
    "smtp": {
        "smtp": "KUBEMAIL_SMTP_MX_PORT",
        "submission": "KUBEMAIL_SMTP_SUBMISSION_PORT",
        "smtps": "KUBEMAIL_SMTP_SUBMISSIONS_PORT",
    },
    "imap": {"imap": "KUBEMAIL_IMAP_PORT", "imaps": "KUBEMAIL_IMAP_TLS_PORT"},
    "pop3": {"pop3": "KUBEMAIL_POP3_PORT", "pop3s": "KUBEMAIL_POP3_TLS_PORT"},
}
FRONTENDS = ("smtp", "imap", "pop3")


class Suite:
    """Starts and stops the suite; `env` is the environment the services share."""

    def __init__(
        self,
        workdir: Path,
        ports: Ports | None = None,
        extra_env: dict[str, str] | None = None,
        services: tuple[str, ...] = FRONTENDS,
        quiet: bool = True,
    ) -> None:
        self.workdir = Path(workdir)
        self.ports = ports or Ports.ephemeral()
        self.services = tuple(s for s in services if (ROOT / "services" / s / "__main__.py").exists())
        self.quiet = quiet
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        tls_dir = self.workdir / "tls"
        from services.common.tls import generate_self_signed

        if not (tls_dir / "tls.crt").exists():
            generate_self_signed(tls_dir, "localhost")
        self.env: dict[str, str] = {
            "KUBEMAIL_REDIS_URL": f"redis://127.0.0.1:{self.ports.redis}/0",
            "KUBEMAIL_METADATA_ADDR": f"127.0.0.1:{self.ports.metadata}",
            "KUBEMAIL_METADATA_LISTEN": f"127.0.0.1:{self.ports.metadata}",
            "KUBEMAIL_BLOB_BACKEND": "fs",
            "KUBEMAIL_BLOB_DIR": str(self.workdir / "blobs"),
            "KUBEMAIL_TLS_CERT": str(tls_dir / "tls.crt"),
            "KUBEMAIL_TLS_KEY": str(tls_dir / "tls.key"),
            "KUBEMAIL_METRICS_HOST": "127.0.0.1",
            "KUBEMAIL_HOSTNAME": "localhost",
            **(extra_env or {}),
        }
        for listeners in LISTEN_ENV.values():
            for listener, var in listeners.items():
                self.env.setdefault(var, str(getattr(self.ports, listener)))

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        out = open(log, "ab")  # kept open for the child's lifetime
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, start_new_session=True,
            stdout=out if self.quiet else None, stderr=subprocess.STDOUT if self.quiet else None,
        )  # fmt: skip
        out.close()
        self.procs[name] = proc
        return proc

    def service_env(self, name: str) -> dict[str, str]:
        path = os.pathsep.join([str(ROOT), str(ROOT / "operator")])
        return {
            **os.environ,
            **self.env,
            "PYTHONPATH": path,
            "KUBEMAIL_METRICS_PORT": str(self.ports.metrics.get(name, 0)),
        }

    def start_redis(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed: apt-get install redis-server")
        rdir = self.workdir / "redis"
        rdir.mkdir(parents=True, exist_ok=True)
        proc = self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.ports.redis),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(rdir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--loglevel",
                "warning",
            ],
            dict(os.environ),
        )
        wait_port(self.ports.redis, proc=proc)

    def start_service(self, name: str) -> None:
        proc = self._spawn(name, [sys.executable, "-m", f"services.{name}"], self.service_env(name))
        port = self.ports.metadata if name == "metadata" else getattr(self.ports, name)
        try:
            wait_port(port, proc=proc)
        except (RuntimeError, TimeoutError) as exc:
            tail = self.logs[name].read_text(errors="replace")[-2000:] if self.quiet else ""
            raise RuntimeError(f"{name}: {exc}; log {self.logs[name]}:\n{tail}") from None

    def start(self) -> Suite:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_redis()
            self.start_service("metadata")
            for name in self.services:
                self.start_service(name)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()

    def kill(self, name: str) -> None:
        """kill -9 one process (fault tests)."""
        proc = self.procs[name]
        proc.kill()
        proc.wait(10)

    def restart(self, name: str) -> None:
        if name == "redis":
            self.start_redis()
        else:
            self.start_service(name)

    def __enter__(self) -> Suite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def create_demo(metadata_addr: str, domain: str, address: str, password: str) -> None:
    """Creates a demo domain and user through the metadata gRPC API (idempotent)."""
    from argon2 import PasswordHasher

    from services.common.grpcclient import MetadataClient
    from services.gen.kubemail.v1 import directory_pb2 as directory_pb

    async with MetadataClient(metadata_addr) as client:
        await client.directory.UpsertDomain(
            directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name=domain, enabled=True))
        )
        await client.directory.UpsertUser(
            directory_pb.UpsertUserRequest(
                user=directory_pb.User(
                    address=address,
                    display_name="Demo User",
                    password_hash=PasswordHasher().hash(password),
                    enabled=True,
                )
            )
        )
