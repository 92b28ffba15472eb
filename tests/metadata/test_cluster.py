"""The core tests against the 3-master Redis Cluster, and one hash slot per user."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.conftest import MetadataHandle
from tests.fixtures.seed import seed_user
from tests.metadata import test_acl_copy as tac
from tests.metadata import test_messages as tm
from tests.metadata import test_outbound as to
from tests.metadata.conftest import World, message, redis_of

pytestmark = pytest.mark.cluster


async def test_cluster_deliver_fetch(cworld: World) -> None:
    await tm.test_deliver_then_fetch_returns_exact_bytes(cworld)


async def test_cluster_counters(cworld: World) -> None:
    await tm.test_counters_through_deliver_store_copy_move_expunge(cworld)


async def test_cluster_shared_blob_and_gc(cworld: World, metadata_cluster: MetadataHandle) -> None:
    await tm.test_one_message_to_three_recipients_stores_one_blob(cworld, metadata_cluster)
    await tm.test_expunged_everywhere_blob_is_collected(cworld, metadata_cluster)


async def test_cluster_changes_and_watch(cworld: World) -> None:
    await tm.test_store_unchangedsince_and_changes(cworld)
    await tm.test_watch_hello_then_events(cworld)


async def test_cluster_outbound_queue_in_one_slot(cworld: World, metadata_cluster: MetadataHandle) -> None:
    await to.test_complete_releases_the_blob_and_gc_collects_it(cworld, metadata_cluster)
    await to.test_expired_lease_is_leased_again_and_the_old_holder_is_fenced(cworld, metadata_cluster)
    await to.queue(cworld, "left@remote.example", idempotency_key="stay")
    r = redis_of(metadata_cluster)
    names = [k.decode() for k in r.scan_iter(match="*outbound*", count=1000, target_nodes=r.ALL_NODES)]
    assert {"{outbound}:due", "{outbound}:all", "{outbound}:idem:stay"} <= set(names), names
    assert {key_slot(k.encode()) for k in names} == {key_slot(b"{outbound}")}


async def test_cluster_copy_between_users(cworld: World) -> None:
    """COPY / MOVE across users: two scripts, one slot each (decision 0017)."""
    await tac.test_copy_into_a_shared_mailbox_counts_once(cworld)


async def test_cluster_move_between_users(cworld: World) -> None:
    await tac.test_move_both_ways_and_the_rights_it_needs(cworld)


async def test_every_key_of_a_user_is_in_one_slot(cworld: World, metadata_cluster: MetadataHandle) -> None:
    c = cworld.client
    other = await seed_user(c, "eve@example.test")
    for u in (cworld.user.id, other.id):
        await cworld.deliver(message(f"slot-{u}"), user_ids=[u], idempotency_key="i-" + u)
        await c.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=u, name="Work/Sub"))
        inbox = await cworld.mailbox(user_id=u)
        await c.messages.StoreFlags(
            messages_pb.StoreFlagsRequest(
                user_id=u, mailbox_id=inbox.id, uids=[types_pb.UidRange(lo=1, hi=0)],
                mode=messages_pb.StoreFlagsRequest.MODE_ADD,
                flags=["\\Deleted"],
            )
        )  # fmt: skip
        await c.messages.CopyMessages(
            messages_pb.CopyMessagesRequest(
                user_id=u, mailbox_id=inbox.id, uids=[types_pb.UidRange(lo=1, hi=0)], destination="Work"
            )
        )
        await c.messages.Expunge(messages_pb.ExpungeRequest(user_id=u, mailbox_id=inbox.id))
        await c.maildrop.Acquire(maildrop_pb.AcquireRequest(user_id=u, holder="h", ttl_seconds=60))
    r = redis_of(metadata_cluster)
    keys = [k.decode() for k in r.scan_iter(match="*", count=1000, target_nodes=r.ALL_NODES)]
    for u in (cworld.user.id, other.id):
        mine = [k for k in keys if u in k]
        assert len(mine) > 15, mine
        assert all(k.startswith("{u:" + u + "}:") or k == "user:" + u for k in mine), mine
        slots = {key_slot(k.encode()) for k in mine if k.startswith("{u:")}
        assert len(slots) == 1
    # the two users (very likely) live on different slots; both work regardless
    assert {k.split("}")[0] for k in keys if k.startswith("{u:")} == {"{u:" + cworld.user.id, "{u:" + other.id}
