"""Failover test: a master of a Redis Cluster with one replica per master dies while the
metadata service is delivering; the replica is promoted and the service serves again without
a restart (Deliver succeeds, reads work, UIDs keep ascending).

Replication is asynchronous, so a write the old master acknowledged just before it died can be
missing on the promoted replica. The test counts such losses (reported as the user property
`acknowledged_lost`, and printed) instead of assuming there are none; docs/operations.md states
what was measured and the mitigation.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from redis.crc import key_slot

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.metadata.keys import user_prefix
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import RedisCluster, S3Server
from tests.metadata.conftest import World, cluster_world, message, summary

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DEADLINE = 6.0  # the client's per-call deadline
NODE_TIMEOUT_MS = 1000  # cluster-node-timeout: a dead master is failed over after about 2 s


@pytest.fixture
def ha_cluster(tmp_path: Path) -> Any:
    cl = RedisCluster(tmp_path / "cluster", replicas=1, node_timeout_ms=NODE_TIMEOUT_MS).start()
    try:
        yield cl
    finally:
        cl.stop()


@pytest.fixture
async def hworld(ha_cluster: RedisCluster, s3_server: S3Server) -> AsyncIterator[World]:
    async with cluster_world(ha_cluster, s3_server, DEADLINE) as w:
        yield w


def slot_of(user_id: str) -> int:
    return key_slot((user_prefix(user_id) + "mbx").encode())


@dataclass
class Acked:
    seq: int
    blob_id: str
    uid: int
    at: float  # monotonic time of the acknowledgement


@dataclass
class Deliveries:
    """One sequential delivery loop, retrying each message with its idempotency key (as SMTP
    does after a 4xx) until it is acknowledged."""

    w: World
    user_id: str
    acked: list[Acked] = field(default_factory=list)
    refused: int = 0
    stop: bool = False

    async def run(self) -> None:
        seq = 0
        while not self.stop:
            raw = message(f"fo-{seq}", body=f"failover body {seq} {uuid.uuid4().hex}")
            blob_id = await self.w.put(raw)
            req = messages_pb.DeliverRequest(
                blob_id=blob_id,
                size=len(raw),
                summary=summary(raw),
                deliveries=[messages_pb.Delivery(user_id=self.user_id)],
                idempotency_key=f"fo-{seq}",
            )
            while True:
                try:
                    res = await self.w.client.messages.Deliver(req)
                    break
                except grpc.aio.AioRpcError as e:
                    assert e.code() == grpc.StatusCode.UNAVAILABLE, (e.code(), e.details())
                    self.refused += 1
                    await asyncio.sleep(0.1)
            self.acked.append(Acked(seq, blob_id, res.delivered[0].uid, time.monotonic()))
            seq += 1

    async def until(self, n: int, after: float = 0.0, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(a.at > after for a in self.acked) < n:
            assert time.monotonic() < deadline, f"fewer than {n} deliveries acknowledged within {timeout}s"
            await asyncio.sleep(0.05)


async def test_master_failover_to_replica_without_restart(
    hworld: World, ha_cluster: RedisCluster, record_property: Any
) -> None:
    w = hworld
    seed = ha_cluster.nodes[0]  # the client's entry point stays up
    users = [w.user]
    while ha_cluster.master_of(slot_of(users[-1].id)) is seed:
        assert len(users) < 40
        users.append(await seed_user(w.client, f"u{len(users)}@example.test"))
    user = users[-1]
    victim = ha_cluster.master_of(slot_of(user.id))

    loop = Deliveries(w, user.id)
    task = asyncio.create_task(loop.run())
    try:
        await loop.until(20)
        victim.stop(kill=True)  # SIGKILL while a Deliver is in flight or about to be
        killed = time.monotonic()

        deadline = killed + 20
        while True:
            try:
                promoted = ha_cluster.master_of(slot_of(user.id), via=seed)
                if promoted is not victim:
                    break
            except LookupError:
                pass
            assert time.monotonic() < deadline, "the replica was not promoted within 20 s"
            await asyncio.sleep(0.1)
        promoted_at = time.monotonic()

        await loop.until(20, after=promoted_at)  # Deliver succeeds again, same service, no restart
    finally:
        loop.stop = True
        await asyncio.wait_for(task, DEADLINE * 3)

    # reads work
    mb = await w.mailbox(user_id=user.id)
    fetched = await w.client.messages.FetchMessages(messages_pb.FetchMessagesRequest(user_id=user.id, mailbox_id=mb.id))
    stored = {m.blob_id: m.uid for m in fetched.messages}
    assert mb.messages == len(stored)
    uids = [m.uid for m in fetched.messages]
    assert uids == sorted(set(uids))

    lost = [a for a in loop.acked if stored.get(a.blob_id) != a.uid]
    after = [a for a in loop.acked if a.at > promoted_at]
    # nothing acknowledged by the promoted master is lost, and its UIDs keep ascending
    assert all(stored.get(a.blob_id) == a.uid for a in after)
    assert [a.uid for a in after] == sorted({a.uid for a in after})
    assert after[0].uid > max(stored[a.blob_id] for a in loop.acked if a.at < killed and a not in lost)
    if not lost:
        assert [a.uid for a in loop.acked] == uids  # every acknowledged UID, each once, in order
    # a loss can only be a write acknowledged by the old master before it died
    assert all(a.at < promoted_at for a in lost)

    record_property("acknowledged_lost", len(lost))
    record_property("acknowledged_total", len(loop.acked))
    record_property("failover_seconds", round(promoted_at - killed, 2))
    print(
        f"failover: promoted after {promoted_at - killed:.1f} s, {loop.refused} refused attempts, "
        f"{len(loop.acked)} acknowledged, {len(lost)} acknowledged deliveries lost"
    )
