"""Access control lists (RFC 4314) and the check of every call made for another user.

An ACL belongs to the owner's mailbox (P acl:<mailbox id> on the owner's hash slot: the source of
truth, so it follows RENAME and dies with DELETE). The grantee's P shared hash is a hint written
after it ("mailboxes shared with me", for LIST), verified against the owner's ACL whenever it is
read; each write touches one slot (invariant 3, docs/decisions/0017-acl-across-hash-slots.md).

:meth:`Acl.check` runs before every per-user method (services.metadata.server) when the call
carries an actor (services.common.actor) other than the request's user_id: only the methods in
:data:`NEEDS` may act on another user's mailbox, with the rights listed there. A COPY / MOVE
into another user's mailbox (``destination_user_id``) also needs ``i`` there.

The identifiers ``anyone`` and ``authenticated`` (RFC 4314 2) grant rights to every user of the
owner's domain (kubemail has no anonymous access, so both name the same users; users of other
domains served here get nothing from them). Such a mailbox is listed in the domain's hint set
``{d:<domain>}:shared`` (at most :data:`MAX_DOMAIN_SHARED`), verified against the ACL on use."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from services.common.actor import ACTOR
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
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
MAX_DOMAIN_SHARED = 500  # mailboxes of one domain shared with anyone / authenticated
GROUPS = ("anyone", "authenticated")  # ACL fields that are not user ids (those are hex)
NEG = "-"  # a negative entry's field: "-<user id>", "-anyone", "-authenticated" (RFC 4314 2)

# method -> the rights the actor needs on the target mailbox ("" = any right; StoreFlags: by flag)
NEEDS: dict[str, str] = {
    "GetMailbox": "r",
    "SelectMailbox": "r",
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
    "CopyMessages": "r",  # and i on the destination (Acl.check)
    "MoveMessages": "rte",
    "Watch": "r",  # a stream of one shared mailbox's events (WatchRequest.mailbox_id)
}
_COPIES = ("CopyMessages", "MoveMessages")
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


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def permitted_flags(flags: list[str], rights: str) -> list[str]:
    """The flags a COPY / APPEND with `rights` on the destination may set (RFC 4314 4: \\Seen
    needs s, \\Deleted t, every other flag w)."""
    need = {"\\seen": "s", "\\deleted": "t"}
    return [f for f in flags if need.get(f.lower(), "w") in rights]


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

    async def rights(self, owner: str, mbid: str, actor: str, same_domain: bool | None = None) -> str:
        """RFC 4314 2: the union of the entries that name the actor (its own, and anyone /
        authenticated for a user of the owner's domain) less the union of the negative ones.
        `same_domain`: whether owner and actor share a domain, when the caller knows it."""
        if not actor or actor == owner:
            return RIGHTS
        names = [actor, *GROUPS, NEG + actor, *(NEG + g for g in GROUPS)]
        raw = await self.store.timed("acl_get", self.store.r.hmget(keys.user(owner).acl(mbid), *names))
        mine, anyone, authd, *negative = ((r or b"").decode() for r in raw)
        got = set(mine)
        if (anyone or authd) and (await self._same_domain(owner, actor) if same_domain is None else same_domain):
            got.update(anyone + authd)
        got.difference_update("".join(negative))
        return "".join(ch for ch in RIGHTS if ch in got)

    async def _same_domain(self, owner: str, actor: str) -> bool:
        a, b = await self.dir.user_by_id(owner), await self.dir.user_by_id(actor)
        return a is not None and b is not None and domain_of(a.address) == domain_of(b.address)

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

    async def _check_destination(self, request: Any, owner: str, actor: str) -> None:
        """COPY / MOVE: the actor needs i on a destination that is not the actor's own; a copy to
        another user without an actor (no one to check the rights of) is refused."""
        dest_owner = request.destination_user_id or owner
        if dest_owner == actor or (not actor and dest_owner == owner):
            return
        if not actor:
            raise Fail(er.ERROR_REASON_PERMISSION_DENIED, "a copy to another user needs an actor")
        v.user_id(dest_owner)
        try:
            mbid = await self.mailbox_id(dest_owner, request.destination)
        except Fail:
            raise Fail(er.ERROR_REASON_NO_SUCH_DESTINATION, "no such destination mailbox") from None
        rights = await self.rights(dest_owner, mbid, actor)
        if not rights:
            raise Fail(er.ERROR_REASON_NO_SUCH_DESTINATION, "no such destination mailbox")
        if "i" not in rights:
            raise Fail(er.ERROR_REASON_PERMISSION_DENIED, "right i required on the destination")

    async def check(self, method: str, request: Any, actor: str) -> None:
        """Raises unless `actor` may make this call (see the module doc)."""
        owner = getattr(request, "user_id", "")
        if not actor or not owner or actor == owner:
            if method in _COPIES and owner:
                await self._check_destination(request, owner, actor)
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
        if method in _COPIES:
            await self._check_destination(request, owner, actor)

    # -- the RPCs -------------------------------------------------------------------
    async def set(self, req: mailboxes_pb.SetAclRequest) -> mailboxes_pb.SetAclResponse:
        owner = await self.dir.require_user(req.user_id)
        rights = canonical(req.rights)
        negative = req.identifier.startswith(NEG)
        ident = req.identifier[1:] if negative else req.identifier
        if ident.lower() in GROUPS:
            grantee: str | None = ident.lower()
        else:
            grantee = await self.dir.user_id_by_address(v.address(ident))
        if grantee is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_USER, "no such user")
        if grantee == owner.id:
            raise invalid("the owner's rights cannot be changed")
        if negative:
            grantee = NEG + grantee
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
        index = keys.domain_shared(domain_of(owner.address))
        hint = f"{owner.id}:{mbid}"
        if grantee in GROUPS and rights and mode != "d":
            member = await self.store.timed("acl_hint", self.store.r.sismember(index, hint))
            if not member and await self.store.timed("acl_hint", self.store.r.scard(index)) >= MAX_DOMAIN_SHARED:
                raise invalid(f"a domain has at most {MAX_DOMAIN_SHARED} mailboxes shared with anyone")
        res = await self.store.user_script("acl_set", owner.id, [v.mailbox_name(req.mailbox), grantee, mode, rights])
        now = str(res["rights"])
        if negative:  # only takes rights away: no hint to write (LIST checks the rights)
            return mailboxes_pb.SetAclResponse(rights=now)
        if grantee in GROUPS:
            await self._index_groups(owner.id, str(res["id"]), index)
            return mailboxes_pb.SetAclResponse(rights=now)
        # the owner's ACL is written; now the grantee's hint (another slot), verified on use
        hint = f"{owner.id}:{res['id']}"
        g = keys.user(grantee).shared
        if now:
            await self.store.timed("acl_hint", self.store.r.hset(g, hint, ""))
        else:
            await self.store.timed("acl_hint", self.store.r.hdel(g, hint))
        return mailboxes_pb.SetAclResponse(rights=now)

    async def _index_groups(self, owner: str, mbid: str, index: str) -> None:
        """After the ACL write: the domain's hint set lists the mailbox iff anyone / authenticated
        has a right on it (one key, one slot; a crash before this leaves a hint the reads fix)."""
        raw = await self.store.timed("acl_get", self.store.r.hmget(keys.user(owner).acl(mbid), *GROUPS))
        hint = f"{owner}:{mbid}"
        if any(raw):
            await self.store.timed("acl_hint", self.store.r.sadd(index, hint))
        else:
            await self.store.timed("acl_hint", self.store.r.srem(index, hint))

    async def get(self, req: mailboxes_pb.GetAclRequest) -> mailboxes_pb.GetAclResponse:
        owner = await self.dir.require_user(req.user_id)
        mbid = await self.mailbox_id(owner.id, req.mailbox)
        acl = await self.store.timed("acl_get", self.store.r.hgetall(keys.user(owner.id).acl(mbid)))
        out = mailboxes_pb.GetAclResponse(entries=[mailboxes_pb.AclEntry(identifier=owner.address, rights=RIGHTS)])
        others = []
        for field, rights in acl.items():
            name = field.decode()
            sign = NEG if name.startswith(NEG) else ""
            name = name[len(sign) :]
            if name in GROUPS:
                others.append(mailboxes_pb.AclEntry(identifier=sign + name, rights=rights.decode()))
                continue
            user = await self.dir.user_by_id(name)
            if user is not None:
                others.append(mailboxes_pb.AclEntry(identifier=sign + user.address, rights=rights.decode()))
        out.entries.extend(sorted(others, key=lambda e: e.identifier))
        return out

    async def my_rights(self, req: mailboxes_pb.MyRightsRequest) -> mailboxes_pb.MyRightsResponse:
        await self.dir.require_user(req.user_id)
        mbid = await self.mailbox_id(req.user_id, req.mailbox)
        return mailboxes_pb.MyRightsResponse(rights=await self.rights(req.user_id, mbid, ACTOR.get()))

    async def list_shared(self, req: mailboxes_pb.ListSharedRequest) -> mailboxes_pb.ListSharedResponse:
        v.user_id(req.user_id)
        # the user's record and its own hints in one round trip, then the domain's hints
        pipe = self.store.pipeline()
        pipe.get(keys.user_record(req.user_id))
        pipe.hkeys(keys.user(req.user_id).shared)
        raw_me, hints = await self.store.timed("acl_hint", pipe.execute())
        me = self.dir.user_or_fail(raw_me)
        team = await self.store.timed("acl_hint", self.store.r.smembers(team_index(me)))
        return await self.shared_from(me, hints, team)

    async def shared_from(
        self, me: directory_pb.User, hints: Collection[bytes], team: Collection[bytes]
    ) -> mailboxes_pb.ListSharedResponse:
        """The mailboxes shared with `me`, from its own hints (HKEYS of its `shared` key) and its
        domain's (SMEMBERS of `team_index(me)`), read by the caller (ListMailboxes folds them into
        its own round trips); stale hints are dropped on the way."""
        own_key = keys.user(me.id).shared
        index = team_index(me)
        out = mailboxes_pb.ListSharedResponse()
        for raw in sorted(set(hints) | set(team)):
            owner_id, _, mbid = raw.decode().partition(":")
            if owner_id == me.id:
                continue
            owner = await self.dir.user_by_id(owner_id)
            same = owner is not None and domain_of(owner.address) == domain_of(me.address)
            rights = await self.rights(owner_id, mbid, me.id, same)
            if raw in team and not await self._team_entry_live(owner_id, mbid, owner, me.address):
                await self.store.timed("acl_hint", self.store.r.srem(index, raw))
            if "l" not in rights or owner is None:
                if raw in hints and (owner is None or not await self._entry(owner_id, mbid, me.id)):
                    # stale: revoked, mailbox or owner gone (a negative entry only hides it)
                    await self.store.timed("acl_hint", self.store.r.hdel(own_key, raw))
                continue
            try:
                mb = await self.data.by_id(owner_id, mbid)
            except Fail:
                continue
            out.mailboxes.append(
                mailboxes_pb.SharedMailbox(owner_id=owner_id, owner_address=owner.address, rights=rights, mailbox=mb)
            )
        return out

    async def _entry(self, owner: str, mbid: str, grantee: str) -> bool:
        return bool(await self.store.timed("acl_get", self.store.r.hexists(keys.user(owner).acl(mbid), grantee)))

    async def _team_entry_live(
        self, owner_id: str, mbid: str, owner: directory_pb.User | None, my_address: str
    ) -> bool:
        """Whether a domain hint still stands: the owner exists in this domain and the ACL still
        grants anyone / authenticated something."""
        if owner is None or domain_of(owner.address) != domain_of(my_address):
            return False
        raw = await self.store.timed("acl_get", self.store.r.hmget(keys.user(owner_id).acl(mbid), *GROUPS))
        return any(raw)


def team_index(me: directory_pb.User) -> str:
    """The key of the hints of mailboxes shared with `me`'s whole domain."""
    return keys.domain_shared(domain_of(me.address))
