"""SMTP test world: metadata in-process, a seeded directory, the SMTP server on free ports."""

from __future__ import annotations

import dataclasses
import smtplib
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.common import config
from services.common.auth import AuthLimits
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.tls import generate_self_signed
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.smtp.config import SmtpConfig
from services.smtp.server import SmtpServer, start
from tests.fixtures.seed import seed_domain, seed_user
from tests.fixtures.servers import LoopThread

DOMAIN = "example.test"
PASSWORD = "s3cret-pw"


@dataclasses.dataclass
class World:
    env: dict[str, str]
    loop: LoopThread
    client: MetadataClient
    server: SmtpServer
    users: dict[str, directory_pb.User]
    cert: str

    @property
    def mx(self) -> int:
        return self.server.ports["mx"]

    @property
    def submission(self) -> int:
        return self.server.ports["submission"]

    @property
    def submissions(self) -> int:
        return self.server.ports["submissions"]

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro)

    def smtp(self, port: int | None = None, timeout: float = 10) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", port or self.mx, local_hostname="client.test", timeout=timeout)

    def tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cert)
        ctx.check_hostname = False
        return ctx

    def messages(self, address: str) -> list[bytes]:
        """Stored bytes of every message in the INBOX of `address`, read back via the API."""
        return self.run(_read_inbox(self, self.users[address].id))  # type: ignore[no-any-return]

    def count(self, address: str) -> int:
        return len(self.messages(address))


async def _read_inbox(world: World, user_id: str) -> list[bytes]:
    mbox = (
        await world.client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX"))
    ).mailbox
    resp = await world.client.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=mbox.id, uids=[types_pb.UidRange(lo=1, hi=0)])
    )
    common = config.load(CommonConfig, world.env)
    blobs = make_blobstore(common)
    return [await blobs.get(m.blob_id) for m in resp.messages]


async def _seed(client: MetadataClient) -> dict[str, directory_pb.User]:
    await seed_domain(client, DOMAIN)
    await seed_domain(client, "catchall.test", catch_all=f"bob@{DOMAIN}")
    users = {
        f"alice@{DOMAIN}": await seed_user(client, f"alice@{DOMAIN}", PASSWORD, aliases=[f"al@{DOMAIN}"]),
        f"bob@{DOMAIN}": await seed_user(client, f"bob@{DOMAIN}", PASSWORD),
        f"small@{DOMAIN}": await seed_user(client, f"small@{DOMAIN}", PASSWORD, quota_bytes=100),
    }
    return users


@pytest.fixture
def make_world(metadata: Any, tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Builds the world with extra environment overrides (call once per test)."""
    worlds: list[World] = []
    cert, key = generate_self_signed(tmp_path / "tls", "localhost")

    def build(**overrides: str) -> World:
        env = {
            **metadata.env,
            "KUBEMAIL_TLS_CERT": cert,
            "KUBEMAIL_TLS_KEY": key,
            "KUBEMAIL_HOSTNAME": "mx.example.test",
            "KUBEMAIL_TRUSTED_NETWORKS": "192.0.2.0/24",
            "KUBEMAIL_SMTP_HOST": "127.0.0.1",
            "KUBEMAIL_EPHEMERAL_PORTS": "true",
            "KUBEMAIL_SMTP_MAX_MESSAGE_BYTES": "200000",
            "KUBEMAIL_SMTP_TRUST": "false",  # tests/smtp/test_trust.py turns it on with its own DNS
            **overrides,
        }
        lt = LoopThread()

        async def up() -> tuple[MetadataClient, SmtpServer, dict[str, directory_pb.User]]:
            client = MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 10.0)
            users = await _seed(client)
            server = await start(
                config.load(SmtpConfig, env), config.load(CommonConfig, env), auth_limits=config.load(AuthLimits, env)
            )
            return client, server, users

        client, server, users = lt.run(up())
        w = World(env, lt, client, server, users, cert)
        worlds.append(w)
        return w

    yield build
    for w in worlds:
        w.run(w.server.stop(grace=2))
        w.run(w.client.close())
        w.loop.close()


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()


def message(subject: str = "hello", body: str = "Hello there.\r\n", msgid: str = "<m1@client.test>") -> bytes:
    return (
        f"From: Sender <sender@remote.test>\r\nTo: alice@{DOMAIN}\r\nSubject: {subject}\r\n"
        f"Message-ID: {msgid}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{body}"
    ).encode()
