"""#13 item 17: blob references taken before a commit that a crash interrupted (real Redis, blobs).

The metadata service takes a blob's references (its own hash slot) before the user's commit and
settles them after it. A process killed in between used to leave a count with no message, and
the client's retry of the same transaction a second count for one message: neither ever reached
zero, so the blob was never collected. The crash is simulated where it happens: the commit (or
the settle) of the first attempt is cancelled, so no code after it runs for that attempt, as
after a kill -9. The GC pass then resolves the attempt's open intent from the user's
idempotency record."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata import keys
from tests.metadata.conftest import World, message, redis_of, summary

DEADLINE = 3  # a cancelled handler sends no status: the client sees its deadline pass, as after a kill


def _crash_once(obj: Any, name: str, when: Callable[..., bool] = lambda *a, **k: True) -> list[int]:
    """The next call of obj.<name> matching `when` dies (CancelledError: no handler code after it
    runs, as after a kill); returns a list that gets an entry when it happened."""
    real = getattr(obj, name)
    hit: list[int] = []

    async def crashing(*args: Any, **kw: Any) -> Any:
        if not hit and when(*args, **kw):
            hit.append(1)
            raise asyncio.CancelledError
        return await real(*args, **kw)

    setattr(obj, name, crashing)
    return hit


async def _deliver(world: World, raw: bytes, key: str) -> messages_pb.DeliverResponse:
    blob_id = await world.put(raw)
    return await world.client.messages.Deliver(  # type: ignore[no-any-return]
        messages_pb.DeliverRequest(
            blob_id=blob_id,
            size=len(raw),
            summary=summary(raw),
            deliveries=[messages_pb.Delivery(user_id=world.user.id, flags=["\\Deleted"])],  # expunge-ready
            idempotency_key=key,
        ),
        timeout=DEADLINE,
    )


def _gc(handle: Any) -> int:
    """A pass that resolves every open intent and collects every count at zero (no grace)."""
    return int(handle.loop.run(handle.server.gc.run_once(0, intent_age=0)))


def _refs(handle: Any, blob_id: str) -> int:
    return int(redis_of(handle).hget(keys.blob(blob_id), "refs") or 0)


async def _expunge_all(world: World, mailbox_id: str) -> None:
    await world.client.messages.Expunge(messages_pb.ExpungeRequest(user_id=world.user.id, mailbox_id=mailbox_id))


async def test_killed_before_the_commit_then_retried_is_counted_once(world: World, metadata: Any) -> None:
    raw = message("retried after a kill")
    hit = _crash_once(metadata.server.store, "user_script", lambda name, *a: name == "deliver")
    with pytest.raises(grpc.aio.AioRpcError):
        await _deliver(world, raw, "smtp-transaction-1")
    assert hit
    blob_id = await world.put(raw)
    assert _refs(metadata, blob_id) == 1  # taken, never committed
    res = await _deliver(world, raw, "smtp-transaction-1")  # the client's retry commits
    assert _refs(metadata, blob_id) == 2  # the dead attempt's share is still open
    mailbox_id = res.delivered[0].mailbox_id
    await _expunge_all(world, mailbox_id)
    assert _refs(metadata, blob_id) == 1  # before intents: stuck here for ever
    assert _gc(metadata) == 1
    assert await world.blobs.stat(blob_id) is None
    assert not redis_of(metadata).zcard(keys.GC_INTENTS)


async def test_killed_before_the_commit_and_never_retried_is_released(world: World, metadata: Any) -> None:
    raw = message("never retried")
    _crash_once(metadata.server.store, "user_script", lambda name, *a: name == "deliver")
    with pytest.raises(grpc.aio.AioRpcError):
        await _deliver(world, raw, "smtp-transaction-2")
    blob_id = await world.put(raw)
    assert _refs(metadata, blob_id) == 1
    young = int(metadata.loop.run(metadata.server.gc.resolve_intents()))  # default age: too young to judge
    assert young == 0 and _refs(metadata, blob_id) == 1
    assert _gc(metadata) == 1
    assert await world.blobs.stat(blob_id) is None


async def test_killed_after_the_commit_keeps_the_reference(world: World, metadata: Any) -> None:
    raw = message("committed, then killed")
    hit = _crash_once(metadata.server.store, "blob_settle")
    with pytest.raises(grpc.aio.AioRpcError):
        await _deliver(world, raw, "")  # no client key: the commit records one of its own
    assert hit
    blob_id = await world.put(raw)
    mb = await world.mailbox()
    assert mb.messages == 1
    assert _gc(metadata) == 0  # the intent resolves as committed: the message keeps its blob
    assert _refs(metadata, blob_id) == 1
    assert await world.blobs.stat(blob_id) == len(raw)
    await _expunge_all(world, mb.id)
    assert _gc(metadata) == 1
    assert await world.blobs.stat(blob_id) is None


async def test_copy_killed_before_its_commit_is_released(world: World, metadata: Any) -> None:
    raw = message("copied")
    res = await _deliver(world, raw, "k-copy-source")
    blob_id = await world.put(raw)
    src = res.delivered[0]
    _crash_once(metadata.server.store, "user_script", lambda name, *a: name == "copy")
    with pytest.raises(grpc.aio.AioRpcError):
        await world.client.messages.CopyMessages(
            messages_pb.CopyMessagesRequest(
                user_id=world.user.id,
                mailbox_id=src.mailbox_id,
                destination="INBOX",
                uids=[types_pb.UidRange(lo=src.uid, hi=src.uid)],
            ),
            timeout=DEADLINE,
        )
    assert _refs(metadata, blob_id) == 2
    _gc(metadata)
    assert _refs(metadata, blob_id) == 1  # only the delivered message's
    assert await world.blobs.stat(blob_id) == len(raw)


async def test_queue_killed_before_its_commit_is_released_and_after_it_kept(world: World, metadata: Any) -> None:
    """Outbound.Queue takes the blob's reference the same way (the queue's idem hash is the record)."""
    raw = message("queued for the relay")
    blob_id = await world.put(raw)

    async def queue(key: str) -> Any:
        return await world.client.outbound.Queue(
            outbound_pb.QueueRequest(
                blob_id=blob_id, size=len(raw), mail_from="bob@example.test",
                recipients=["x@remote.test"], idempotency_key=key,
            ),
            timeout=DEADLINE,
        )  # fmt: skip

    store = metadata.server.store
    _crash_once(store, "script", lambda name, *a: name == "outbound_add")
    with pytest.raises(grpc.aio.AioRpcError):
        await queue("submission-1")
    assert _refs(metadata, blob_id) == 1
    _gc(metadata)
    assert _refs(metadata, blob_id) == 0  # nothing was queued: released (collected once the grace passes)
    await world.put(raw)  # uploaded again, as the client's retry does
    hit = _crash_once(store, "blob_settle")
    with pytest.raises(grpc.aio.AioRpcError):
        await queue("submission-1")  # the retry commits, then its settle dies
    assert hit and _refs(metadata, blob_id) == 1
    assert _gc(metadata) == 0  # the entry holds it: kept
    assert _refs(metadata, blob_id) == 1 and await world.blobs.stat(blob_id) == len(raw)
