"""The whole kubemail suite as local processes: redis-server, metadata, smtp, imap, pop3.

Used by `make run` (scripts/run_local.py), the end-to-end tests and the observability test.
Every service runs the same code as in the cluster (`python -m services.<name>`); only the
endpoints differ: a local redis-server with AOF, a local blob backend (or an S3 endpoint), and
unprivileged ports.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on, as the kernel reports them (/proc).

    For third-party servers that bind port 0 but do not print the port they got.
    """
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                cols = row.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def outside_ephemeral_range(count: int, rng: random.Random | None = None) -> list[int]:
    """`count` distinct ports below the kernel's ephemeral range, for servers that cannot bind 0.

    The kernel never hands out a port of this range for a port-0 bind or an outgoing connection,
    so the only possible conflict is another server configured with the same fixed port; the caller
    detects that (the server fails to start) and tries other ports.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return (rng or random.Random()).sample(range(10_000, low), count)


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


def wait_ports_file(path: Path, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> dict[str, int]:
    """The ports a service reported in its KUBEMAIL_PORTS_FILE (written once it listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before reporting its ports")
        try:
            return {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
        except FileNotFoundError:
            time.sleep(0.05)
    raise TimeoutError(f"no ports reported in {path} after {timeout}s")


def wait_unix(path: Path, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {path}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(0.5)
                s.connect(str(path))
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {path} after {timeout}s")


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
    http: int = 0  # the web front-end (autoconfig, ActiveSync)

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
            {"metadata": 9101, "smtp": 9102, "imap": 9103, "pop3": 9104, "relay": 9105, "web": 9106},
            8080,
        )

    @classmethod
    def unbound(cls) -> Ports:
        """Ports not known yet: every service binds a free port and reports it (ephemeral mode)."""
        return cls(0, 0, 0, 0, 0, 0, 0, 0, 0, {})


# The environment variable each front-end reads for each listener.
LISTEN_ENV: dict[str, dict[str, str]] = {
    "smtp": {
        "smtp": "KUBEMAIL_SMTP_MX_PORT",
        "submission": "KUBEMAIL_SMTP_SUBMISSION_PORT",
        "smtps": "KUBEMAIL_SMTP_SUBMISSIONS_PORT",
    },
    "imap": {"imap": "KUBEMAIL_IMAP_PORT", "imaps": "KUBEMAIL_IMAP_TLS_PORT"},
    "pop3": {"pop3": "KUBEMAIL_POP3_PORT", "pop3s": "KUBEMAIL_POP3_TLS_PORT"},
    "web": {"http": "KUBEMAIL_WEB_PORT"},
}
# The variable that sets each port a service reports (KUBEMAIL_PORTS_FILE), to bind it again.
PORT_ENV = {
    "grpc": "KUBEMAIL_METADATA_LISTEN",  # host:port
    "metrics": "KUBEMAIL_METRICS_PORT",
    "mx": "KUBEMAIL_SMTP_MX_PORT",
    "submission": "KUBEMAIL_SMTP_SUBMISSION_PORT",
    "submissions": "KUBEMAIL_SMTP_SUBMISSIONS_PORT",
    "imap": "KUBEMAIL_IMAP_PORT",
    "imaps": "KUBEMAIL_IMAP_TLS_PORT",
    "pop3": "KUBEMAIL_POP3_PORT",
    "pop3s": "KUBEMAIL_POP3_TLS_PORT",
    "http": "KUBEMAIL_WEB_PORT",
}
# The name a service reports a listener under, where it differs from the Ports field.
REPORTED_AS = {"smtp": "mx", "smtps": "submissions"}
FRONTENDS = ("smtp", "imap", "pop3")
# `make run` also starts the relay (outbound delivery) and the web front-end (autoconfig, ActiveSync)
LOCAL_SERVICES = (*FRONTENDS, "relay", "web")


class Suite:
    """Starts and stops the suite; `env` is the environment the services share.

    With `ports` (``make run``) every service binds the port given. Without, the suite runs in
    ephemeral mode: Redis listens on a Unix socket only, every service binds port 0
    (KUBEMAIL_EPHEMERAL_PORTS) and reports the ports it got in its KUBEMAIL_PORTS_FILE, which
    fills in `ports`; nothing ever picks a port and binds it later. A restarted service binds
    the ports it had, so its clients' addresses stay valid.
    """

    def __init__(
        self,
        workdir: Path,
        ports: Ports | None = None,
        extra_env: dict[str, str] | None = None,
        services: tuple[str, ...] = FRONTENDS,
        quiet: bool = True,
    ) -> None:
        self.workdir = Path(workdir)
        self.ephemeral = ports is None
        self.ports = ports or Ports.unbound()
        # a Unix socket path must stay under 108 bytes, whatever the work directory is
        self.redis_socket = Path(tempfile.mkdtemp(prefix="kubemail-redis-")) / "redis.sock"
        # removed with this object (restarts reuse the socket's directory until then)
        weakref.finalize(self, shutil.rmtree, self.redis_socket.parent, True)
        self.services = tuple(s for s in services if (ROOT / "services" / s / "__main__.py").exists())
        self.quiet = quiet
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        tls_dir = self.workdir / "tls"
        from services.common.tls import generate_self_signed

        if not (tls_dir / "tls.crt").exists():
            generate_self_signed(tls_dir, "localhost")
        redis_url = f"unix://{self.redis_socket}?db=0" if self.ephemeral else f"redis://127.0.0.1:{self.ports.redis}/0"
        self.env: dict[str, str] = {
            "KUBEMAIL_REDIS_URL": redis_url,
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
        if not self.ephemeral:  # ephemeral: each service's configured listeners, bound to port 0
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
        env = {
            **os.environ,
            **self.env,
            "PYTHONPATH": path,
            "KUBEMAIL_PORTS_FILE": str(self.ports_file(name)),
        }
        if name in self.ports.metrics:  # fixed ports, or a restart: the ports it had
            env["KUBEMAIL_METRICS_PORT"] = str(self.ports.metrics[name])
        else:  # first start in ephemeral mode: every listener, metrics included, on a free port
            env["KUBEMAIL_METRICS_PORT"] = "9100"  # enabled; KUBEMAIL_EPHEMERAL_PORTS binds it to 0
            env["KUBEMAIL_EPHEMERAL_PORTS"] = "true"
        return env

    def ports_file(self, name: str) -> Path:
        return self.workdir / f"{name}.ports.json"

    def _record(self, name: str, bound: dict[str, int]) -> None:
        """Takes the ports a service reported into `ports` and the shared environment."""
        self.ports.metrics[name] = bound["metrics"]
        if name == "metadata":
            self.ports.metadata = bound["grpc"]
            self.env["KUBEMAIL_METADATA_ADDR"] = f"127.0.0.1:{self.ports.metadata}"
            self.env["KUBEMAIL_METADATA_LISTEN"] = f"127.0.0.1:{self.ports.metadata}"
            return
        for listener, var in LISTEN_ENV.get(name, {}).items():
            reported = REPORTED_AS.get(listener, listener)
            if reported not in bound:  # turned off by the caller's environment
                continue
            setattr(self.ports, listener, bound[reported])
            self.env[var] = str(bound[reported])

    def start_redis(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed: apt-get install redis-server")
        rdir = self.workdir / "redis"
        rdir.mkdir(parents=True, exist_ok=True)
        listen = (
            ["--port", "0", "--unixsocket", str(self.redis_socket), "--unixsocketperm", "700"]
            if self.ephemeral
            else ["--port", str(self.ports.redis), "--bind", "127.0.0.1"]
        )
        proc = self._spawn(
            "redis",
            [
                "redis-server",
                *listen,
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
        if self.ephemeral:
            wait_unix(self.redis_socket, proc=proc)
        else:
            wait_port(self.ports.redis, proc=proc)

    def start_service(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.ports_file(name).unlink()
        proc = self._spawn(name, [sys.executable, "-m", f"services.{name}"], self.service_env(name))
        try:
            self._record(name, wait_ports_file(self.ports_file(name), proc=proc))
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
