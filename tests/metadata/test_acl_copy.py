"""COPY / MOVE between two users through a shared mailbox (RFC 4314; decision 0017), on the real
metadata service (real Redis, S3): the service checks r (MOVE: r t e) on the source and i on the
destination for the kubemail-actor, copies flags only as far as the destination rights allow,
and keeps blob reference counts exact (decision 0015: the destination user's commit is the one
that counts, a retry references nothing new, a crash before the commit is released by the GC)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from services.common.actor import ACTOR
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mb_pb
from services.gen.kubemail.v1 import messages_pb2 as msg_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata import keys
from tests.fixtures.seed import seed_user
from tests.metadata.conftest import World, message, redis_of, summary
from tests.metadata.test_gc_intents import DEADLINE, _crash_once, _gc

ALL = [types_pb.UidRange(lo=1, hi=0)]


def _refs(world: World, blob_id: str) -> int:
    return int(redis_of(world.handle).hget(keys.blob(blob_id), "refs") or 0)


async def _as(actor: str, call: Callable[[], Awaitable[Any]]) -> Any:
    token = ACTOR.set(actor)
    try:
        return await call()
    finally:
        ACTOR.reset(token)


async def _reason(actor: str, call: Callable[[], Awaitable[Any]]) -> int:
    try:
        await _as(actor, call)
        return 0
    except grpc.aio.AioRpcError as exc:
        return reason_of(exc)


async def _alice_shares(world: World, rights: str) -> str:
    alice = await seed_user(world.client, "alice@example.test", "pw")
    await world.client.mailboxes.CreateMailbox(mb_pb.CreateMailboxRequest(user_id=alice.id, name="Team"))
    await world.client.mailboxes.SetAcl(
        mb_pb.SetAclRequest(user_id=alice.id, mailbox="Team", identifier=world.user.address, rights=rights)
    )
    return str(alice.id)


def _copy(world: World, src_user: str, mbid: str, dest_user: str, key: str = "", move: bool = False) -> Any:
    kind = msg_pb.MoveMessagesRequest if move else msg_pb.CopyMessagesRequest
    req = kind(
        user_id=src_user,
        mailbox_id=mbid,
        uids=ALL,
        destination="Team" if dest_user != world.user.id else "INBOX",
        destination_user_id=dest_user,
        idempotency_key=key,
    )
    call = world.client.messages.MoveMessages if move else world.client.messages.CopyMessages
    return lambda: call(req, timeout=DEADLINE)


async def test_copy_into_a_shared_mailbox_counts_once(world: World) -> None:
    alice = await _alice_shares(world, "lrsi")
    raw = message("to the team")
    await world.deliver(raw, flags=("\\Seen", "$Mine", "\\Deleted"))
    blob = await world.put(raw)
    inbox = await world.mailbox()
    res = await _as(world.user.id, _copy(world, world.user.id, inbox.id, alice, "k1"))
    team = await world.mailbox("Team", alice)
    assert team.messages == 1 and res.uidvalidity == team.uidvalidity and list(res.destination_uids) == [1]
    assert _refs(world, blob) == 2
    # the retry of the same command copies nothing more and references nothing more
    again = await _as(world.user.id, _copy(world, world.user.id, inbox.id, alice, "k1"))
    assert list(again.destination_uids) == [1]
    assert (await world.mailbox("Team", alice)).messages == 1 and _refs(world, blob) == 2
    # rights lrsi: \Seen kept (s); \Deleted (t) and $Mine (w) are not
    got = await world.client.messages.FetchMessages(
        msg_pb.FetchMessagesRequest(user_id=alice, mailbox_id=team.id, uids=ALL)
    )
    assert list(got.messages[0].flags) == ["\\Seen"]
    # a new EMAILID of alice's, not bob's
    assert got.messages[0].email_id and _gc(world.handle) == 0 and _refs(world, blob) == 2


async def test_move_both_ways_and_the_rights_it_needs(world: World) -> None:
    alice = await _alice_shares(world, "lri")
    raw = message("moved")
    await world.deliver(raw)
    blob = await world.put(raw)
    inbox = await world.mailbox()
    assert await _reason(world.user.id, _copy(world, world.user.id, inbox.id, alice, "m1", move=True)) == 0
    assert (await world.mailbox()).messages == 0 and (await world.mailbox("Team", alice)).messages == 1
    assert _refs(world, blob) == 1
    team = await world.mailbox("Team", alice)
    # back out of alice's Team: MOVE needs t and e there, lri has neither
    back = _copy(world, alice, team.id, world.user.id, "m2", move=True)
    assert await _reason(world.user.id, back) == er.ERROR_REASON_PERMISSION_DENIED
    assert (await world.mailbox("Team", alice)).messages == 1 and _refs(world, blob) == 1
    await world.client.mailboxes.SetAcl(
        mb_pb.SetAclRequest(user_id=alice, mailbox="Team", identifier=world.user.address, rights="lrte")
    )
    assert await _reason(world.user.id, back) == 0
    assert (await world.mailbox("Team", alice)).messages == 0 and (await world.mailbox()).messages == 1
    assert _refs(world, blob) == 1
    # COPY out needs r only; into the Team it needs i (lrte has none)
    assert await _reason(world.user.id, _copy(world, world.user.id, inbox.id, alice, "c3")) == (
        er.ERROR_REASON_PERMISSION_DENIED
    )
    assert _refs(world, blob) == 1


async def test_refusals_without_rights_or_actor(world: World) -> None:
    alice = await _alice_shares(world, "lr")
    await world.deliver(message("mine"))
    inbox = await world.mailbox()
    # no i on Team: refused, nothing copied
    assert await _reason(world.user.id, _copy(world, world.user.id, inbox.id, alice, "r1")) == (
        er.ERROR_REASON_PERMISSION_DENIED
    )
    # a copy to another user without an actor has no one to check: refused
    assert await _reason("", _copy(world, world.user.id, inbox.id, alice, "r2")) == er.ERROR_REASON_PERMISSION_DENIED
    # alice's INBOX was not shared: it does not exist for bob
    alice_inbox = await world.mailbox("INBOX", alice)
    assert await _reason(world.user.id, _copy(world, alice, alice_inbox.id, world.user.id, "r3")) == (
        er.ERROR_REASON_NO_SUCH_MAILBOX
    )
    assert (await world.mailbox("Team", alice)).messages == 0


async def test_copy_killed_before_its_commit_is_released(world: World, metadata: Any) -> None:
    alice = await _alice_shares(world, "lri")
    raw = message("crash")
    await world.deliver(raw)
    blob = await world.put(raw)
    inbox = await world.mailbox()
    hit = _crash_once(metadata.server.store, "user_script", lambda name, *a: name == "copy_in")
    with pytest.raises(grpc.aio.AioRpcError):
        await _as(world.user.id, _copy(world, world.user.id, inbox.id, alice, "x1"))
    assert hit and _refs(world, blob) == 2
    _gc(metadata)
    assert _refs(world, blob) == 1 and (await world.mailbox("Team", alice)).messages == 0


async def test_append_into_a_shared_mailbox_keeps_only_permitted_flags(world: World) -> None:
    """APPEND and MULTIAPPEND (AppendMany) as the grantee: flags follow the rights (lrsi: \\Seen only)."""
    alice = await _alice_shares(world, "lrsi")
    raw = message("appended")
    blob = await world.put(raw)
    flags = ["\\Seen", "\\Deleted", "$Team"]
    one = msg_pb.AppendRequest(
        user_id=alice, mailbox="Team", blob_id=blob, size=len(raw), summary=summary(raw), flags=flags
    )
    many = msg_pb.AppendManyRequest(
        user_id=alice,
        mailbox="Team",
        items=[msg_pb.AppendItem(blob_id=blob, size=len(raw), summary=summary(raw), flags=flags)],
    )
    await _as(world.user.id, lambda: world.client.messages.Append(one))
    await _as(world.user.id, lambda: world.client.messages.AppendMany(many))
    team = await world.mailbox("Team", alice)
    got = await world.client.messages.FetchMessages(
        msg_pb.FetchMessagesRequest(user_id=alice, mailbox_id=team.id, uids=ALL)
    )
    assert [list(m.flags) for m in got.messages] == [["\\Seen"], ["\\Seen"]]
    # the owner's own append keeps every flag
    await world.client.messages.Append(one)
    got = await world.client.messages.FetchMessages(
        msg_pb.FetchMessagesRequest(user_id=alice, mailbox_id=team.id, uids=[types_pb.UidRange(lo=3, hi=3)])
    )
    assert set(got.messages[0].flags) == set(flags)
