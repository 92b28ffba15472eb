# ruff: noqa: N802  -- gRPC method names come from the proto
"""Mailboxes service: list, get (O(1) counters), create, delete, rename, subscribe, quota."""

from __future__ import annotations

from typing import Any

from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import mailboxes_pb2_grpc as mailboxes_rpc
from services.metadata import keys, paging
from services.metadata import validate as v
from services.metadata.acl import Acl, team_index
from services.metadata.annotations import Annotations
from services.metadata.directory import DirectoryData
from services.metadata.errors import Fail, invalid
from services.metadata.mailboxes_data import MailboxData, mailbox_from_hash
from services.metadata.select import select_mailbox
from services.metadata.store import Store

DEFAULT_PAGE = 1000  # ListMailboxes page_size 0
MAX_PAGE = 5000
_SPECIAL = {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash", ""}


class MailboxesServicer(mailboxes_rpc.MailboxesServiceServicer):
    def __init__(self, store: Store, directory: DirectoryData, data: MailboxData) -> None:
        self.store = store
        self.dir = directory
        self.data = data
        self.annotations = Annotations(store)
        self.acl = Acl(store, directory, data)

    async def ListMailboxes(
        self, request: mailboxes_pb.ListMailboxesRequest, context: Any
    ) -> mailboxes_pb.ListMailboxesResponse:
        v.user_id(request.user_id)
        k = keys.user(request.user_id)
        shared = request.include_shared and not request.page_token
        # Two round trips in all (shared mailboxes included): the user's record (NO_SUCH_USER),
        # the names, the subscriptions and the user's share hints; then the page's mailboxes and
        # the share hints of the user's domain.
        pipe = self.store.pipeline()
        pipe.get(keys.user_record(request.user_id))
        pipe.hgetall(k.mbx)
        pipe.smembers(k.subs)
        if shared:
            pipe.hkeys(k.shared)
        raw_user, names, raw_subs, *own_hints = await self.store.timed("mbx_list", pipe.execute())
        me = self.dir.user_or_fail(raw_user)
        subs = {s.decode() for s in raw_subs}
        by_name = {n.decode(): i.decode() for n, i in names.items()}
        all_names = sorted(by_name)
        page, token = paging.page(all_names, request.page_size, request.page_token, DEFAULT_PAGE, MAX_PAGE)
        ids = [(n, by_name[n]) for n in page]
        pipe = self.store.pipeline()
        for _, mbid in ids:
            pipe.hgetall(k.mailbox(mbid))
        if shared:
            pipe.smembers(team_index(me))
        replies = await self.store.timed("mbx_list", pipe.execute()) if ids or shared else []
        hashes = replies[: len(ids)]
        out = mailboxes_pb.ListMailboxesResponse(next_page_token=token)
        if shared:
            out.shared.extend((await self.acl.shared_from(me, own_hints[0], replies[-1])).mailboxes)
        for (name, mbid), h in zip(ids, hashes, strict=True):
            if not h or (request.subscribed_only and name not in subs):
                continue
            out.mailboxes.append(mailbox_from_hash(mbid, h, name in subs))
        if request.subscribed_only:
            # the names between the previous page's last name and this page's last one
            lo = paging.decode(request.page_token) if request.page_token else None
            hi = page[-1] if token else None
            out.subscribed_nonexistent.extend(
                n for n in sorted(subs - by_name.keys()) if (lo is None or n > lo) and (hi is None or n <= hi)
            )
        return out

    async def GetMailbox(
        self, request: mailboxes_pb.GetMailboxRequest, context: Any
    ) -> mailboxes_pb.GetMailboxResponse:
        v.user_id(request.user_id)
        which = request.WhichOneof("mailbox")
        if which == "mailbox_id":
            mb = await self.data.by_id(request.user_id, v.mailbox_id(request.mailbox_id), keywords=True)
        elif which == "name":
            mb = await self.data.by_name(request.user_id, v.mailbox_name(request.name), keywords=True)
        else:
            raise invalid("name or mailbox_id is required")
        return mailboxes_pb.GetMailboxResponse(mailbox=mb)

    async def SelectMailbox(
        self, request: mailboxes_pb.SelectMailboxRequest, context: Any
    ) -> mailboxes_pb.SelectMailboxResponse:
        return await select_mailbox(self.store, request)

    async def CreateMailbox(
        self, request: mailboxes_pb.CreateMailboxRequest, context: Any
    ) -> mailboxes_pb.CreateMailboxResponse:
        await self.dir.require_user(request.user_id)
        name = v.mailbox_name(request.name)
        if request.special_use not in _SPECIAL:
            raise invalid(f"unknown special-use {request.special_use[:40]!r}")
        res = await self.store.user_script("create", request.user_id, [name, request.special_use])
        return mailboxes_pb.CreateMailboxResponse(mailbox=await self.data.by_id(request.user_id, str(res["id"])))

    async def DeleteMailbox(
        self, request: mailboxes_pb.DeleteMailboxRequest, context: Any
    ) -> mailboxes_pb.DeleteMailboxResponse:
        await self.dir.require_user(request.user_id)
        name = v.mailbox_name(request.name)
        if name == "INBOX":
            raise Fail(er.ERROR_REASON_INBOX_PROTECTED, "INBOX cannot be deleted")
        res = await self.store.user_script("delete", request.user_id, [name])
        await self.store.blob_decr_many(res.get("blobs") or [])
        return mailboxes_pb.DeleteMailboxResponse()

    async def RenameMailbox(
        self, request: mailboxes_pb.RenameMailboxRequest, context: Any
    ) -> mailboxes_pb.RenameMailboxResponse:
        await self.dir.require_user(request.user_id)
        old = v.mailbox_name(request.old_name)
        new = v.mailbox_name(request.new_name)
        if new == "INBOX":
            raise Fail(er.ERROR_REASON_MAILBOX_EXISTS, "INBOX always exists")
        if old == new:
            raise Fail(er.ERROR_REASON_MAILBOX_EXISTS, "target mailbox exists")
        if new.startswith(old + "/") and old != "INBOX":
            raise invalid("cannot rename a mailbox into its own child")
        res = await self.store.user_script("rename", request.user_id, [old, new, self.dir.cfg.expunge_history])
        return mailboxes_pb.RenameMailboxResponse(mailbox=await self.data.by_id(request.user_id, str(res["id"])))

    async def SetSubscribed(
        self, request: mailboxes_pb.SetSubscribedRequest, context: Any
    ) -> mailboxes_pb.SetSubscribedResponse:
        await self.dir.require_user(request.user_id)
        name = v.mailbox_name(request.name)
        key = keys.user(request.user_id).subs
        if request.subscribed:
            await self.store.timed("subs", self.store.r.sadd(key, name))
        else:
            await self.store.timed("subs", self.store.r.srem(key, name))
        return mailboxes_pb.SetSubscribedResponse()

    async def GetQuota(self, request: mailboxes_pb.GetQuotaRequest, context: Any) -> mailboxes_pb.GetQuotaResponse:
        user = await self.dir.require_user(request.user_id)
        used, msgs = await self.dir.used(user.id)
        return mailboxes_pb.GetQuotaResponse(
            used_bytes=used, limit_bytes=await self.dir.quota_limit(user), messages=msgs
        )

    async def GetMetadata(
        self, request: mailboxes_pb.GetMetadataRequest, context: Any
    ) -> mailboxes_pb.GetMetadataResponse:
        await self.dir.require_user(request.user_id)
        return await self.annotations.get(request)

    async def SetMetadata(
        self, request: mailboxes_pb.SetMetadataRequest, context: Any
    ) -> mailboxes_pb.SetMetadataResponse:
        await self.dir.require_user(request.user_id)
        return await self.annotations.set(request)

    async def SetAcl(self, request: mailboxes_pb.SetAclRequest, context: Any) -> mailboxes_pb.SetAclResponse:
        return await self.acl.set(request)

    async def GetAcl(self, request: mailboxes_pb.GetAclRequest, context: Any) -> mailboxes_pb.GetAclResponse:
        return await self.acl.get(request)

    async def MyRights(self, request: mailboxes_pb.MyRightsRequest, context: Any) -> mailboxes_pb.MyRightsResponse:
        return await self.acl.my_rights(request)

    async def ListShared(
        self, request: mailboxes_pb.ListSharedRequest, context: Any
    ) -> mailboxes_pb.ListSharedResponse:
        return await self.acl.list_shared(request)
