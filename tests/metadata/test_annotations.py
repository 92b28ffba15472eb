"""MailboxesService.Get/SetMetadata (RFC 5464 entries): the service enforces the limits itself
(typed reasons METADATA_TOO_LARGE / METADATA_TOO_MANY, nothing written), validates names, keys
entries by mailbox id under the user's hash tag, and drops them with the mailbox and the user."""

from __future__ import annotations

import grpc
import pytest

from services.common import metaentries
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as pb
from tests.metadata.conftest import World, redis_of


def entry(name: str, value: bytes | None) -> pb.MetadataEntry:
    return pb.MetadataEntry(name=name) if value is None else pb.MetadataEntry(name=name, value=value)


async def set_(w: World, mailbox: str, *entries: pb.MetadataEntry) -> None:
    await w.client.mailboxes.SetMetadata(pb.SetMetadataRequest(user_id=w.user.id, mailbox=mailbox, entries=entries))


async def get(w: World, mailbox: str, *names: str, depth: int = 0, max_size: int = 0) -> pb.GetMetadataResponse:
    return await w.client.mailboxes.GetMetadata(  # type: ignore[no-any-return]
        pb.GetMetadataRequest(user_id=w.user.id, mailbox=mailbox, entries=names, depth=depth, max_size=max_size)
    )


async def expect(reason: int, aw: object) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await aw  # type: ignore[misc]
    assert reason_of(exc.value) == reason, exc.value


async def test_limits_are_enforced_by_the_service(world: World) -> None:
    w = world
    big = b"x" * (metaentries.MAX_VALUE + 1)
    await expect(er.ERROR_REASON_METADATA_TOO_LARGE, set_(w, "", entry("/private/a", b"1"), entry("/private/b", big)))
    assert not (await get(w, "", "/private/a")).entries
    many = [entry(f"/shared/n{i}", b"v") for i in range(metaentries.MAX_PER_COMMAND)]
    await set_(w, "INBOX", *many)
    await set_(w, "INBOX", *[entry(f"/shared/m{i}", b"v") for i in range(metaentries.MAX_ENTRIES - len(many))])
    await expect(er.ERROR_REASON_INVALID_ARGUMENT, set_(w, "INBOX", entry("/private/*", b"1")))
    await expect(
        er.ERROR_REASON_METADATA_TOO_MANY, set_(w, "INBOX", entry("/shared/n0", b"changed"), entry("/shared/z", b""))
    )
    got = await get(w, "INBOX", "/shared/n0")
    assert [(e.name, e.value) for e in got.entries] == [("/shared/n0", b"v")]
    await expect(er.ERROR_REASON_INVALID_ARGUMENT, get(w, "INBOX", "/private/x", depth=2))
    await expect(er.ERROR_REASON_NO_SUCH_MAILBOX, get(w, "Nope", "/private/x"))


async def test_keys_follow_the_mailbox_id_and_go_with_it(world: World) -> None:
    w = world
    await w.client.mailboxes.CreateMailbox(pb.CreateMailboxRequest(user_id=w.user.id, name="A"))
    await set_(w, "A", entry("/Private/Note", b"note"))
    r = redis_of(w.handle)
    keys = [k.decode() for k in r.scan_iter(match="*md:*")]
    assert len(keys) == 1 and keys[0].startswith("{u:" + w.user.id + "}:md:"), keys
    assert r.hgetall(keys[0]) == {b"/private/note": b"note"}
    await w.client.mailboxes.RenameMailbox(pb.RenameMailboxRequest(user_id=w.user.id, old_name="A", new_name="B"))
    got = await get(w, "B", "/private", depth=metaentries.DEPTH_INFINITY, max_size=0)
    assert [(e.name, e.value) for e in got.entries] == [("/private/note", b"note")]
    skipped = await get(w, "B", "/private/note", max_size=1)
    assert not skipped.entries and list(skipped.skipped) == ["/private/note"] and skipped.longest_skipped == 4
    await w.client.mailboxes.DeleteMailbox(pb.DeleteMailboxRequest(user_id=w.user.id, name="B"))
    assert not r.exists(keys[0])
