"""OutboundService: Queue (idempotent per recipient), Lease with expiry and fencing tokens,
Complete / Defer / Bounce, blob references held until an entry is finished, Stats."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from prometheus_client import REGISTRY

from services.common.grpcclient import MetadataError
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import outbound_pb2 as ob
from services.metadata import keys
from tests.conftest import MetadataHandle
from tests.metadata.conftest import World, message, redis_of

RS = ob.RecipientState
OC = ob.RecipientOutcome


def refs(handle: MetadataHandle, blob_id: str) -> int:
    return int(redis_of(handle).hget(keys.blob(blob_id), "refs") or 0)


async def queue(world: World, *rcpts: str, subject: str = "out", **kw: object) -> tuple[str, str]:
    raw = message(subject)
    blob_id = await world.put(raw)
    res = await world.client.outbound.Queue(
        ob.QueueRequest(
            blob_id=blob_id, mail_from="bob@example.test", recipients=list(rcpts), size=len(raw),
            submitted_by=world.user.id, **kw,  # type: ignore[arg-type]
        )
    )  # fmt: skip
    return res.queue_id, blob_id


async def lease(world: World, holder: str = "relay-a", n: int = 10, seconds: int = 60) -> list[ob.OutboundEntry]:
    res = await world.client.outbound.Lease(ob.LeaseRequest(holder=holder, max_entries=n, lease_seconds=seconds))
    return list(res.entries)


def delivered(*addrs: str) -> list[ob.RecipientOutcome]:
    return [OC(address=a, outcome=OC.OUTCOME_DELIVERED, remote_reply="250 2.0.0 ok") for a in addrs]


async def test_queue_outbound(world: World, metadata: MetadataHandle) -> None:
    qid, blob_id = await queue(world, "x@remote.example")
    (e,) = await lease(world)
    assert e.queue_id == qid and e.blob_id == blob_id and [r.address for r in e.recipients] == ["x@remote.example"]
    assert e.mail_from == "bob@example.test" and e.submitted_by == world.user.id and e.size == len(message("out"))
    assert e.attempt == 1 and e.lease_token and abs(e.queued_at - time.time()) < 5
    assert e.recipients[0].state == RS.RECIPIENT_STATE_PENDING and e.recipients[0].attempts == 0
    assert refs(metadata, blob_id) == 1  # the queue holds a reference


async def test_queue_outbound_retry_with_key_queues_each_recipient_once(world: World, metadata: MetadataHandle) -> None:
    raw = message("out-retry")
    blob_id = await world.put(raw)

    def req(*rcpts: str, key: str = "k1") -> ob.QueueRequest:
        return ob.QueueRequest(
            blob_id=blob_id, mail_from="bob@example.test", recipients=list(rcpts), size=len(raw),
            submitted_by=world.user.id, idempotency_key=key,
        )  # fmt: skip

    first = await world.client.outbound.Queue(req("x@remote.example", "y@remote.example"))
    again = await world.client.outbound.Queue(req("y@remote.example", "x@remote.example"))
    assert again.queue_id == first.queue_id  # a lost reply retried: nothing queued twice
    wider = await world.client.outbound.Queue(req("x@remote.example", "z@remote.example"))
    assert wider.queue_id != first.queue_id
    other = await world.client.outbound.Queue(req("x@remote.example", key="k2"))
    entries = await lease(world)
    assert [[r.address for r in e.recipients] for e in entries] == [
        ["x@remote.example", "y@remote.example"],
        ["z@remote.example"],
        ["x@remote.example"],
    ]
    assert entries[-1].queue_id == other.queue_id
    # one reference per queued entry; the no-op retry released the one it took
    assert refs(metadata, blob_id) == 3
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await world.client.outbound.Queue(req("x@remote.example", key="k" * 300))
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_complete_releases_the_blob_and_gc_collects_it(world: World, metadata: MetadataHandle) -> None:
    o = world.client.outbound
    qid, blob_id = await queue(world, "x@remote.example", "y@remote.example", idempotency_key="k")
    (e,) = await lease(world)
    part = await o.Complete(
        ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=delivered("x@remote.example"))
    )
    assert not part.finished and refs(metadata, blob_id) == 1
    assert metadata.loop.run(metadata.server.run_gc(0)) == 0  # type: ignore[attr-defined]
    failed = OC(address="y@remote.example", outcome=OC.OUTCOME_FAILED, remote_reply="550 5.1.1 no such user")
    done = await o.Complete(ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=[failed]))
    assert done.finished and refs(metadata, blob_id) == 0
    # a retried Complete (lost reply) answers again and releases nothing twice
    again = await o.Complete(ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=[failed]))
    assert again.finished and refs(metadata, blob_id) == 0
    st = await o.Stats(ob.StatsRequest())
    assert (st.depth, st.due, st.oldest_queued_at) == (0, 0, 0)
    assert await lease(world) == []
    assert metadata.loop.run(metadata.server.run_gc(0)) == 1  # type: ignore[attr-defined]
    assert await world.blobs.stat(blob_id) is None
    # Queue idempotency survives the finished entry: the retry queues nothing, takes no reference
    res = await o.Queue(
        ob.QueueRequest(blob_id=await world.put(message("out")), recipients=["y@remote.example"], idempotency_key="k")
    )
    assert res.queue_id == qid and refs(metadata, blob_id) == 0 and await lease(world) == []


async def test_expired_lease_is_leased_again_and_the_old_holder_is_fenced(
    world: World, metadata: MetadataHandle
) -> None:
    o = world.client.outbound
    qid, blob_id = await queue(world, "x@remote.example")
    (a,) = await lease(world, "relay-a", seconds=1)
    assert await lease(world, "relay-b") == []  # held
    await asyncio.sleep(1.2)  # relay-a was killed
    (b,) = await lease(world, "relay-b")
    assert b.queue_id == qid and b.attempt == 2 and b.lease_token != a.lease_token
    for call in (
        o.Complete(ob.CompleteRequest(queue_id=qid, lease_token=a.lease_token, outcomes=delivered("x@remote.example"))),
        o.Defer(ob.DeferRequest(queue_id=qid, lease_token=a.lease_token, next_attempt_at=1)),
        o.Bounce(ob.BounceRequest(queue_id=qid, lease_token=a.lease_token)),
    ):
        with pytest.raises(MetadataError) as exc:
            await call
        assert exc.value.reason == er.ERROR_REASON_LEASE_EXPIRED
        assert exc.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert refs(metadata, blob_id) == 1
    res = await o.Complete(
        ob.CompleteRequest(queue_id=qid, lease_token=b.lease_token, outcomes=delivered("x@remote.example"))
    )
    assert res.finished and refs(metadata, blob_id) == 0


async def test_defer_hides_the_entry_until_due(world: World, metadata: MetadataHandle) -> None:
    o = world.client.outbound
    qid, _ = await queue(world, "x@remote.example", "y@remote.example")
    (e,) = await lease(world)
    await o.Complete(
        ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=delivered("y@remote.example"))
    )
    due = int(time.time()) + 2
    req = ob.DeferRequest(
        queue_id=qid, lease_token=e.lease_token, recipients=["x@remote.example"], next_attempt_at=due,
        last_error="451 4.7.0 greylisted",
    )  # fmt: skip
    await o.Defer(req)
    await o.Defer(req)  # a retry with the same token is a no-op
    assert await lease(world) == []
    st = await o.Stats(ob.StatsRequest())
    assert (st.depth, st.due) == (1, 0) and st.oldest_queued_at == e.queued_at
    # the deferring holder no longer holds the entry
    with pytest.raises(MetadataError) as exc:
        await o.Complete(
            ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=delivered("x@remote.example"))
        )
    assert exc.value.reason == er.ERROR_REASON_LEASE_EXPIRED
    while time.time() < due + 0.05:
        await asyncio.sleep(0.1)
    (again,) = await lease(world)
    assert again.queue_id == qid and again.attempt == 2 and again.last_error == "451 4.7.0 greylisted"
    (x,) = again.recipients  # only what is still pending
    assert (x.address, x.state, x.attempts, x.last_reply) == (
        "x@remote.example", RS.RECIPIENT_STATE_DEFERRED, 1, "451 4.7.0 greylisted",
    )  # fmt: skip


async def test_bounce_returns_what_the_dsn_needs_and_finishes(world: World, metadata: MetadataHandle) -> None:
    o = world.client.outbound
    dsn = [
        ob.QueueRecipient(
            address="y@remote.example",
            dsn=ob.RecipientDsn(notify=["failure", "DELAY"], orcpt="rfc822;Y@remote.example"),
        ),
        ob.QueueRecipient(address="z@remote.example", dsn=ob.RecipientDsn(notify=["NEVER"])),
    ]
    qid, blob_id = await queue(
        world, "x@remote.example", dsn_recipients=dsn,
        dsn=ob.EnvelopeDsn(ret=ob.EnvelopeDsn.RET_HDRS, envid="env-1"),
    )  # fmt: skip
    (e,) = await lease(world)
    by = {r.address: r for r in e.recipients}
    assert list(by["y@remote.example"].dsn.notify) == ["FAILURE", "DELAY"]
    assert by["y@remote.example"].dsn.orcpt == "rfc822;Y@remote.example" and list(
        by["z@remote.example"].dsn.notify
    ) == ["NEVER"]
    assert e.dsn.ret == ob.EnvelopeDsn.RET_HDRS and e.dsn.envid == "env-1"
    await o.Complete(
        ob.CompleteRequest(queue_id=qid, lease_token=e.lease_token, outcomes=delivered("x@remote.example"))
    )
    one = await o.Bounce(
        ob.BounceRequest(queue_id=qid, lease_token=e.lease_token, recipients=["y@remote.example"], reason="no MX")
    )
    assert not one.finished and refs(metadata, blob_id) == 1
    assert one.entry.mail_from == "bob@example.test" and one.entry.blob_id == blob_id and one.entry.dsn.envid == "env-1"
    (y,) = one.entry.recipients
    assert (y.address, y.state, y.last_reply, y.dsn.orcpt) == (
        "y@remote.example", RS.RECIPIENT_STATE_FAILED, "no MX", "rfc822;Y@remote.example",
    )  # fmt: skip
    rest = await o.Bounce(ob.BounceRequest(queue_id=qid, lease_token=e.lease_token, reason="expired"))
    assert rest.finished and [r.address for r in rest.entry.recipients] == ["z@remote.example"]
    assert refs(metadata, blob_id) == 0 and await lease(world) == []


async def test_lease_is_bounded_and_oldest_due_first(world: World) -> None:
    ids = [(await queue(world, f"r{i}@remote.example", subject=f"s{i}"))[0] for i in range(5)]
    first = await lease(world, n=2)
    rest = await lease(world, n=10)
    assert [e.queue_id for e in first + rest] == ids
    st = await world.client.outbound.Stats(ob.StatsRequest())
    assert st.depth == 5 and st.due == 0 and st.oldest_age_seconds < 5 and st.oldest_queued_at > 0
    # the gauges follow (the metadata service runs in this process)
    assert REGISTRY.get_sample_value("kubemail_metadata_outbound_queue_messages") == 5
    assert REGISTRY.get_sample_value("kubemail_metadata_outbound_oldest_age_seconds") == st.oldest_age_seconds
