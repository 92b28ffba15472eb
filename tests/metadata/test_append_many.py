"""AppendMany (IMAP MULTIAPPEND, RFC 3502): all items in one commit, in order, each with its
own EMAILID and THREADID (a later item can thread under an earlier one of the same call);
refusals (quota for the sum, a missing mailbox, keyword room for the union) store nothing and
release the blob references; a retry with the same key returns the first result."""

from __future__ import annotations

import grpc
import pytest

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.metadata import keys
from tests.metadata.conftest import World, message, redis_of, summary


async def _items(world: World, raws: list[bytes], flags: list[str] | None = None) -> list[messages_pb.AppendItem]:
    out = []
    for raw in raws:
        blob = await world.put(raw)
        out.append(messages_pb.AppendItem(blob_id=blob, size=len(raw), summary=summary(raw), flags=flags or []))
    return out


def _req(
    world: World, items: list[messages_pb.AppendItem], key: str = "", mailbox: str = "INBOX"
) -> messages_pb.AppendManyRequest:
    return messages_pb.AppendManyRequest(user_id=world.user.id, mailbox=mailbox, items=items, idempotency_key=key)


async def test_append_many_in_order_with_object_ids(world: World) -> None:
    first = message("topic", extra="Message-ID: <a@x>\r\n")
    reply = message("Re: topic", extra="Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\n")
    other = message("else")
    items = await _items(world, [first, reply, other], ["\\Seen"])
    resp = await world.client.messages.AppendMany(_req(world, items, "k1"))
    got = list(resp.appended)
    assert [a.uid for a in got] == [1, 2, 3]
    assert len({a.email_id for a in got}) == 3
    assert got[0].thread_id == got[1].thread_id != got[2].thread_id
    mb = await world.mailbox()
    assert (mb.messages, mb.unseen) == (3, 0)
    again = await world.client.messages.AppendMany(_req(world, items, "k1"))  # a retry: no second copy
    assert list(again.appended) == got
    assert (await world.mailbox()).messages == 3
    r = redis_of(world.handle)
    assert [int(r.hget(keys.blob(i.blob_id), "refs")) for i in items] == [1, 1, 1]


async def test_append_many_refusals_store_nothing(world: World) -> None:
    await world.client.directory.UpsertUser(
        directory_pb.UpsertUserRequest(
            user=directory_pb.User(address=world.user.address, quota_bytes=1000, enabled=True)
        )
    )
    items = await _items(world, [message("a", "x" * 600), message("b", "y" * 600)])
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.client.messages.AppendMany(_req(world, items))
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_QUOTA_EXCEEDED
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.client.messages.AppendMany(_req(world, items[:1], mailbox="Missing"))
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_NO_SUCH_MAILBOX
    mb = await world.mailbox()
    assert mb.messages == 0 and (await world.quota()).used_bytes == 0
    r = redis_of(world.handle)
    assert [int(r.hget(keys.blob(i.blob_id), "refs") or 0) for i in items] == [0, 0]
