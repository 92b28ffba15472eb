"""Fault test: one master of a 3-master Redis Cluster stops, then comes back.

RPCs of users whose hash slot lived on the stopped master answer UNAVAILABLE (never INTERNAL,
never a hang past the deadline); after the restart they work again and nothing committed is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import redis
from redis.crc import key_slot

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata.keys import user_prefix
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import RedisCluster, S3Server
from tests.metadata.conftest import World, cluster_world, message

pytestmark = pytest.mark.cluster

DEADLINE = 6.0  # the client's per-call deadline in this test


@pytest.fixture
def own_cluster(tmp_path: Path) -> Any:
    cl = RedisCluster(tmp_path / "cluster").start()
    try:
        yield cl
    finally:
        cl.stop()


@pytest.fixture
async def fworld(own_cluster: RedisCluster, s3_server: S3Server) -> AsyncIterator[World]:
    async with cluster_world(own_cluster, s3_server, DEADLINE) as w:
        yield w


def owner(cluster: RedisCluster, user_id: str) -> int:
    """Index in cluster.nodes of the master serving the user's slot."""
    slot = key_slot((user_prefix(user_id) + "mbx").encode())
    for lo, hi, master, *_ in redis.Redis(port=cluster.nodes[0].port).execute_command("CLUSTER SLOTS"):
        if lo <= slot <= hi:
            port = int(master[1])
            return next(i for i, n in enumerate(cluster.nodes) if n.port == port)
    raise AssertionError(f"slot {slot} not served")


def per_user_calls(w: World, user_id: str, mbid: str) -> list[tuple[str, Callable[[], Awaitable[Any]]]]:
    m, b = w.client.messages, w.client.mailboxes
    every = [types_pb.UidRange(lo=1, hi=0)]
    return [
        ("GetMailbox", lambda: b.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, mailbox_id=mbid))),
        ("FetchMessages", lambda: m.FetchMessages(messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=mbid))),
        ("ListUids", lambda: m.ListUids(messages_pb.ListUidsRequest(user_id=user_id, mailbox_id=mbid))),
        (
            "StoreFlags",
            lambda: m.StoreFlags(
                messages_pb.StoreFlagsRequest(
                    user_id=user_id,
                    mailbox_id=mbid,
                    uids=every,
                    mode=messages_pb.StoreFlagsRequest.MODE_ADD,
                    flags=["$X"],
                )
            ),
        ),
        ("ClaimRecent", lambda: m.ClaimRecent(messages_pb.ClaimRecentRequest(user_id=user_id, mailbox_id=mbid))),
        ("GetQuota", lambda: b.GetQuota(mailboxes_pb.GetQuotaRequest(user_id=user_id))),
    ]


async def test_lost_master_gives_unavailable_then_recovers(fworld: World, own_cluster: RedisCluster) -> None:
    w = fworld
    # users until one lives on a master other than the seed node (the client's entry point)
    users = [w.user]
    while (
        len({owner(own_cluster, u.id) for u in users} - {0}) < 1 or len({owner(own_cluster, u.id) for u in users}) < 2
    ):
        assert len(users) < 40
        users.append(await seed_user(w.client, f"u{len(users)}@example.test"))
    victim_node = next(owner(own_cluster, u.id) for u in users if owner(own_cluster, u.id) != 0)
    lost = next(u for u in users if owner(own_cluster, u.id) == victim_node)
    kept = next(u for u in users if owner(own_cluster, u.id) != victim_node)
    for u in (lost, kept):
        await w.deliver(message(f"before-{u.id}"), user_ids=[u.id], idempotency_key="k-" + u.id)
    lost_mb = await w.mailbox(user_id=lost.id)
    kept_mb = await w.mailbox(user_id=kept.id)
    assert lost_mb.messages == 1 and kept_mb.messages == 1

    own_cluster.nodes[victim_node].stop(kill=True)
    try:
        for name, call in per_user_calls(w, lost.id, lost_mb.id):
            start = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as exc:
                await call()
            took = time.monotonic() - start
            assert exc.value.code() == grpc.StatusCode.UNAVAILABLE, (name, exc.value.code(), exc.value.details())
            assert took < DEADLINE + 1.0, (name, took)
        # a Deliver to the lost user is refused, never acknowledged
        start = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await w.deliver(message("during"), user_ids=[lost.id], idempotency_key="during-" + lost.id)
        assert exc.value.code() == grpc.StatusCode.UNAVAILABLE, exc.value.details()
        assert time.monotonic() - start < DEADLINE + 1.0
        # a user on a live master is still served (before the cluster's node timeout)
        assert (await w.mailbox(user_id=kept.id)).messages == 1
    finally:
        own_cluster.nodes[victim_node].start()

    async def works() -> mailboxes_pb.Mailbox:
        deadline = time.monotonic() + 30
        while True:
            try:
                return await w.mailbox(user_id=lost.id)
            except grpc.aio.AioRpcError as e:
                assert e.code() == grpc.StatusCode.UNAVAILABLE, (e.code(), e.details())
                assert time.monotonic() < deadline, "no recovery within 30s"
                await asyncio.sleep(0.2)

    mb = await works()
    assert mb.messages == 1  # AOF: nothing committed before the stop is lost
    res = await w.deliver(message("after"), user_ids=[lost.id], idempotency_key="after-" + lost.id)
    assert res.delivered[0].uid == 2
    fetched = await w.client.messages.FetchMessages(messages_pb.FetchMessagesRequest(user_id=lost.id, mailbox_id=mb.id))
    assert [m.uid for m in fetched.messages] == [1, 2]
    assert (await w.mailbox(user_id=kept.id)).messages == 1
