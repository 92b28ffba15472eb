"""Helpers for the metadata service tests: a client, a seeded user, stored blobs."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from services.common import config
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.fixtures.seed import seed_domain, seed_user
from tests.fixtures.servers import RedisCluster, S3Server


def summary(raw: bytes) -> mime_pb.MessageSummary:
    """The real summary (services.common.mime) when available, else a minimal hand-built one."""
    try:
        from services.common.mime import build_summary
    except ImportError:
        return hand_summary(raw)
    return build_summary(raw)


def hand_summary(raw: bytes) -> mime_pb.MessageSummary:
    """A minimal hand-built summary: header bytes and decoded header fields."""
    head, _, _ = raw.partition(b"\r\n\r\n")
    s = mime_pb.MessageSummary(size=len(raw), header_size=len(head) + 4, raw_header=head + b"\r\n\r\n")
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            s.headers.append(mime_pb.HeaderField(name=name.strip().lower(), value=value.strip()))
    return s


def message(subject: str = "hello", body: str = "body text", extra: str = "") -> bytes:
    return (
        f"From: a@example.org\r\nTo: bob@example.test\r\nSubject: {subject}\r\n{extra}"
        f"Message-ID: <{subject}@x>\r\n\r\n{body}\r\n"
    ).encode()


def redis_of(handle: MetadataHandle) -> Any:
    """A sync client (plain or cluster) on the handle's Redis, for white-box checks."""
    import redis

    if handle.env.get("KUBEMAIL_REDIS_CLUSTER") == "true":
        return redis.RedisCluster.from_url(handle.redis_url)
    return redis.Redis.from_url(handle.redis_url)


@dataclass
class World:
    client: MetadataClient
    blobs: BlobStore
    user: directory_pb.User
    handle: MetadataHandle

    async def put(self, raw: bytes) -> str:
        return await self.blobs.put(raw)

    async def deliver(
        self,
        raw: bytes,
        user_ids: list[str] | None = None,
        mailbox: str = "",
        flags: tuple[str, ...] = (),
        **kw: object,
    ) -> messages_pb.DeliverResponse:
        blob_id = await self.put(raw)
        ids = user_ids or [self.user.id]
        return await self.client.messages.Deliver(  # type: ignore[no-any-return]
            messages_pb.DeliverRequest(
                blob_id=blob_id,
                size=len(raw),
                summary=summary(raw),
                deliveries=[messages_pb.Delivery(user_id=u, mailbox=mailbox, flags=list(flags)) for u in ids],
                **kw,  # type: ignore[arg-type]
            )
        )

    async def mailbox(self, name: str = "INBOX", user_id: str | None = None) -> mailboxes_pb.Mailbox:
        return (
            await self.client.mailboxes.GetMailbox(  # type: ignore[no-any-return]
                mailboxes_pb.GetMailboxRequest(user_id=user_id or self.user.id, name=name)
            )
        ).mailbox

    async def quota(self, user_id: str | None = None) -> mailboxes_pb.GetQuotaResponse:
        return await self.client.mailboxes.GetQuota(  # type: ignore[no-any-return]
            mailboxes_pb.GetQuotaRequest(user_id=user_id or self.user.id)
        )


async def make_world(handle: MetadataHandle) -> AsyncIterator[World]:
    client = MetadataClient(handle.addr, timeout=20)
    blobs = make_blobstore(config.load(CommonConfig, handle.env))
    await seed_domain(client, "example.test")
    user = await seed_user(client, "bob@example.test", "secret")
    try:
        yield World(client, blobs, user, handle)
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def world_with(backend_env: dict[str, str], **settings: str) -> AsyncIterator[World]:
    """A world whose own metadata service runs with `settings` on top of `backend_env`."""
    h = _start_metadata({**backend_env, **settings})
    try:
        async for w in make_world(h):
            yield w
    finally:
        _stop_metadata(h)


@contextlib.asynccontextmanager
async def cluster_world(cluster: RedisCluster, s3: S3Server, deadline: float) -> AsyncIterator[World]:
    """A world whose metadata service runs on `cluster`, with a client of per-call `deadline`."""
    env = {
        **s3.env(f"c{uuid.uuid4().hex[:16]}"),
        "KUBEMAIL_REDIS_URL": cluster.url,
        "KUBEMAIL_REDIS_CLUSTER": "true",
        "KUBEMAIL_REDIS_TIMEOUT": "2",
        "KUBEMAIL_METRICS_PORT": "0",
    }
    h = _start_metadata(env)
    try:
        async for w in make_world(h):
            w.client = MetadataClient(h.addr, timeout=deadline)
            try:
                yield w
            finally:
                await w.client.close()
    finally:
        _stop_metadata(h)


@pytest.fixture
async def world(metadata: MetadataHandle) -> AsyncIterator[World]:
    async for w in make_world(metadata):
        yield w


@pytest.fixture
async def cworld(metadata_cluster: MetadataHandle) -> AsyncIterator[World]:
    async for w in make_world(metadata_cluster):
        yield w
