"""IMAP test fixtures: the imap server in-process (own loop thread) on the real metadata
service (real Redis + S3), a seeded user, and small client helpers."""

from __future__ import annotations

import dataclasses
import imaplib
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from services.common import config
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.imap.config import ImapConfig
from services.imap.server import ImapServer, start
from tests.fixtures.linesock import LineSocket
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import LoopThread

USER = "alice@example.test"
PASSWORD = "secret"


@dataclasses.dataclass
class ImapHandle:
    port: int
    tls_port: int
    server: ImapServer
    loop: LoopThread
    env: dict[str, str]
    user_id: str

    def client(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=15)
        return c

    def login(self, user: str = USER, password: str = PASSWORD) -> imaplib.IMAP4:
        c = self.client()
        c.login(user, password)
        return c

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro)


def start_imap(env: dict[str, str], tls: bool = False, **overrides: str) -> tuple[ImapServer, LoopThread]:
    e = {**env, **overrides}
    if not tls:  # never fall back to the configured fixed port (1993): it collides with `make run`
        e.setdefault("KUBEMAIL_IMAP_TLS_PORT", "0")
    common = dataclasses.replace(config.load(CommonConfig, e), ephemeral_ports=True)
    cfg = config.load(ImapConfig, e)
    lt = LoopThread()
    srv = lt.run(
        start(
            cfg,
            common,
            auth_limits=AuthLimits(fail_per_ip=1000, fail_per_user=1000, backoff_after=0),
        )
    )
    return srv, lt


def stop_imap(srv: ImapServer, lt: LoopThread) -> None:
    lt.run(srv.stop(2.0))
    lt.close()


async def _seed(addr: str) -> str:
    async with MetadataClient(addr) as c:
        u = await seed_user(c, USER, PASSWORD)
        await seed_user(c, "bob@example.test", "bobpw")
        return str(u.id)


@pytest.fixture
def imap(metadata: Any, tmp_path: Any) -> Iterator[ImapHandle]:
    seed_loop = LoopThread()
    user_id = seed_loop.run(_seed(metadata.addr))
    seed_loop.close()
    from services.common.tls import generate_self_signed

    cert, key = generate_self_signed(tmp_path / "tls")
    env = {**metadata.env, "KUBEMAIL_TLS_CERT": cert, "KUBEMAIL_TLS_KEY": key, "KUBEMAIL_IMAP_POLL_INTERVAL": "2"}
    srv, lt = start_imap(env, tls=True)
    h = ImapHandle(srv.port_of("imap"), srv.port_of("imaps"), srv, lt, env, user_id)
    yield h
    stop_imap(srv, lt)


class Raw(LineSocket):
    """A raw line-oriented IMAP client for exact-syntax assertions."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(socket.create_connection((host, port), timeout=10))
        self.greeting = self.line()

    def cmd(self, tag: str, text: bytes | str) -> tuple[list[bytes], bytes]:
        """Sends `tag text`, returns (untagged lines incl. literal data joined, tagged line)."""
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag: str) -> tuple[list[bytes], bytes]:
        lines: list[bytes] = []
        while True:
            line = self.line()
            while line.endswith(b"}") and b"{" in line:
                n = int(line[line.rindex(b"{") + 1 : -1].rstrip(b"+"))
                line += b"\r\n" + self.read_exact(n) + self.line()
            if line.startswith(tag.encode() + b" "):
                return lines, line
            lines.append(line)

    def login(self, user: str = USER, password: str = PASSWORD) -> None:
        _, t = self.cmd("L", f'LOGIN "{user}" "{password}"')
        assert t.startswith(b"L OK"), t

    def close(self) -> None:
        self.sock.close()


MSG = (
    b"From: Bob <bob@example.test>\r\n"
    b"To: Alice <alice@example.test>\r\n"
    b"Subject: hello %d\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    b"Message-ID: <m%d@example.test>\r\n"
    b"\r\n"
    b"Body of message %d.\r\n"
)


def msg(i: int) -> bytes:
    return MSG % (i, i, i)
