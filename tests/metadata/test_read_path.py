"""The IMAP read path: FetchMessages (one script, flags_only, limit/next_uid, ranges,
changed_since) and ListUids (packed UIDs, first_unseen) against a Python model."""

from __future__ import annotations

import random

import grpc
import pytest

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.metadata.conftest import World, message

R = types_pb.UidRange


async def _mailbox_with(world: World, n: int) -> mailboxes_pb.Mailbox:
    for i in range(n):
        await world.deliver(message(f"m{i}"), flags=("\\Seen",) if i % 3 == 0 else ("$K1",) if i % 3 == 1 else ())
    return await world.mailbox()


async def _fetch(world: World, mb: mailboxes_pb.Mailbox, **kw: object) -> messages_pb.FetchMessagesResponse:
    return await world.client.messages.FetchMessages(  # type: ignore[no-any-return]
        messages_pb.FetchMessagesRequest(user_id=world.user.id, mailbox_id=mb.id, **kw)  # type: ignore[arg-type]
    )


async def test_flags_only_matches_full_meta(world: World) -> None:
    mb = await _mailbox_with(world, 7)
    full = await _fetch(world, mb, include_summary=True)
    slim = await _fetch(world, mb, flags_only=True, include_summary=True)
    assert [m.uid for m in full.messages] == list(range(1, 8))
    assert [(m.uid, m.modseq, list(m.flags)) for m in slim.messages] == [
        (m.uid, m.modseq, list(m.flags)) for m in full.messages
    ]
    # flags_only carries nothing else; the full answer has everything
    assert all(not m.blob_id and not m.size and not m.HasField("summary") for m in slim.messages)
    assert all(len(m.blob_id) == 64 and m.size > 0 and m.summary.size == m.size for m in full.messages)
    assert list(full.messages[1].flags) == ["$K1"] and list(full.messages[2].flags) == []
    meta = await _fetch(world, mb)  # without summary
    assert [(m.uid, m.blob_id, m.size, m.internal_date) for m in meta.messages] == [
        (m.uid, m.blob_id, m.size, m.internal_date) for m in full.messages
    ]
    assert not any(m.HasField("summary") for m in meta.messages)


def _rows(cols: messages_pb.FlagColumns) -> list[tuple[int, int, list[str]]]:
    assert len(cols.uids) == len(cols.modseqs) == len(cols.flag_set)
    return [(u, m, list(cols.sets[x].flags)) for u, m, x in zip(cols.uids, cols.modseqs, cols.flag_set, strict=True)]


async def test_flag_columns_match_the_messages(world: World) -> None:
    """#14: FetchMessages(flags_only, columns) answers packed columns with each distinct flag
    list once; the same rows as the message objects, also with changed_since."""
    mb = await _mailbox_with(world, 9)
    slim = await _fetch(world, mb, flags_only=True)
    cols = await _fetch(world, mb, flags_only=True, columns=True)
    assert _rows(cols.columns) == [(m.uid, m.modseq, list(m.flags)) for m in slim.messages]
    assert len(slim.messages) == 9 and not cols.messages
    assert sorted(tuple(fs.flags) for fs in cols.columns.sets) == [(), ("$K1",), ("\\Seen",)]
    before = (await world.mailbox()).highest_modseq
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=4, hi=5)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD, flags=["\\Flagged"],
        )
    )  # fmt: skip
    changed = await _fetch(world, mb, flags_only=True, columns=True, changed_since=before)
    assert [(u, f) for u, _, f in _rows(changed.columns)] == [(4, ["\\Seen", "\\Flagged"]), (5, ["$K1", "\\Flagged"])]
    empty = await _fetch(world, mb, flags_only=True, columns=True, uids=[R(lo=100, hi=200)])
    assert _rows(empty.columns) == [] and not empty.columns.sets


