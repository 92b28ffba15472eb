"""RFC 8474 object ids (DESIGN invariant 11, decision 0008): EMAILID/THREADID assigned once at
ingest, carried by COPY/MOVE, stored (they survive a metadata restart); threading at ingest."""

from __future__ import annotations

import re

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata import keys
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.metadata.conftest import World, make_world, redis_of, summary

R = types_pb.UidRange
OBJECTID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def mail(subject: str, msgid: str, refs: str = "", irt: str = "") -> bytes:
    extra = (f"References: {refs}\r\n" if refs else "") + (f"In-Reply-To: {irt}\r\n" if irt else "")
    return (
        f"From: a@example.org\r\nTo: bob@example.test\r\nSubject: {subject}\r\n{extra}"
        f"Message-ID: {msgid}\r\n\r\nbody\r\n"
    ).encode()


async def metas(client: MetadataClient, user_id: str, mbid: str) -> list[messages_pb.MessageMeta]:
    r = await client.messages.FetchMessages(messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=mbid))
    return list(r.messages)


async def test_ids_assigned_at_deliver_and_append(world: World) -> None:
    d1 = (await world.deliver(mail("one", "<1@x>"))).delivered[0]
    d2 = (await world.deliver(mail("two", "<2@x>"))).delivered[0]
    assert OBJECTID.match(d1.email_id) and OBJECTID.match(d1.thread_id)
    assert d1.email_id != d2.email_id and d1.thread_id != d2.thread_id
    raw = mail("three", "<3@x>")
    ap = await world.client.messages.Append(
        messages_pb.AppendRequest(
            user_id=world.user.id, mailbox="INBOX", blob_id=await world.put(raw), size=len(raw), summary=summary(raw)
        )
    )
    assert OBJECTID.match(ap.email_id) and ap.email_id not in (d1.email_id, d2.email_id)
    got = await metas(world.client, world.user.id, d1.mailbox_id)
    assert [(m.email_id, m.thread_id) for m in got] == [
        (d1.email_id, d1.thread_id),
        (d2.email_id, d2.thread_id),
        (ap.email_id, ap.thread_id),
    ]
    # an idempotent retry answers the same ids
    again = await world.deliver(mail("two", "<2@x>"), idempotency_key="k2")
    retry = await world.deliver(mail("two", "<2@x>"), idempotency_key="k2")
    assert retry.delivered[0].email_id == again.delivered[0].email_id != ""


async def test_copy_and_move_keep_ids(world: World) -> None:
    c, uid = world.client, world.user.id
    d = (await world.deliver(mail("keep", "<k@x>"))).delivered[0]
    await c.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="A"))
    await c.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="B"))
    cp = await c.messages.CopyMessages(
        messages_pb.CopyMessagesRequest(user_id=uid, mailbox_id=d.mailbox_id, uids=[R(lo=1, hi=1)], destination="A")
    )
    a = await world.mailbox("A")
    copied = cp.destination_uids[0]
    mv = await c.messages.MoveMessages(
        messages_pb.MoveMessagesRequest(user_id=uid, mailbox_id=a.id, uids=[R(lo=copied, hi=copied)], destination="B")
    )
    b = await world.mailbox("B")
    inbox = await metas(c, uid, d.mailbox_id)
    moved = await metas(c, uid, b.id)
    assert await metas(c, uid, a.id) == []
    assert [(m.email_id, m.thread_id) for m in inbox] == [(d.email_id, d.thread_id)]
    assert [(m.email_id, m.thread_id) for m in moved] == [(d.email_id, d.thread_id)]
    assert moved[0].uid == mv.destination_uids[0]
    # SEARCH EMAILID / THREADID
    s = await c.messages.Search(
        messages_pb.SearchRequest(user_id=uid, mailbox_id=b.id, key=messages_pb.SearchKey(email_id=d.email_id))
    )
    assert list(s.uids) == [moved[0].uid]
    s = await c.messages.Search(
        messages_pb.SearchRequest(user_id=uid, mailbox_id=b.id, key=messages_pb.SearchKey(thread_id="T999999"))
    )
    assert list(s.uids) == []


