"""Access control lists (RFC 4314) and the check of every call made for another user.

An ACL belongs to the owner's mailbox (P acl:<mailbox id> on the owner's hash slot: the source of
truth, so it follows RENAME and dies with DELETE). The grantee's P shared hash is a hint written
after it ("mailboxes shared with me", for LIST), verified against the owner's ACL whenever it is
read; each write touches one slot (invariant 3, docs/decisions/0017-acl-across-hash-slots.md).

:meth:`Acl.check` runs before every per-user method (services.metadata.server) when the call
carries an actor (services.common.actor) other than the request's user_id: only the methods in
:data:`NEEDS` may act on another user's mailbox, with the rights listed there."""

from __future__ import annotations

from typing import Any

from services.common.actor import ACTOR
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.directory import DirectoryData
from services.metadata.errors import Fail, invalid
from services.metadata.mailboxes_data import MailboxData
from services.metadata.store import Store

RIGHTS = "lrswipkxtea"
_OBSOLETE = {"c": "k", "d": "xte"}  # RFC 4314 2.1.1
MAX_GRANTEES = 100  # per mailbox

# method -> the rights the actor needs on the target mailbox ("" = any right; StoreFlags: by flag)
NEEDS: dict[str, str] = {
    "GetMailbox": "r",
    "ListUids": "r",
    "FetchMessages": "r",
    "Search": "r",
    "GetChanges": "r",
    "ClaimRecent": "r",
    "GetMetadata": "r",
    "SetMetadata": "w",
    "StoreFlags": "",
    "Expunge": "e",
    "Append": "i",
    "AppendMany": "i",
    "GetAcl": "a",
    "SetAcl": "a",
    "MyRights": "",
}
_MAILBOX_FIELDS = ("mailbox_id", "name", "mailbox")


def canonical(rights: str) -> str:
    """Rights in RIGHTS order, the obsolete c / d mapped; INVALID_ARGUMENT for unknown letters."""
    got: set[str] = set()
    for ch in rights:
        if ch in RIGHTS:
            got.add(ch)
        elif ch in _OBSOLETE:
            got.update(_OBSOLETE[ch])
        else:
            raise invalid(f"unknown right {ch[:1]!r}")
    return "".join(ch for ch in RIGHTS if ch in got)


def _store_needs(req: messages_pb.StoreFlagsRequest) -> str:
    if req.mode == messages_pb.StoreFlagsRequest.MODE_REPLACE:
        return "stw"
    need = set()
    for f in req.flags:
        need.add({"\\seen": "s", "\\deleted": "t"}.get(f.lower(), "w"))
    return "".join(sorted(need))


