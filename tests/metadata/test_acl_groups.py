"""The per-domain hint set of mailboxes shared with "anyone" / "authenticated" (decision 0017) on
the real metadata service: SetAcl keeps it in step with the owner's ACL, it is bounded
(acl.MAX_DOMAIN_SHARED), and ListShared verifies every entry against the ACL."""

from __future__ import annotations

import grpc
import pytest

from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mb_pb
from services.metadata import acl, keys
from tests.fixtures.seed import seed_user
from tests.metadata.conftest import World, redis_of


async def _share(world: World, owner: str, name: str, ident: str, rights: str) -> None:
    await world.client.mailboxes.SetAcl(
        mb_pb.SetAclRequest(user_id=owner, mailbox=name, identifier=ident, rights=rights)
    )


async def _listed(world: World, user_id: str) -> list[str]:
    resp = await world.client.mailboxes.ListShared(mb_pb.ListSharedRequest(user_id=user_id))
    return sorted(m.mailbox.name for m in resp.mailboxes)


async def test_the_domain_set_is_bounded_and_follows_the_acl(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(acl, "MAX_DOMAIN_SHARED", 2)
    alice = await seed_user(world.client, "alice@example.test", "pw")
    for name in ("A", "B", "C"):
        await world.client.mailboxes.CreateMailbox(mb_pb.CreateMailboxRequest(user_id=alice.id, name=name))
    await _share(world, alice.id, "A", "anyone", "lr")
    await _share(world, alice.id, "B", "authenticated", "lr")
    r = redis_of(world.handle)
    index = keys.domain_shared("example.test")
    assert r.scard(index) == 2
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await _share(world, alice.id, "C", "anyone", "lr")
    assert reason_of(exc.value) == er.ERROR_REASON_INVALID_ARGUMENT
    # a second group entry on a listed mailbox takes no new room
    await _share(world, alice.id, "A", "authenticated", "r")
    assert r.scard(index) == 2
    assert await _listed(world, world.user.id) == ["A", "B"]
    assert r.hlen(keys.user(world.user.id).shared) == 0  # no per-grantee hint was written
    # one group entry removed: still listed (the other stands); both removed: gone from the set
    await _share(world, alice.id, "A", "anyone", "")
    assert r.scard(index) == 2
    await _share(world, alice.id, "A", "authenticated", "")
    assert r.scard(index) == 1
    await _share(world, alice.id, "C", "anyone", "lr")
    assert await _listed(world, world.user.id) == ["B", "C"]
    # a stale entry (the ACL changed behind the set's back) is dropped on read
    r.hdel(keys.user(alice.id).acl((await world.mailbox("B", alice.id)).id), "authenticated")
    assert await _listed(world, world.user.id) == ["C"]
    assert r.scard(index) == 1
    # the owner does not list their own mailboxes as shared; another domain never sees them
    assert await _listed(world, alice.id) == []
    dave = await seed_user(world.client, "dave@other.test", "pw")
    assert await _listed(world, dave.id) == []
