"""clear_password, ClaimRecent limit, FetchMessages limit/next_uid."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.fixtures.seed import hash_password
from tests.metadata.conftest import World, message, summary, world_with


async def _auth(world: World, password: str) -> directory_pb.AuthenticateResponse:
    return await world.client.directory.Authenticate(  # type: ignore[no-any-return]
        directory_pb.AuthenticateRequest(username="bob@example.test", password=password.encode(), service="imap")
    )


async def test_clear_password(world: World) -> None:
    d = world.client.directory
    assert (await _auth(world, "secret")).ok
    # an empty hash without clear_password keeps the stored hash
    kept = (
        await d.UpsertUser(
            directory_pb.UpsertUserRequest(
                user=directory_pb.User(address="bob@example.test", enabled=True, display_name="Bob")
            )
        )
    ).user
    assert kept.has_password and (await _auth(world, "secret")).ok
    # both at once is a contradiction
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await d.UpsertUser(
            directory_pb.UpsertUserRequest(
                user=directory_pb.User(address="bob@example.test", enabled=True, password_hash=hash_password("x")),
                clear_password=True,
            )
        )
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (await _auth(world, "secret")).ok
    cleared = (
        await d.UpsertUser(
            directory_pb.UpsertUserRequest(
                user=directory_pb.User(address="bob@example.test", enabled=True), clear_password=True
            )
        )
    ).user
    assert cleared.id == world.user.id and not cleared.has_password
    resp = await _auth(world, "secret")
    assert not resp.ok and resp.reason == "bad-credentials"
    got = (await d.GetUser(directory_pb.GetUserRequest(address="bob@example.test"))).user
    assert not got.has_password
    # a later update without a hash leaves it cleared; a new hash sets it again
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=directory_pb.User(address="bob@example.test", enabled=True)))
    assert not (await _auth(world, "secret")).ok
    await d.UpsertUser(
        directory_pb.UpsertUserRequest(
            user=directory_pb.User(address="bob@example.test", enabled=True, password_hash=hash_password("new"))
        )
    )
    assert (await _auth(world, "new")).ok and not (await _auth(world, "secret")).ok
    # clearing on create makes a user without a password
    eve = (
        await d.UpsertUser(
            directory_pb.UpsertUserRequest(
                user=directory_pb.User(address="eve@example.test", enabled=True), clear_password=True
            )
        )
    ).user
    assert not eve.has_password


async def test_claim_recent_limit(world: World) -> None:
    for i in range(5):
        await world.deliver(message(f"r{i}"))
    mb = await world.mailbox()
    assert mb.recent == 5
    m = world.client.messages
    req = messages_pb.ClaimRecentRequest(user_id=world.user.id, mailbox_id=mb.id, limit=2)
    assert list((await m.ClaimRecent(req)).uids) == [1, 2]
    assert (await world.mailbox()).recent == 3
    assert list((await m.ClaimRecent(req)).uids) == [3, 4]
    assert (await world.mailbox()).recent == 1
    # 0 = no limit: the rest
    await world.deliver(message("r5"))
    rest = await m.ClaimRecent(messages_pb.ClaimRecentRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert list(rest.uids) == [5, 6]
    assert (await world.mailbox()).recent == 0
    assert list((await m.ClaimRecent(req)).uids) == []


async def test_claim_recent_takes_only_uids_the_session_knows(world: World) -> None:
    """#13 item 1: a claim bounded by the session's highest known UID leaves newer messages
    \\Recent for the session that will report them (they used to be claimed and dropped)."""
    for i in range(4):
        await world.deliver(message(f"k{i}"))
    mb = await world.mailbox()
    m = world.client.messages
    known = messages_pb.ClaimRecentRequest(user_id=world.user.id, mailbox_id=mb.id, below_uid=3)
    assert list((await m.ClaimRecent(known)).uids) == [1, 2]
    assert (await world.mailbox()).recent == 2
    assert list((await m.ClaimRecent(known)).uids) == []  # 3 and 4 are not the caller's yet
    nothing = messages_pb.ClaimRecentRequest(user_id=world.user.id, mailbox_id=mb.id, below_uid=1)
    assert list((await m.ClaimRecent(nothing)).uids) == []  # a session that knows no message
    later = messages_pb.ClaimRecentRequest(user_id=world.user.id, mailbox_id=mb.id, below_uid=5, limit=1)
    assert list((await m.ClaimRecent(later)).uids) == [3]
    assert (await world.mailbox()).recent == 1


N = 23  # messages in the mailbox; the limits below are smaller


async def _fill(world: World) -> mailboxes_pb.Mailbox:
    raw = message("big")
    blob_id = await world.put(raw)
    s = summary(raw)
    for _ in range(N):
        await world.client.messages.Deliver(
            messages_pb.DeliverRequest(
                blob_id=blob_id, size=len(raw), summary=s, deliveries=[messages_pb.Delivery(user_id=world.user.id)]
            )
        )
    return await world.mailbox()


async def _page_all(
    world: World, mb: mailboxes_pb.Mailbox, limit: int, lo: int = 1, hi: int = 0, changed_since: int = 0
) -> list[int]:
    seen: list[int] = []
    calls = 0
    while True:
        calls += 1
        assert calls <= N + 1
        resp = await world.client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(
                user_id=world.user.id,
                mailbox_id=mb.id,
                uids=[types_pb.UidRange(lo=lo, hi=hi)],
                limit=limit,
                changed_since=changed_since,
            )
        )
        got = [m.uid for m in resp.messages]
        assert len(got) <= (limit or 7)
        seen += got
        if resp.next_uid == 0:
            return seen
        assert got and resp.next_uid > got[-1]
        lo = resp.next_uid


async def test_fetch_messages_limit_and_next_uid(world: World) -> None:
    mb = await _fill(world)
    c = world.client.messages
    # existing callers (no limit, small sets) see everything and next_uid = 0
    full = await c.FetchMessages(messages_pb.FetchMessagesRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert [m.uid for m in full.messages] == list(range(1, N + 1)) and full.next_uid == 0
    # truncated: exactly `limit` messages and the next UID
    part = await c.FetchMessages(
        messages_pb.FetchMessagesRequest(user_id=world.user.id, mailbox_id=mb.id, limit=5, include_summary=True)
    )
    assert [m.uid for m in part.messages] == [1, 2, 3, 4, 5] and part.next_uid == 6
    assert part.messages[0].summary.size == len(message("big"))
    # limit exactly the remaining count: complete
    tail = await c.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[types_pb.UidRange(lo=19, hi=0)], limit=5
        )
    )
    assert [m.uid for m in tail.messages] == [19, 20, 21, 22, 23] and tail.next_uid == 0
    # paging with ranges covers every UID once
    assert await _page_all(world, mb, 4) == list(range(1, N + 1))
    assert await _page_all(world, mb, 3, lo=5, hi=17) == list(range(5, 18))
    # several ranges, overlapping: lowest first, no duplicates
    multi = await c.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=world.user.id,
            mailbox_id=mb.id,
            uids=[types_pb.UidRange(lo=10, hi=20), types_pb.UidRange(lo=2, hi=3), types_pb.UidRange(lo=12, hi=14)],
            limit=4,
        )
    )
    assert [m.uid for m in multi.messages] == [2, 3, 10, 11] and multi.next_uid == 12
    # CHANGEDSINCE together with the limit
    await c.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id,
            mailbox_id=mb.id,
            uids=[types_pb.UidRange(lo=3, hi=3), types_pb.UidRange(lo=8, hi=8), types_pb.UidRange(lo=15, hi=16)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Seen"],
        )
    )
    since = (await c.FetchMessages(messages_pb.FetchMessagesRequest(user_id=world.user.id, mailbox_id=mb.id))).messages
    hms = max(m.modseq for m in since) - 1
    assert await _page_all(world, mb, 2, changed_since=hms) == [3, 8, 15, 16]


@pytest.fixture
async def small_limit_world(backend_env: dict[str, str]) -> AsyncIterator[World]:
    async with world_with(backend_env, KUBEMAIL_METADATA_FETCH_LIMIT="7") as w:
        yield w


async def test_fetch_messages_server_default_limit(small_limit_world: World) -> None:
    w = small_limit_world
    mb = await _fill(w)
    c = w.client.messages
    # no limit in the request: the server's bound applies; a larger request limit is capped
    for limit in (0, 1000):
        resp = await c.FetchMessages(messages_pb.FetchMessagesRequest(user_id=w.user.id, mailbox_id=mb.id, limit=limit))
        assert [m.uid for m in resp.messages] == list(range(1, 8)) and resp.next_uid == 8
    assert await _page_all(w, mb, 0) == list(range(1, N + 1))
