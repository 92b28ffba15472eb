"""MailboxesService ACL RPCs and the storage layout of decision 0017: the ACL on the owner's
slot keyed by mailbox id (follows RENAME, gone with DELETE), the grantee's hint on the
grantee's slot, stale hints dropped when read, rights canonical."""

from __future__ import annotations

from services.gen.kubemail.v1 import mailboxes_pb2 as pb
from tests.fixtures.seed import seed_user
from tests.metadata.conftest import World, redis_of


async def test_layout_rename_delete_and_stale_hints(world: World) -> None:
    w = world
    owner = w.user.id
    carol = await seed_user(w.client, "carol@example.test")
    await w.client.mailboxes.CreateMailbox(pb.CreateMailboxRequest(user_id=owner, name="Team"))
    req = pb.SetAclRequest(user_id=owner, mailbox="Team", identifier="carol@example.test", rights="rld")
    assert (await w.client.mailboxes.SetAcl(req)).rights == "lrxte"  # d = x t e (RFC 4314 2.1.1)
    add = pb.SetAclRequest(
        user_id=owner, mailbox="Team", identifier="carol@example.test", rights="w", mode=pb.SetAclRequest.MODE_ADD
    )
    assert (await w.client.mailboxes.SetAcl(add)).rights == "lrwxte"
    r = redis_of(w.handle)
    mbid = (await w.client.mailboxes.GetMailbox(pb.GetMailboxRequest(user_id=owner, name="Team"))).mailbox.id
    assert r.hgetall("{u:" + owner + "}:acl:" + mbid) == {carol.id.encode(): b"lrwxte"}
    assert r.hkeys("{u:" + carol.id + "}:shared") == [f"{owner}:{mbid}".encode()]
    await w.client.mailboxes.RenameMailbox(pb.RenameMailboxRequest(user_id=owner, old_name="Team", new_name="Crew"))
    shared = (await w.client.mailboxes.ListShared(pb.ListSharedRequest(user_id=carol.id))).mailboxes
    assert [(m.owner_address, m.mailbox.name, m.rights) for m in shared] == [("bob@example.test", "Crew", "lrwxte")]
    acl = (await w.client.mailboxes.GetAcl(pb.GetAclRequest(user_id=owner, mailbox="Crew"))).entries
    assert [(e.identifier, e.rights) for e in acl] == [
        ("bob@example.test", "lrswipkxtea"),
        ("carol@example.test", "lrwxte"),
    ]
    await w.client.mailboxes.DeleteMailbox(pb.DeleteMailboxRequest(user_id=owner, name="Crew"))
    assert not r.exists("{u:" + owner + "}:acl:" + mbid)
    # the hint is still there (another slot) until it is read: then it is found stale and dropped
    assert r.hlen("{u:" + carol.id + "}:shared") == 1
    assert not (await w.client.mailboxes.ListShared(pb.ListSharedRequest(user_id=carol.id))).mailboxes
    assert r.hlen("{u:" + carol.id + "}:shared") == 0
