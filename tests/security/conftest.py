"""Security test world: IMAP, POP3 and SMTP in-process on one metadata service (real Redis,
real S3), users alice and bob with mail, plus raw-socket helpers and a snapshot of bob's data
read through the metadata API (to prove an attack changed nothing)."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.common import config
from services.common.auth import AuthLimits
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.listing import all_mailboxes
from services.common.mime import build_summary
from services.common.tls import generate_self_signed
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.conftest import _start_metadata, _stop_metadata
from tests.fixtures.linesock import LineSocket
from tests.fixtures.outbound import outbound_entries
from tests.fixtures.seed import seed_domain, seed_user
from tests.fixtures.servers import LoopThread, RedisServer, S3Server

DOMAIN = "example.test"
ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"
FWD = f"fwd@{DOMAIN}"
ALICE_PW = "alice-pw"
BOB_PW = "bob-pw"
BOB_SECRET = b"BOB-SECRET-PAYLOAD"
ALICE_MARK = b"ALICE-OWN-MESSAGE"


def message(subject: str, body: bytes, to: str) -> bytes:
    return (
        (
            f"From: Someone <someone@remote.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@remote.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
        ).encode()
        + body
        + b"\r\n"
    )


@dataclasses.dataclass
class Suite:
    env: dict[str, str]
    loop: LoopThread
    client: MetadataClient
    blobs: Any
    imap: Any
    pop3: Any
    smtp: Any
    users: dict[str, directory_pb.User]
    bob_blobs: list[str]
    cert: str

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        return self.loop.run(coro, timeout)

    @property
    def imap_port(self) -> int:
        return int(self.imap.port_of("imap"))

    @property
    def imaps_port(self) -> int:
        return int(self.imap.port_of("imaps"))

    @property
    def pop3_port(self) -> int:
        return int(self.pop3.port)

    @property
    def pop3s_port(self) -> int:
        return int(self.pop3.tls_port)

    @property
    def mx_port(self) -> int:
        return int(self.smtp.ports["mx"])

    @property
    def submission_port(self) -> int:
        return int(self.smtp.ports["submission"])

    @property
    def submissions_port(self) -> int:
        return int(self.smtp.ports["submissions"])

    def uid(self, address: str) -> str:
        return str(self.users[address].id)

    def snapshot(self, address: str) -> dict[str, Any]:
        """Every mailbox of the user with its counters and every message's uid/flags/modseq/blob."""
        return self.run(_snapshot(self.client, self.uid(address)))  # type: ignore[no-any-return]

    def deliver(self, address: str, raw: bytes, mailbox: str = "") -> str:
        return self.run(_deliver(self.client, self.blobs, self.uid(address), raw, mailbox))  # type: ignore[no-any-return]

    def outbound(self) -> list[dict[bytes, bytes]]:
        return outbound_entries(self.env["KUBEMAIL_REDIS_URL"])


async def _snapshot(client: MetadataClient, user_id: str) -> dict[str, Any]:
    boxes = await all_mailboxes(client, user_id)
    out: dict[str, Any] = {}
    for b in boxes.mailboxes:
        msgs = await client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=b.id, uids=[types_pb.UidRange(lo=1, hi=0)])
        )
        out[b.name] = (
            b.id,
            b.uidvalidity,
            b.uidnext,
            b.highest_modseq,
            b.messages,
            b.unseen,
            b.deleted,
            b.subscribed,
            [(m.uid, m.modseq, sorted(m.flags), m.blob_id) for m in msgs.messages],
        )
    return out


async def _deliver(client: MetadataClient, blobs: Any, user_id: str, raw: bytes, mailbox: str) -> str:
    blob_id = str(await blobs.put(raw))
    await client.messages.Deliver(
        messages_pb.DeliverRequest(
            blob_id=blob_id,
            size=len(raw),
            summary=build_summary(raw),
            deliveries=[messages_pb.Delivery(user_id=user_id, mailbox=mailbox)],
            idempotency_key=uuid.uuid4().hex,
        )
    )
    return blob_id


