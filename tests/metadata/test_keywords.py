"""The per-mailbox keyword list: kept by Deliver/Append/StoreFlags/Copy/Move, bounded,
exposed on Mailbox (GetMailbox) as keywords / keywords_full."""

from __future__ import annotations

import grpc
import pytest

from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata.lua import MAX_KEYWORDS
from tests.metadata.conftest import World, message, summary

R = types_pb.UidRange


async def _store(world: World, mb: mailboxes_pb.Mailbox, flags: list[str], uids: tuple[int, int] = (1, 0)) -> None:
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id,
            mailbox_id=mb.id,
            uids=[R(lo=uids[0], hi=uids[1])],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=flags,
        )
    )


async def _append(world: World, flags: list[str], mailbox: str = "INBOX") -> messages_pb.AppendResponse:
    raw = message("appended")
    return await world.client.messages.Append(  # type: ignore[no-any-return]
        messages_pb.AppendRequest(
            user_id=world.user.id,
            mailbox=mailbox,
            blob_id=await world.put(raw),
            size=len(raw),
            summary=summary(raw),
            flags=flags,
        )
    )


async def test_keywords_follow_deliver_append_store_copy_move(world: World) -> None:
    mb = await world.mailbox()
    assert list(mb.keywords) == [] and not mb.keywords_full
    await world.deliver(message("a"), flags=("\\Seen", "$Label1"))
    await _append(world, ["$Junk", "\\Flagged"])
    await _store(world, await world.mailbox(), ["Work", "\\Answered"])
    mb = await world.mailbox()
    assert list(mb.keywords) == ["$Junk", "$Label1", "Work"]  # sorted, never system flags
    # removing a keyword keeps it in the list ("ever used"); a STORE that touches nothing adds none
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=1, hi=0)],
            mode=messages_pb.StoreFlagsRequest.MODE_REMOVE,
            flags=["Work"],
        )
    )  # fmt: skip
    await _store(world, mb, ["Unused"], uids=(50, 60))
    assert list((await world.mailbox()).keywords) == ["$Junk", "$Label1", "Work"]
    # copy and move carry the source messages' keywords to the destination's list
    for name in ("Dst", "Moved"):
        await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name=name))
    await world.client.messages.CopyMessages(
        messages_pb.CopyMessagesRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=1, hi=1)], destination="Dst"
        )
    )
    assert list((await world.mailbox("Dst")).keywords) == ["$Label1"]
    await world.client.messages.MoveMessages(
        messages_pb.MoveMessagesRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=2, hi=2)], destination="Moved"
        )
    )
    assert list((await world.mailbox("Moved")).keywords) == ["$Junk"]  # "Work" was removed above
    # deleting and re-creating a mailbox starts a fresh list
    await world.client.mailboxes.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=world.user.id, name="Dst"))
    await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name="Dst"))
    assert list((await world.mailbox("Dst")).keywords) == []
    # ListMailboxes does not carry them (GetMailbox only)
    listed = await world.client.mailboxes.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=world.user.id))
    assert all(not m.keywords for m in listed.mailboxes)


async def test_keyword_limit(world: World) -> None:
    await world.deliver(message("a"))
    mb = await world.mailbox()
    # fill to exactly the limit, 50 new keywords per STORE
    for start in range(0, MAX_KEYWORDS, 50):
        await _store(world, mb, [f"k{i}" for i in range(start, start + 50)])
    mb = await world.mailbox()
    assert len(mb.keywords) == MAX_KEYWORDS and mb.keywords_full
    ms = mb.highest_modseq
    # a new keyword: STORE fails with a clear error and changes nothing
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await _store(world, mb, ["\\Flagged", "brand-new"])
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "too many keywords" in (e.value.details() or "")
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_KEYWORD_LIMIT
    after = await world.mailbox()
    assert after.highest_modseq == ms and "brand-new" not in after.keywords
    # known keywords and system flags still work
    await _store(world, mb, ["k7", "\\Flagged"])
    # Append of a new keyword fails before anything is written
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await _append(world, ["brand-new"])
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_KEYWORD_LIMIT
    assert (await world.mailbox()).messages == 1
    # Deliver never fails over keywords: the message arrives without the one that does not fit
    res = await world.deliver(message("b"), flags=("k1", "brand-new", "\\Seen"))
    uid = res.delivered[0].uid
    got = await world.client.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=uid, hi=uid)], flags_only=True
        )
    )
    assert list(got.messages[0].flags) == ["k1", "\\Seen"]
    # COPY into a full mailbox of a message with a keyword it does not know: refused whole
    await world.client.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=world.user.id, name="Other"))
    await _append(world, ["other-kw"], mailbox="Other")
    other = await world.mailbox("Other")
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.client.messages.CopyMessages(
            messages_pb.CopyMessagesRequest(
                user_id=world.user.id, mailbox_id=other.id, uids=[R(lo=1, hi=0)], destination="INBOX"
            )
        )
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_KEYWORD_LIMIT
    assert (await world.mailbox()).messages == 2
    assert len((await world.mailbox()).keywords) == MAX_KEYWORDS
