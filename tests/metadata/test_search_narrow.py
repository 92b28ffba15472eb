"""Search narrowed to a UID set (the IMAP CONTEXT=SEARCH update path): an AND holding closed UID
ranges reads only those messages, and "*" elsewhere in the key is still the mailbox's largest
UID, not the largest candidate."""

from __future__ import annotations

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.metadata.conftest import World, message

R = types_pb.UidRange


def _and(*keys: messages_pb.SearchKey) -> messages_pb.SearchKey:
    return messages_pb.SearchKey(**{"and": messages_pb.SearchKeys(keys=list(keys))})


def _uids(*rs: tuple[int, int]) -> messages_pb.SearchKey:
    return messages_pb.SearchKey(uids=types_pb.UidSet(ranges=[R(lo=lo, hi=hi) for lo, hi in rs]))


async def test_narrowed_search(world: World) -> None:
    for i in range(6):
        await world.deliver(message(f"s{i}"), flags=("\\Seen",) if i % 2 else ())
    mb = await world.mailbox()

    async def search(key: messages_pb.SearchKey) -> list[int]:
        resp = await world.client.messages.Search(
            messages_pb.SearchRequest(user_id=world.user.id, mailbox_id=mb.id, key=key)
        )
        return list(resp.uids)

    unseen = messages_pb.SearchKey(no_flag="\\Seen")
    assert await search(_and(_uids((1, 2), (5, 6)), unseen)) == [1, 5]
    assert await search(
        _and(_uids((2, 4)), messages_pb.SearchKey(header=messages_pb.HeaderMatch(field="subject", value="s2")))
    ) == [3]
    # "10:*" is 6:10 with 6 messages: uid 3 is outside it even though it is the largest candidate
    assert await search(_and(_uids((1, 3)), _uids((10, 0)))) == []
    assert await search(_and(_uids((1, 6)), _uids((10, 0)))) == [6]