def build_suite(redis_server: RedisServer, s3_server: S3Server, tmp: Path, **overrides: str) -> Iterator[Suite]:
    from services.imap.config import ImapConfig
    from services.imap.server import start as start_imap
    from services.pop3.config import Pop3Config
    from services.pop3.server import start as start_pop3
    from services.smtp.config import SmtpConfig
    from services.smtp.server import start as start_smtp

    redis_server.flush()
    cert, key = generate_self_signed(tmp / "tls", "localhost")
    base = {
        **s3_server.env(f"s{uuid.uuid4().hex[:16]}"),
        "KUBEMAIL_REDIS_URL": redis_server.url,
        "KUBEMAIL_METRICS_PORT": "0",
        "KUBEMAIL_BLOB_DIR": str(tmp / "blobs"),
    }
    md = _start_metadata(base)
    env = {
        **md.env,
        "KUBEMAIL_TLS_CERT": cert,
        "KUBEMAIL_TLS_KEY": key,
        "KUBEMAIL_HOSTNAME": "mail.example.test",
        # loopback 127.0.0.1 is trusted (plaintext logins); other loopback IPs are not
        "KUBEMAIL_TRUSTED_NETWORKS": "127.0.0.1/32",
        "KUBEMAIL_IMAP_HOST": "127.0.0.1",
        "KUBEMAIL_POP3_HOST": "127.0.0.1",
        "KUBEMAIL_SMTP_HOST": "127.0.0.1",
        "KUBEMAIL_EPHEMERAL_PORTS": "true",
        "KUBEMAIL_SMTP_MAX_MESSAGE_BYTES": "200000",
        "KUBEMAIL_IMAP_POLL_INTERVAL": "2",
        "KUBEMAIL_AUTH_FAIL_PER_IP": "1000",
        "KUBEMAIL_AUTH_FAIL_PER_USER": "1000",
        "KUBEMAIL_AUTH_BACKOFF_AFTER": "0",
        **overrides,
    }
    lt = LoopThread()
    common = config.load(CommonConfig, env)
    limits = config.load(AuthLimits, env)

    async def up() -> Suite:
        client = MetadataClient(common.metadata_addr, 10.0)
        blobs = make_blobstore(common)
        await seed_domain(client, DOMAIN)
        users = {
            ALICE: await seed_user(client, ALICE, ALICE_PW, aliases=[f"al@{DOMAIN}"]),
            BOB: await seed_user(client, BOB, BOB_PW, aliases=[f"robert@{DOMAIN}"]),
            FWD: await seed_user(client, FWD, "fwd-pw", forward_to=["outside@remote.test"]),
        }
        bob = users[BOB].id
        await client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=bob, name="Secret"))
        await client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=bob, name="Secret/Sub"))
        bob_blobs = [
            await _deliver(client, blobs, bob, message("bob 1", BOB_SECRET + b" one", BOB), ""),
            await _deliver(client, blobs, bob, message("bob 2", BOB_SECRET + b" two", BOB), ""),
            await _deliver(client, blobs, bob, message("bob 3", BOB_SECRET + b" three", BOB), "Secret"),
        ]
        await _deliver(client, blobs, users[ALICE].id, message("alice 1", ALICE_MARK, ALICE), "")
        imap = await start_imap(config.load(ImapConfig, env), common, auth_limits=limits)
        pop3 = await start_pop3(config.load(Pop3Config, env), common, auth_limits=limits)
        smtp = await start_smtp(config.load(SmtpConfig, env), common, auth_limits=limits)
        return Suite(env, lt, client, blobs, imap, pop3, smtp, users, bob_blobs, cert)

    suite = lt.run(up())
    try:
        yield suite
    finally:

        async def down() -> None:
            for srv in (suite.imap, suite.pop3):
                await srv.stop(2.0)
            await suite.smtp.stop(grace=2)
            await suite.client.close()

        lt.run(down())
        lt.close()
        _stop_metadata(md)


@pytest.fixture(scope="module")
def suite(redis_server: RedisServer, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    yield from build_suite(redis_server, s3_server, tmp_path_factory.mktemp("sec"))


@pytest.fixture
def bob_unchanged(suite: Suite) -> Iterator[None]:
    """Asserts at teardown that nothing of bob's changed during the test."""
    before = suite.snapshot(BOB)
    yield
    assert suite.snapshot(BOB) == before


# ------------------------------------------------------------------------------------------
# raw socket clients
# ------------------------------------------------------------------------------------------


def connect(port: int, source: str = "127.0.0.1", timeout: float = 10.0, tls: bool = False) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx.wrap_socket(sock)
    return sock


class LineClient(LineSocket):
    """Line-oriented raw client (CRLF); used for IMAP, POP3 and SMTP."""

    def __init__(self, port: int, source: str = "127.0.0.1", timeout: float = 10.0, tls: bool = False) -> None:
        super().__init__(connect(port, source, timeout, tls))
        self.greeting = self.line()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Imap(LineClient):
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

    def cmd(self, tag: str, text: bytes | str) -> tuple[list[bytes], bytes]:
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def cmd_lit(self, tag: str, head: bytes, literals: list[bytes], tail: bytes = b"") -> tuple[list[bytes], bytes]:
        """`tag head {n}` + literal [+ ` {m}` + literal ...] + tail, with synchronizing literals."""
        self.send(tag.encode() + b" " + head + b"{%d}\r\n" % len(literals[0]))
        for i, lit in enumerate(literals):
            cont = self.line()
            if not cont.startswith(b"+"):
                return [], cont  # refused before the literal: the tagged answer
            nxt = b" {%d}\r\n" % len(literals[i + 1]) if i + 1 < len(literals) else tail + b"\r\n"
            self.send(lit + nxt)
        return self.until(tag)

    def login(self, user: str = ALICE, password: str = ALICE_PW) -> None:
        _, t = self.cmd("L", f'LOGIN "{user}" "{password}"')
        assert t.startswith(b"L OK"), t


class Pop3(LineClient):
    def cmd(self, text: str | bytes) -> bytes:
        self.send((text.encode() if isinstance(text, str) else text) + b"\r\n")
        return self.line()

    def multi(self, text: str) -> tuple[bytes, list[bytes]]:
        first = self.cmd(text)
        lines: list[bytes] = []
        if first.startswith(b"+OK"):
            while (ln := self.line()) != b".":
                lines.append(ln)
        return first, lines

    def login(self, user: str = ALICE, password: str = ALICE_PW) -> None:
        assert self.cmd(f"USER {user}").startswith(b"+OK")
        r = self.cmd(f"PASS {password}")
        assert r.startswith(b"+OK"), r


class Smtp(LineClient):
    def reply(self) -> tuple[int, list[bytes]]:
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if len(ln) < 4 or ln[3:4] != b"-":
                return int(ln[:3]), lines

    def cmd(self, text: str | bytes) -> tuple[int, list[bytes]]:
        self.send((text.encode() if isinstance(text, str) else text) + b"\r\n")
        return self.reply()


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def wait_for(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()
