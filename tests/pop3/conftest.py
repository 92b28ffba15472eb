"""A running POP3 front-end (in-process, real sockets) over the real metadata service."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.servers import LoopThread

ADDRESS = "alice@example.test"
PASSWORD = "s3cret pass"


@dataclasses.dataclass
class Pop3Handle:
    port: int
    tls_port: int
    loop: LoopThread
    server: Any
    client: Any  # MetadataClient living in `loop`
    blobs: Any
    user_id: str
    cafile: str
    env: dict[str, str]

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        return self.loop.run(coro, timeout)

    def deliver(self, messages: list[bytes], user_id: str | None = None) -> list[int]:
        return list(self.run(_deliver(self.client, self.blobs, user_id or self.user_id, messages), 120))

    def inbox(self, user_id: str | None = None) -> tuple[int, list[int]]:
        """(uidvalidity, uids) of INBOX as the metadata service (and IMAP) sees it."""
        return self.run(_inbox(self.client, user_id or self.user_id))  # type: ignore[no-any-return]

    def add_user(self, address: str, password: str = PASSWORD) -> str:
        from tests.fixtures.seed import seed_user

        return str(self.run(seed_user(self.client, address, password)).id)


async def _deliver(client: Any, blobs: Any, user_id: str, messages: list[bytes]) -> list[int]:
    from services.common.mime import build_summary
    from services.gen.kubemail.v1 import messages_pb2 as messages_pb

    uids = []
    for raw in messages:
        blob_id = await blobs.put(raw)
        summary = build_summary(raw)
        resp = await client.messages.Deliver(
            messages_pb.DeliverRequest(
                blob_id=blob_id,
                size=len(raw),
                summary=summary,
                deliveries=[messages_pb.Delivery(user_id=user_id)],
                idempotency_key=uuid.uuid4().hex,
            )
        )
        uids.append(resp.delivered[0].uid)
    return uids


async def _inbox(client: Any, user_id: str) -> tuple[int, list[int]]:
    from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
    from services.gen.kubemail.v1 import messages_pb2 as messages_pb

    # wait_for_ready: after a test restarted the metadata service this harness channel may still be
    # in its reconnect backoff (the pristine-root run saw UNAVAILABLE here, the POP3 server's own
    # channel having reconnected already)
    get = mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX")
    box = (await client.mailboxes.GetMailbox(get, wait_for_ready=True)).mailbox
    listing = messages_pb.ListUidsRequest(user_id=user_id, mailbox_id=box.id)
    resp = await client.messages.ListUids(listing, wait_for_ready=True)
    return resp.uidvalidity, list(resp.uids)


def start_pop3(metadata: Any, tmp_path: Path, **overrides: Any) -> Pop3Handle:
    from services.common import config
    from services.common.auth import AuthLimits
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig
    from services.common.grpcclient import MetadataClient
    from services.common.tls import generate_self_signed
    from services.pop3.config import Pop3Config
    from services.pop3.server import start
    from tests.fixtures.seed import seed_user

    wrap_blobs = overrides.pop("wrap_blobs", None)  # e.g. a fault-injecting wrapper of the real store
    cert, key = generate_self_signed(tmp_path / "tls", "localhost")
    env = {**metadata.env, "KUBEMAIL_TLS_CERT": cert, "KUBEMAIL_TLS_KEY": key, "KUBEMAIL_HOSTNAME": "pop.test"}
    env.update({k: str(v) for k, v in overrides.pop("env", {}).items()})
    common = config.load(CommonConfig, env)
    cfg = dataclasses.replace(config.load(Pop3Config, env), **{"host": "127.0.0.1", "lock_ttl": 6, **overrides})
    lt = LoopThread()

    async def setup() -> tuple[Any, Any, Any, str]:
        client = MetadataClient(common.metadata_addr, 10.0)
        blobs = make_blobstore(common)
        user = await seed_user(client, ADDRESS, PASSWORD)
        served = None if wrap_blobs is None else wrap_blobs(make_blobstore(common, cache=True))
        srv = await start(
            cfg,
            dataclasses.replace(common, ephemeral_ports=True),
            blobs=served,
            auth_limits=config.load(AuthLimits, env),
        )
        return srv, client, blobs, user.id

    srv, client, blobs, user_id = lt.run(setup())
    return Pop3Handle(srv.port, srv.tls_port, lt, srv, client, blobs, user_id, cert, env)


def stop_pop3(h: Pop3Handle) -> None:
    async def teardown() -> None:
        await h.server.stop(2.0)
        await h.client.close()

    h.loop.run(teardown())
    h.loop.close()


@pytest.fixture
def pop3_factory(metadata: Any, tmp_path: Path) -> Iterator[Callable[..., Pop3Handle]]:
    handles: list[Pop3Handle] = []

    def make(**overrides: Any) -> Pop3Handle:
        h = start_pop3(metadata, tmp_path / f"p{len(handles)}", **overrides)
        handles.append(h)
        return h

    yield make
    for h in handles:
        stop_pop3(h)


@pytest.fixture
def pop3(pop3_factory: Callable[..., Pop3Handle]) -> Pop3Handle:
    return pop3_factory()