async def test_ranges_limit_and_next_uid_follow_the_model(world: World) -> None:
    mb = await _mailbox_with(world, 12)
    # holes: expunge 3, 4 and 9
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id,
            mailbox_id=mb.id,
            uids=[R(lo=3, hi=4), R(lo=9, hi=9)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Deleted"],
        )
    )
    await world.client.messages.Expunge(messages_pb.ExpungeRequest(user_id=world.user.id, mailbox_id=mb.id))
    present = [u for u in range(1, 13) if u not in (3, 4, 9)]
    rnd = random.Random(7)
    for _ in range(25):
        ranges = []
        for _ in range(rnd.randint(1, 4)):
            lo, hi = rnd.randint(1, 14), rnd.choice([0, rnd.randint(1, 14)])
            ranges.append((lo, hi))
        limit = rnd.choice([0, 1, 2, 5])
        want: set[int] = set()
        for lo, hi in ranges:
            a, b = lo, (hi or 12)
            a, b = min(a, b), max(a, b)
            want.update(u for u in present if a <= u <= b)
        # "n:*" with n above the largest UID still matches the largest UID (RFC 3501)
        want.update(12 for lo, hi in ranges if hi == 0 and lo > 12)
        expect = sorted(want)
        got = await _fetch(world, mb, uids=[R(lo=lo, hi=hi) for lo, hi in ranges], limit=limit, flags_only=True)
        cap = limit or 5000
        assert [m.uid for m in got.messages] == expect[:cap], (ranges, limit)
        assert got.next_uid == (expect[cap] if len(expect) > cap else 0), (ranges, limit)
        cols = await _fetch(
            world, mb, uids=[R(lo=lo, hi=hi) for lo, hi in ranges], limit=limit, flags_only=True, columns=True
        )
        assert _rows(cols.columns) == [(m.uid, m.modseq, list(m.flags)) for m in got.messages], (ranges, limit)
        assert cols.next_uid == got.next_uid and not cols.messages


async def test_changed_since_with_ranges(world: World) -> None:
    mb = await _mailbox_with(world, 6)
    before = (await world.mailbox()).highest_modseq
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id,
            mailbox_id=mb.id,
            uids=[R(lo=2, hi=2), R(lo=5, hi=6)],
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Flagged"],
        )
    )
    got = await _fetch(world, mb, changed_since=before, flags_only=True)
    assert [m.uid for m in got.messages] == [2, 5, 6]
    assert all(m.modseq > before and "\\Flagged" in m.flags for m in got.messages)
    got = await _fetch(world, mb, changed_since=before, uids=[R(lo=6, hi=0), R(lo=1, hi=2)])
    assert [m.uid for m in got.messages] == [2, 6]
    got = await _fetch(world, mb, changed_since=before, limit=2)
    assert [m.uid for m in got.messages] == [2, 5] and got.next_uid == 6


async def test_empty_mailbox_and_unknown_mailbox(world: World) -> None:
    mb = await world.mailbox()
    assert list((await _fetch(world, mb)).messages) == []
    assert list((await _fetch(world, mb, uids=[R(lo=1, hi=0)], flags_only=True)).messages) == []
    lu = await world.client.messages.ListUids(messages_pb.ListUidsRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert list(lu.uids) == [] and lu.first_unseen == 0 and lu.uidnext == 1
    for call in (
        _fetch(world, mailboxes_pb.Mailbox(id="999")),
        world.client.messages.ListUids(messages_pb.ListUidsRequest(user_id=world.user.id, mailbox_id="999")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await call
        assert e.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_uids_packed_with_first_unseen(world: World) -> None:
    mb = await _mailbox_with(world, 5)  # 1 and 4 are \Seen
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=2, hi=2)], mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Seen"],
        )
    )  # fmt: skip
    await world.client.messages.Expunge(
        messages_pb.ExpungeRequest(user_id=world.user.id, mailbox_id=mb.id, uids=[R(lo=3, hi=3)])
    )
    lu = await world.client.messages.ListUids(messages_pb.ListUidsRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert list(lu.uids) == [1, 2, 4, 5]
    assert lu.first_unseen == 5
    after = await world.mailbox()
    assert (lu.uidvalidity, lu.uidnext, lu.highest_modseq) == (after.uidvalidity, 6, after.highest_modseq)