async def test_rename_keeps_mailbox_id_and_inbox_rename_keeps_message_ids(world: World) -> None:
    c, uid = world.client, world.user.id
    await c.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="Old"))
    before = await world.mailbox("Old")
    await c.mailboxes.RenameMailbox(mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="Old", new_name="New"))
    assert (await world.mailbox("New")).id == before.id
    d = (await world.deliver(mail("inbox", "<i@x>"))).delivered[0]
    await c.mailboxes.RenameMailbox(mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="INBOX", new_name="Saved"))
    saved = await world.mailbox("Saved")
    assert [(m.email_id, m.thread_id) for m in await metas(c, uid, saved.id)] == [(d.email_id, d.thread_id)]
    assert (await world.mailbox()).id == d.mailbox_id  # INBOX keeps its id, the new mailbox gets one


async def test_threading(world: World) -> None:
    async def tid(raw: bytes) -> str:
        return (await world.deliver(raw)).delivered[0].thread_id

    parent = await tid(mail("Plans for Friday", "<p@x>"))
    reply = await tid(mail("Re: Plans for Friday", "<r@x>", irt="<p@x>"))
    deeper = await tid(mail("RE: [team] Fwd: plans  for friday", "<d@x>", refs="<p@x> <r@x>"))
    same_subject_unrelated = await tid(mail("Plans for Friday", "<u@x>"))
    changed_subject = await tid(mail("Re: something else", "<c@x>", irt="<p@x>"))
    reply_to_changed = await tid(mail("Re: something else", "<c2@x>", refs="<p@x> <c@x>"))
    unknown_ref = await tid(mail("Re: Plans for Friday", "<n@x>", irt="<never-seen@x>"))
    assert reply == parent and deeper == parent
    assert len({parent, same_subject_unrelated, changed_subject, unknown_ref}) == 4
    assert reply_to_changed == changed_subject
    # a reply that arrives before its parent: the parent does not join it later (only earlier
    # messages are looked at)
    early = await tid(mail("Re: late", "<e@x>", irt="<late@x>"))
    late = await tid(mail("late", "<late@x>"))
    assert early != late
    # the same Message-ID again (a second copy of one message) joins its thread
    assert await tid(mail("Plans for Friday", "<p@x>")) == parent
    # the thread map lives under the user's hash tag
    r = redis_of(world.handle)
    assert r.hlen(keys.user(world.user.id).thread_map) >= 8


async def test_ids_survive_a_metadata_restart(backend_env: dict[str, str]) -> None:
    h: MetadataHandle = _start_metadata(backend_env)
    try:
        async for w in make_world(h):
            d = (await w.deliver(mail("persist", "<s@x>"))).delivered[0]
            user_id = w.user.id
    finally:
        _stop_metadata(h)
    h = _start_metadata(backend_env)
    client = MetadataClient(h.addr, timeout=20)
    try:
        got = await metas(client, user_id, d.mailbox_id)
        assert [(m.email_id, m.thread_id) for m in got] == [(d.email_id, d.thread_id)]
        mb = await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX"))
        assert mb.mailbox.id == d.mailbox_id
        # the counters are stored too: a new message after the restart gets a new id
        raw = mail("persist", "<s2@x>", irt="<s@x>")
        ap = await client.messages.Append(
            messages_pb.AppendRequest(
                user_id=user_id,
                mailbox="INBOX",
                blob_id=got[0].blob_id,
                size=got[0].size,
                summary=summary(raw),
            )
        )
        assert ap.email_id != d.email_id and ap.thread_id == d.thread_id
    finally:
        await client.close()
        _stop_metadata(h)


async def test_message_stored_before_ids_has_none_and_copies_keep_none(world: World) -> None:
    c, uid = world.client, world.user.id
    d = (await world.deliver(mail("legacy", "<l@x>"))).delivered[0]
    r = redis_of(world.handle)
    r.hdel(keys.user(uid).message(d.mailbox_id, d.uid), "e", "t")  # as written before this change
    assert [(m.email_id, m.thread_id) for m in await metas(c, uid, d.mailbox_id)] == [("", "")]
    await c.messages.CopyMessages(
        messages_pb.CopyMessagesRequest(user_id=uid, mailbox_id=d.mailbox_id, uids=[R(lo=1, hi=1)], destination="INBOX")
    )
    assert [(m.email_id, m.thread_id) for m in await metas(c, uid, d.mailbox_id)] == [("", ""), ("", "")]
