"""The per-RPC contract: Copy/Move idempotency, paged listings, second-precision date keys."""

from __future__ import annotations

import time

import grpc
import pytest

from services.common.listing import all_changes, all_mailboxes
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.fixtures.seed import seed_domain, seed_user
from tests.metadata.conftest import World, message, redis_of

ALL = [types_pb.UidRange(lo=1, hi=0)]


def _refs(world: World, blob_id: str) -> int:
    return int(redis_of(world.handle).hget("{b:" + blob_id + "}", "refs") or 0)


async def test_copy_retry_with_the_same_key_copies_once(world: World) -> None:
    res = await world.deliver(message("once"))
    inbox = await world.mailbox()
    c = world.client.messages
    await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name="Dst"))
    blob_id = (
        (await c.FetchMessages(messages_pb.FetchMessagesRequest(user_id=world.user.id, mailbox_id=inbox.id)))
        .messages[0]
        .blob_id
    )
    req = messages_pb.CopyMessagesRequest(
        user_id=world.user.id, mailbox_id=inbox.id, uids=ALL, destination="Dst", idempotency_key="imap-1"
    )
    first = await c.CopyMessages(req)
    again = await c.CopyMessages(req)
    assert list(first.destination_uids) == list(again.destination_uids) == [1]
    assert again.uidvalidity == first.uidvalidity and list(again.source_uids) == [res.delivered[0].uid]
    dst = await world.mailbox("Dst")
    assert dst.messages == 1 and dst.uidnext == 2
    assert _refs(world, blob_id) == 2  # INBOX and one copy; the retry took no reference
    assert (await world.quota()).messages == 2
    # another key is another copy
    req.idempotency_key = "imap-2"
    assert list((await c.CopyMessages(req)).destination_uids) == [2]
    assert _refs(world, blob_id) == 3


async def test_move_retry_with_the_same_key_moves_once(world: World) -> None:
    await world.deliver(message("m1"))
    await world.deliver(message("m2"))
    inbox = await world.mailbox()
    c = world.client.messages
    await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name="Dst"))
    req = messages_pb.MoveMessagesRequest(
        user_id=world.user.id,
        mailbox_id=inbox.id,
        uids=[types_pb.UidRange(lo=1, hi=1)],
        destination="Dst",
        idempotency_key="mv-1",
    )
    first = await c.MoveMessages(req)
    again = await c.MoveMessages(req)
    assert list(first.source_uids) == list(again.source_uids) == [1]
    assert list(first.destination_uids) == list(again.destination_uids) == [1] and again.modseq == first.modseq
    assert (await world.mailbox()).messages == 1 and (await world.mailbox("Dst")).messages == 1
    # a Copy with the Move's key is not answered from the Move's record
    copy = await c.CopyMessages(
        messages_pb.CopyMessagesRequest(
            user_id=world.user.id, mailbox_id=inbox.id, uids=ALL, destination="Dst", idempotency_key="mv-1"
        )
    )
    assert list(copy.source_uids) == [2] and list(copy.destination_uids) == [2]


async def test_list_rpcs_page(world: World) -> None:
    d = world.client.directory
    for i in range(4):
        await seed_domain(world.client, f"d{i}.test")
        await seed_user(world.client, f"u{i}@example.test")
    names: list[str] = []
    token = ""
    while True:
        page = await d.ListDomains(directory_pb.ListDomainsRequest(page_size=2, page_token=token))
        assert len(page.domains) <= 2
        names += [x.name for x in page.domains]
        token = page.next_page_token
        if not token:
            break
    assert names == sorted(["example.test", *(f"d{i}.test" for i in range(4))])
    ids: list[str] = []
    token = ""
    while True:
        upage = await d.ListUsers(directory_pb.ListUsersRequest(domain="example.test", page_size=2, page_token=token))
        assert len(upage.users) <= 2
        ids += [u.id for u in upage.users]
        token = upage.next_page_token
        if not token:
            break
    assert len(ids) == 5 and ids == sorted(set(ids))
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await d.ListUsers(directory_pb.ListUsersRequest(page_token="%%%"))
    assert exc.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_list_mailboxes_pages_and_subscriptions(world: World) -> None:
    m, uid = world.client.mailboxes, world.user.id
    for name in ("A1", "B1", "C1", "D1"):
        await m.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name=name))
    for name in ("A1", "Bz-ghost", "Zz-ghost"):
        await m.SetSubscribed(mailboxes_pb.SetSubscribedRequest(user_id=uid, name=name, subscribed=True))
    whole = await m.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid))
    first = await m.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid, page_size=2))
    assert [b.name for b in first.mailboxes] == [b.name for b in whole.mailboxes][:2] and first.next_page_token
    merged = await all_mailboxes(world.client, uid)
    assert [b.name for b in merged.mailboxes] == [b.name for b in whole.mailboxes]
    subs = await m.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid, subscribed_only=True, page_size=1))
    assert len(subs.mailboxes) <= 1
    paged: list[str] = []
    ghosts: list[str] = []
    token = ""
    while True:
        page = await m.ListMailboxes(
            mailboxes_pb.ListMailboxesRequest(user_id=uid, subscribed_only=True, page_size=1, page_token=token)
        )
        paged += [b.name for b in page.mailboxes]
        ghosts += list(page.subscribed_nonexistent)
        token = page.next_page_token
        if not token:
            break
    assert "A1" in paged and sorted(ghosts) == ["Bz-ghost", "Zz-ghost"]  # each ghost once


async def test_get_changes_pages(world: World) -> None:
    for i in range(5):
        await world.deliver(message(f"c{i}"))
    mb = await world.mailbox()
    c = world.client.messages
    first = await c.GetChanges(
        messages_pb.GetChangesRequest(user_id=world.user.id, mailbox_id=mb.id, since_modseq=0, page_size=2)
    )
    assert [x.uid for x in first.changed] == [1, 2] and first.next_page_token
    second = await c.GetChanges(
        messages_pb.GetChangesRequest(
            user_id=world.user.id, mailbox_id=mb.id, since_modseq=0, page_size=2, page_token=first.next_page_token
        )
    )
    assert [x.uid for x in second.changed] == [3, 4]
    merged = await all_changes(world.client, world.user.id, mb.id, 0)
    assert [x.uid for x in merged.changed] == [1, 2, 3, 4, 5] and not merged.next_page_token


async def test_search_internal_date_to_the_second(world: World) -> None:
    now = int(time.time())
    await world.deliver(message("old"), internal_date=now - 7200)
    await world.deliver(message("new"), internal_date=now - 60)
    mb = await world.mailbox()

    async def search(key: messages_pb.SearchKey) -> list[int]:
        resp = await world.client.messages.Search(
            messages_pb.SearchRequest(user_id=world.user.id, mailbox_id=mb.id, key=key)
        )
        return list(resp.uids)

    # both on the same day, so only second precision tells them apart
    assert await search(messages_pb.SearchKey(internal_date_before=now - 3600)) == [1]
    assert await search(messages_pb.SearchKey(internal_date_since=now - 3600)) == [2]
    assert await search(messages_pb.SearchKey(internal_date_since=now - 60)) == [2]
    assert await search(messages_pb.SearchKey(internal_date_before=now - 60)) == [1]