class Acl:
    def __init__(self, store: Store, directory: DirectoryData, data: MailboxData) -> None:
        self.store = store
        self.dir = directory
        self.data = data

    async def mailbox_id(self, owner: str, name: str) -> str:
        mbid = await self.store.timed("mbx_get", self.store.r.hget(keys.user(owner).mbx, v.mailbox_name(name)))
        if mbid is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        return str(mbid.decode())

    async def rights(self, owner: str, mbid: str, actor: str) -> str:
        if not actor or actor == owner:
            return RIGHTS
        raw = await self.store.timed("acl_get", self.store.r.hget(keys.user(owner).acl(mbid), actor))
        return raw.decode() if raw else ""

    async def _target(self, request: Any, owner: str) -> str:
        fields = request.DESCRIPTOR.fields_by_name
        if "mailbox_id" in fields and request.mailbox_id:
            return v.mailbox_id(request.mailbox_id)
        for f in ("name", "mailbox"):
            if f in fields:
                name = getattr(request, f)
                if not name and isinstance(request, messages_pb.AppendRequest):
                    name = "INBOX"
                if not name:
                    raise Fail(er.ERROR_REASON_PERMISSION_DENIED, "not allowed on another user's server entries")
                return await self.mailbox_id(owner, name)
        raise Fail(er.ERROR_REASON_PERMISSION_DENIED, "no mailbox named")

    async def check(self, method: str, request: Any, actor: str) -> None:
        """Raises unless `actor` may make this call (see the module doc)."""
        owner = getattr(request, "user_id", "")
        if not actor or not owner or actor == owner:
            return
        need = NEEDS.get(method)
        if need is None:
            raise Fail(er.ERROR_REASON_PERMISSION_DENIED, f"{method} is not allowed on another user's data")
        v.user_id(owner)
        if method == "StoreFlags":
            need = _store_needs(request)
        mbid = await self._target(request, owner)
        rights = await self.rights(owner, mbid, actor)
        if not rights:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        missing = "".join(ch for ch in need if ch not in rights)
        if missing:
            raise Fail(er.ERROR_REASON_PERMISSION_DENIED, f"right {missing} required")

    # -- the RPCs -------------------------------------------------------------------
    async def set(self, req: mailboxes_pb.SetAclRequest) -> mailboxes_pb.SetAclResponse:
        owner = await self.dir.require_user(req.user_id)
        rights = canonical(req.rights)
        grantee = await self.dir.user_id_by_address(v.address(req.identifier))
        if grantee is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_USER, "no such user")
        if grantee == owner.id:
            raise invalid("the owner's rights cannot be changed")
        mode = {
            mailboxes_pb.SetAclRequest.MODE_ADD: "a",
            mailboxes_pb.SetAclRequest.MODE_REMOVE: "d",
        }.get(req.mode, "r")
        mbid = await self.mailbox_id(owner.id, req.mailbox)
        k = keys.user(owner.id)
        if await self.store.timed("acl_get", self.store.r.hlen(k.acl(mbid))) >= MAX_GRANTEES and not (
            await self.store.timed("acl_get", self.store.r.hexists(k.acl(mbid), grantee))
        ):
            raise invalid(f"a mailbox has at most {MAX_GRANTEES} grantees")
        res = await self.store.user_script("acl_set", owner.id, [v.mailbox_name(req.mailbox), grantee, mode, rights])
        now = str(res["rights"])
        # the owner's ACL is written; now the grantee's hint (another slot), verified on use
        hint = f"{owner.id}:{res['id']}"
        g = keys.user(grantee).shared
        if now:
            await self.store.timed("acl_hint", self.store.r.hset(g, hint, ""))
        else:
            await self.store.timed("acl_hint", self.store.r.hdel(g, hint))
        return mailboxes_pb.SetAclResponse(rights=now)

    async def get(self, req: mailboxes_pb.GetAclRequest) -> mailboxes_pb.GetAclResponse:
        owner = await self.dir.require_user(req.user_id)
        mbid = await self.mailbox_id(owner.id, req.mailbox)
        acl = await self.store.timed("acl_get", self.store.r.hgetall(keys.user(owner.id).acl(mbid)))
        out = mailboxes_pb.GetAclResponse(entries=[mailboxes_pb.AclEntry(identifier=owner.address, rights=RIGHTS)])
        others = []
        for uid, rights in acl.items():
            user = await self.dir.user_by_id(uid.decode())
            if user is not None:
                others.append(mailboxes_pb.AclEntry(identifier=user.address, rights=rights.decode()))
        out.entries.extend(sorted(others, key=lambda e: e.identifier))
        return out

    async def my_rights(self, req: mailboxes_pb.MyRightsRequest) -> mailboxes_pb.MyRightsResponse:
        await self.dir.require_user(req.user_id)
        mbid = await self.mailbox_id(req.user_id, req.mailbox)
        return mailboxes_pb.MyRightsResponse(rights=await self.rights(req.user_id, mbid, ACTOR.get()))

    async def list_shared(self, req: mailboxes_pb.ListSharedRequest) -> mailboxes_pb.ListSharedResponse:
        me = await self.dir.require_user(req.user_id)
        hints = await self.store.timed("acl_hint", self.store.r.hkeys(keys.user(me.id).shared))
        out = mailboxes_pb.ListSharedResponse()
        for raw in sorted(hints):
            owner_id, _, mbid = raw.decode().partition(":")
            rights = await self.rights(owner_id, mbid, me.id)
            owner = await self.dir.user_by_id(owner_id)
            if "l" not in rights or owner is None:
                if not rights or owner is None:  # a stale hint: revoked, mailbox or owner gone
                    await self.store.timed("acl_hint", self.store.r.hdel(keys.user(me.id).shared, raw))
                continue
            try:
                mb = await self.data.by_id(owner_id, mbid)
            except Fail:
                continue
            out.mailboxes.append(
                mailboxes_pb.SharedMailbox(owner_id=owner_id, owner_address=owner.address, rights=rights, mailbox=mb)
            )
        return out
