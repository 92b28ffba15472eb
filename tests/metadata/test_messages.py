"""Deliver/fetch, counters, flags, copy/move/expunge, blobs and GC, changes and Watch."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.metadata.conftest import World, message, redis_of, summary

R = types_pb.UidRange


async def test_deliver_then_fetch_returns_exact_bytes(world: World) -> None:
    raw = message("exact", "line one\r\nline two with \xe9".encode("latin-1").decode("latin-1"))
    res = await world.deliver(raw, flags=("\\Flagged",), internal_date=1_700_000_000)
    d = res.delivered[0]
    assert (d.user_id, d.uid) == (world.user.id, 1)
    mb = await world.mailbox()
    assert d.mailbox_id == mb.id and d.uidvalidity == mb.uidvalidity and d.modseq == mb.highest_modseq
    got = await world.client.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=1, hi=0)], include_summary=True
        )
    )
    (meta,) = got.messages
    assert meta.uid == 1 and meta.flags == ["\\Flagged"] and meta.internal_date == 1_700_000_000
    assert meta.size == len(raw) and meta.summary == summary(raw)
    assert await world.blobs.get(meta.blob_id) == raw
    uids = await world.client.messages.ListUids(messages_pb.ListUidsRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert list(uids.uids) == [1] and uids.uidnext == 2 and uids.uidvalidity == mb.uidvalidity


async def test_counters_through_deliver_store_copy_move_expunge(world: World) -> None:
    c, uid = world.client, world.user.id
    sizes = []
    for i in range(4):
        raw = message(f"m{i}", "x" * (10 * i))
        sizes.append(len(raw))
        await world.deliver(raw, flags=("\\Seen",) if i == 0 else ())
    inbox = await world.mailbox()
    assert (inbox.messages, inbox.unseen, inbox.size_bytes, inbox.recent) == (4, 3, sum(sizes), 4)
    q = await world.quota()
    assert (q.used_bytes, q.messages) == (sum(sizes), 4)

    # flags: mark 2 seen (one already seen), 3 deleted
    st = await c.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=uid,
            mailbox_id=inbox.id,
            uids=[R(lo=1, hi=2)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\seen"],
        )
    )
    assert [m.uid for m in st.updated] == [1, 2] and all("\\Seen" in m.flags for m in st.updated)
    assert st.updated[0].modseq < st.updated[1].modseq  # only uid 2 changed
    await c.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=uid,
            mailbox_id=inbox.id,
            uids=[R(lo=3, hi=3)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Deleted"],
        )
    )
    inbox = await world.mailbox()
    assert (inbox.messages, inbox.unseen, inbox.deleted) == (4, 2, 1)

    # copy 1:2 to Archive: quota doubles those, source unchanged
    cp = await c.messages.CopyMessages(
        messages_pb.CopyMessagesRequest(user_id=uid, mailbox_id=inbox.id, uids=[R(lo=1, hi=2)], destination="Archive")
    )
    assert list(cp.source_uids) == [1, 2] and list(cp.destination_uids) == [1, 2]
    arch = await world.mailbox("Archive")
    assert (arch.messages, arch.unseen, arch.size_bytes, arch.uidvalidity) == (
        2,
        0,
        sizes[0] + sizes[1],
        cp.uidvalidity,
    )
    assert (await world.quota()).used_bytes == sum(sizes) + sizes[0] + sizes[1]

    # move 4 to Trash: quota unchanged, inbox loses it
    mv = await c.messages.MoveMessages(
        messages_pb.MoveMessagesRequest(user_id=uid, mailbox_id=inbox.id, uids=[R(lo=4, hi=0)], destination="Trash")
    )
    assert list(mv.source_uids) == [4] and list(mv.destination_uids) == [1]
    inbox2 = await world.mailbox()
    trash = await world.mailbox("Trash")
    assert (inbox2.messages, inbox2.unseen, inbox2.size_bytes) == (3, 1, sum(sizes[:3]))
    assert mv.modseq == inbox2.highest_modseq > inbox.highest_modseq
    assert (trash.messages, trash.unseen, trash.size_bytes) == (1, 1, sizes[3])
    assert (await world.quota()).used_bytes == sum(sizes) + sizes[0] + sizes[1]

    # expunge every \Deleted message (uid 3)
    ex = await c.messages.Expunge(messages_pb.ExpungeRequest(user_id=uid, mailbox_id=inbox.id))
    assert list(ex.expunged) == [3]
    inbox3 = await world.mailbox()
    assert (inbox3.messages, inbox3.unseen, inbox3.deleted, inbox3.size_bytes) == (2, 0, 0, sizes[0] + sizes[1])
    assert ex.modseq == inbox3.highest_modseq
    q = await world.quota()
    assert (q.used_bytes, q.messages) == (sizes[0] + sizes[1] + sizes[0] + sizes[1] + sizes[3], 5)
    uids = await c.messages.ListUids(messages_pb.ListUidsRequest(user_id=uid, mailbox_id=inbox.id))
    assert list(uids.uids) == [1, 2] and uids.uidnext == 5  # never reused


async def test_one_message_to_three_recipients_stores_one_blob(world: World, metadata) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures.seed import seed_user

    u2 = await seed_user(world.client, "carol@example.test")
    u3 = await seed_user(world.client, "dave@example.test")
    raw = message("shared")
    res = await world.deliver(raw, user_ids=[world.user.id, u2.id, u3.id])
    assert [d.user_id for d in res.delivered] == [world.user.id, u2.id, u3.id]
    blob_ids = set()
    for d in res.delivered:
        f = await world.client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(user_id=d.user_id, mailbox_id=d.mailbox_id, uids=[R(lo=d.uid, hi=d.uid)])
        )
        blob_ids.add(f.messages[0].blob_id)
    assert len(blob_ids) == 1
    s3 = getattr(world.blobs, "inner", world.blobs)  # make_blobstore may wrap the S3 store (metrics)
    objects = list(s3.client.list_objects(s3.bucket, recursive=True))
    assert len(objects) == 1
    r = redis_of(metadata)
    assert int(r.hget("{b:" + blob_ids.pop() + "}", "refs")) == 3


async def test_expunged_everywhere_blob_is_collected(world: World, metadata) -> None:  # type: ignore[no-untyped-def]
    c, uid = world.client, world.user.id
    raw = message("gc-me")
    keep = message("keep-me")
    res = await world.deliver(raw, flags=("\\Deleted",))
    await world.deliver(keep)
    d = res.delivered[0]
    cp = await c.messages.CopyMessages(
        messages_pb.CopyMessagesRequest(
            user_id=uid, mailbox_id=d.mailbox_id, uids=[R(lo=d.uid, hi=d.uid)], destination="Junk"
        )
    )
    blob_id = await world.put(raw)
    server = metadata.server
    # still referenced from Junk after the INBOX expunge: GC keeps it
    await c.messages.Expunge(messages_pb.ExpungeRequest(user_id=uid, mailbox_id=d.mailbox_id))
    assert metadata.loop.run(server.run_gc(0)) == 0
    assert await world.blobs.stat(blob_id) == len(raw)
    junk = await world.mailbox("Junk")
    before = (await world.mailbox()).messages
    await c.messages.Expunge(
        messages_pb.ExpungeRequest(user_id=uid, mailbox_id=junk.id, uids=[R(lo=cp.destination_uids[0], hi=0)])
    )
    assert metadata.loop.run(server.run_gc(0)) == 1
    assert await world.blobs.stat(blob_id) is None
    assert await world.blobs.stat(await world.put(keep)) == len(keep)
    # delivering the collected sha again without re-uploading is refused, nothing written
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await c.messages.Deliver(
            messages_pb.DeliverRequest(blob_id=blob_id, size=len(raw), deliveries=[messages_pb.Delivery(user_id=uid)])
        )
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_BLOB_MISSING
    assert (await world.mailbox()).messages == before


async def test_gc_tombstone_aborts_concurrent_deliver(world: World, metadata) -> None:  # type: ignore[no-untyped-def]
    raw = message("tomb")
    res = await world.deliver(raw)
    d = res.delivered[0]
    await world.client.messages.Expunge(
        messages_pb.ExpungeRequest(user_id=world.user.id, mailbox_id=d.mailbox_id, uids=[R(lo=1, hi=0)])
    )
    blob_id = await world.put(raw)
    r = redis_of(metadata)
    assert r.hget("{b:" + blob_id + "}", "refs") == b"0"
    # simulate GC between tombstone and delete: the blob is marked dead
    r.hset("{b:" + blob_id + "}", "dead", "1")
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.deliver(raw)
    assert e.value.code() == grpc.StatusCode.ABORTED
    assert (await world.mailbox()).messages == 0
    assert metadata.loop.run(metadata.server.run_gc(0)) == 1  # finishes the collection
    res = await world.deliver(raw)  # re-uploaded by deliver(): works again
    assert res.delivered[0].uid == 2


async def test_idempotent_deliver_and_quota(world: World, metadata) -> None:  # type: ignore[no-untyped-def]
    raw = message("idem")
    a = await world.deliver(raw, idempotency_key="k1")
    b = await world.deliver(raw, idempotency_key="k1")
    assert a == b
    assert (await world.mailbox()).messages == 1
    r = redis_of(metadata)
    blob_id = await world.put(raw)
    assert int(r.hget("{b:" + blob_id + "}", "refs")) == 1  # the retry released its reference
    # quota: user limit just above one message
    user = world.user
    user.quota_bytes = len(raw) + 10
    await world.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.deliver(raw)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_QUOTA_EXCEEDED  # from the deliver script
    assert (await world.mailbox()).messages == 1
    assert int(r.hget("{b:" + blob_id + "}", "refs")) == 1
    q = await world.quota()
    assert (q.used_bytes, q.limit_bytes) == (len(raw), len(raw) + 10)


async def test_store_unchangedsince_and_changes(world: World) -> None:
    c, uid = world.client, world.user.id
    for i in range(3):
        await world.deliver(message(f"c{i}"))
    mb = await world.mailbox()
    base = mb.highest_modseq
    st = await c.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=uid,
            mailbox_id=mb.id,
            uids=[R(lo=2, hi=2)],
            mode=messages_pb.StoreFlagsRequest.MODE_REPLACE,
            flags=["$Label1"],
        )
    )
    ms2 = st.updated[0].modseq
    assert ms2 > base
    st = await c.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=uid,
            mailbox_id=mb.id,
            uids=[R(lo=1, hi=0)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Seen"],
            unchanged_since=base,
        )
    )
    assert list(st.modified) == [2] and [m.uid for m in st.updated] == [1, 3]
    await c.messages.Expunge(messages_pb.ExpungeRequest(user_id=uid, mailbox_id=mb.id, uids=[R(lo=3, hi=3)]))
    ch = await c.messages.GetChanges(messages_pb.GetChangesRequest(user_id=uid, mailbox_id=mb.id, since_modseq=base))
    assert sorted(m.uid for m in ch.changed) == [1, 2]
    assert list(ch.expunged) == [3] and ch.expunged_complete and ch.messages == 2 and ch.uidnext == 4
    assert ch.highest_modseq == (await world.mailbox()).highest_modseq
    f = await c.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(user_id=uid, mailbox_id=mb.id, uids=[R(lo=1, hi=0)], changed_since=ms2)
    )
    assert [m.uid for m in f.messages] == [1]
    cr = await c.messages.ClaimRecent(messages_pb.ClaimRecentRequest(user_id=uid, mailbox_id=mb.id))
    assert list(cr.uids) == [1, 2]
    cr = await c.messages.ClaimRecent(messages_pb.ClaimRecentRequest(user_id=uid, mailbox_id=mb.id))
    assert list(cr.uids) == [] and (await world.mailbox()).recent == 0


async def test_watch_hello_then_events(world: World) -> None:
    call = world.client.changes.Watch(changes_pb.WatchRequest(user_id=world.user.id), timeout=20)
    it = call.__aiter__()
    first = await asyncio.wait_for(it.__anext__(), 10)
    assert first.event.kind == changes_pb.ChangeEvent.KIND_HELLO
    res = await world.deliver(message("watched"))
    ev = (await asyncio.wait_for(it.__anext__(), 10)).event
    assert ev.kind == changes_pb.ChangeEvent.KIND_MESSAGES and ev.mailbox_id == res.delivered[0].mailbox_id
    assert ev.modseq == res.delivered[0].modseq and ev.user_id == world.user.id
    await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name="New"))
    ev = (await asyncio.wait_for(it.__anext__(), 10)).event
    assert ev.kind == changes_pb.ChangeEvent.KIND_MAILBOXES
    call.cancel()


async def test_search(world: World) -> None:
    c, uid = world.client, world.user.id
    await world.deliver(message("Invoice March", "Please pay the amount"), internal_date=1_700_000_000)
    await world.deliver(
        message(
            "Lunch",
            "Grüße aus =C3=9Cberlingen",
            extra="Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        ).replace("Grüße".encode(), b"Gr=C3=BC=C3=9Fe"),
        flags=("\\Seen",),
        internal_date=1_700_100_000,
    )
    await world.deliver(message("big", "y" * 3000), internal_date=1_700_200_000)
    mb = await world.mailbox()

    async def search(key: messages_pb.SearchKey) -> list[int]:
        r = await c.messages.Search(messages_pb.SearchRequest(user_id=uid, mailbox_id=mb.id, key=key))
        return list(r.uids)

    K = messages_pb.SearchKey
    assert await search(K(all=True)) == [1, 2, 3]
    assert await search(K(no_flag="\\Seen")) == [1, 3]
    assert await search(K(header=messages_pb.HeaderMatch(field="subject", value="invoice"))) == [1]
    assert await search(K(body="ÜBERLINGEN")) == [2]
    assert await search(K(text="pay the")) == [1]
    assert await search(K(larger=2000)) == [3]
    assert await search(K(**{"not": K(larger=2000)})) == [1, 2]
    assert await search(K(**{"or": messages_pb.SearchKeys(keys=[K(flag="\\seen"), K(larger=2000)])})) == [2, 3]
    assert await search(K(since=1_700_100_000)) == [2, 3]
    assert await search(K(on=1_700_000_000)) == [1]
    assert await search(K(uids=types_pb.UidSet(ranges=[R(lo=2, hi=0)]))) == [2, 3]
    assert await search(K(**{"and": messages_pb.SearchKeys(keys=[K(all=True), K(flag="\\Seen")])})) == [2]
    # UNSEEN / ALL / DELETED answered from the sorted sets agree with the general evaluator
    slow = K(**{"and": messages_pb.SearchKeys(keys=[K(all=True), K(no_flag="\\Seen")])})
    fast = await c.messages.Search(messages_pb.SearchRequest(user_id=uid, mailbox_id=mb.id, key=K(no_flag="\\Seen")))
    ref = await c.messages.Search(messages_pb.SearchRequest(user_id=uid, mailbox_id=mb.id, key=slow))
    assert list(fast.uids) == list(ref.uids) == [1, 3] and fast.highest_modseq == ref.highest_modseq > 0
    assert await search(K(flag="\\Deleted")) == []
    every = await c.messages.Search(messages_pb.SearchRequest(user_id=uid, mailbox_id=mb.id, key=K(all=True)))
    assert every.highest_modseq == (await world.mailbox()).highest_modseq
    # #14: a caller that does not want the highest modseq gets the same UIDs and no modseq read
    for key in (K(all=True), K(no_flag="\\Seen")):
        plain = await c.messages.Search(
            messages_pb.SearchRequest(user_id=uid, mailbox_id=mb.id, key=key, skip_highest_modseq=True)
        )
        assert list(plain.uids) == await search(key) and plain.highest_modseq == 0
    # the fast path's script answers NO_SUCH_MAILBOX itself, also for an empty set
    for key in (K(all=True), K(flag="\\Deleted")):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await c.messages.Search(messages_pb.SearchRequest(user_id=uid, mailbox_id="999", key=key))
        assert reason_of(exc.value) == er.ERROR_REASON_NO_SUCH_MAILBOX


async def test_expunge_history_trimmed(backend_env: dict[str, str]) -> None:
    from tests.conftest import _start_metadata, _stop_metadata
    from tests.metadata.conftest import make_world

    h = _start_metadata({**backend_env, "KUBEMAIL_METADATA_EXPUNGE_HISTORY": "2"})
    try:
        async for w in make_world(h):
            for i in range(4):
                await w.deliver(message(f"t{i}"))
            mb = await w.mailbox()
            base = mb.highest_modseq
            for uid in (1, 2, 3):
                await w.client.messages.Expunge(
                    messages_pb.ExpungeRequest(user_id=w.user.id, mailbox_id=mb.id, uids=[R(lo=uid, hi=uid)])
                )
            ch = await w.client.messages.GetChanges(
                messages_pb.GetChangesRequest(user_id=w.user.id, mailbox_id=mb.id, since_modseq=base)
            )
            assert list(ch.expunged) == [2, 3] and not ch.expunged_complete
            recent = await w.client.messages.GetChanges(
                messages_pb.GetChangesRequest(user_id=w.user.id, mailbox_id=mb.id, since_modseq=base + 1)
            )
            assert list(recent.expunged) == [2, 3] and recent.expunged_complete
            # Deliver into a mailbox that does not exist falls back to INBOX
            res = await w.deliver(message("fallback"), mailbox="Nope")
            assert res.delivered[0].mailbox_id == mb.id and res.delivered[0].uid == 5
    finally:
        _stop_metadata(h)
