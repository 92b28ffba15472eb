# ruff: noqa: N802  -- gRPC method names come from the proto
"""Mailboxes service: list, get (O(1) counters), create, delete, rename, subscribe, quota."""

from __future__ import annotations

from typing import Any

from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import mailboxes_pb2_grpc as mailboxes_rpc
from services.metadata import keys, paging
from services.metadata import validate as v
from services.metadata.annotations import Annotations
from services.metadata.directory import DirectoryData
from services.metadata.errors import Fail, invalid
from services.metadata.lua import MAX_KEYWORDS
from services.metadata.store import Store

DEFAULT_PAGE = 1000  # ListMailboxes page_size 0
MAX_PAGE = 5000
_SPECIAL = {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash", ""}


def mailbox_from_hash(mbid: str, h: dict[bytes, bytes], subscribed: bool = False) -> mailboxes_pb.Mailbox:
    def num(k: str) -> int:
        return int(h.get(k.encode(), b"0") or 0)

    return mailboxes_pb.Mailbox(
        id=mbid,
        name=h.get(b"name", b"").decode(),
        uidvalidity=num("uidvalidity"),
        uidnext=num("uidnext"),
        highest_modseq=num("hms"),
        messages=num("messages"),
        unseen=num("unseen"),
        size_bytes=num("size"),
        special_use=h.get(b"special", b"").decode(),
        subscribed=subscribed,
        deleted=num("deleted"),
        recent=num("recent"),
    )


class MailboxData:
    """Mailbox reads shared with the Messages servicer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def by_name(self, user_id: str, name: str, keywords: bool = False) -> mailboxes_pb.Mailbox:
        k = keys.user(user_id)
        mbid = await self.store.timed("mbx_get", self.store.r.hget(k.mbx, name))
        if mbid is None:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        return await self.by_id(user_id, mbid.decode(), name, keywords)

    async def by_id(
        self, user_id: str, mbid: str, name: str | None = None, keywords: bool = False
    ) -> mailboxes_pb.Mailbox:
        """The mailbox's counters; with keywords=True also its keyword list (bounded)."""
        k = keys.user(user_id)
        pipe = self.store.pipeline()
        pipe.hgetall(k.mailbox(mbid))
        if keywords:
            pipe.smembers(k.keywords(mbid))
        res = await self.store.timed("mbx_get", pipe.execute())
        h = res[0]
        if not h:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        sub = await self.store.timed("mbx_get", self.store.r.sismember(k.subs, h[b"name"]))
        mb = mailbox_from_hash(mbid, h, bool(sub))
        if keywords:
            kws = sorted(w.decode() for w in res[1])
            mb.keywords.extend(kws)
            mb.keywords_full = len(kws) >= MAX_KEYWORDS
        return mb

    async def require(self, user_id: str, mbid: str) -> mailboxes_pb.Mailbox:
        v.user_id(user_id)
        v.mailbox_id(mbid)
        return await self.by_id(user_id, mbid)


class MailboxesServicer(mailboxes_rpc.MailboxesServiceServicer):
    def __init__(self, store: Store, directory: DirectoryData, data: MailboxData) -> None:
        self.store = store
        self.dir = directory
        self.data = data
        self.annotations = Annotations(store)

    async def ListMailboxes(
        self, request: mailboxes_pb.ListMailboxesRequest, context: Any
    ) -> mailboxes_pb.ListMailboxesResponse:
        await self.dir.require_user(request.user_id)
        k = keys.user(request.user_id)
        r = self.store.r
        names = await self.store.timed("mbx_list", r.hgetall(k.mbx))
        subs = {s.decode() for s in await self.store.timed("mbx_list", r.smembers(k.subs))}
        by_name = {n.decode(): i.decode() for n, i in names.items()}
        all_names = sorted(by_name)
        page, token = paging.page(all_names, request.page_size, request.page_token, DEFAULT_PAGE, MAX_PAGE)
        ids = [(n, by_name[n]) for n in page]
        pipe = self.store.pipeline()
        for _, mbid in ids:
            pipe.hgetall(k.mailbox(mbid))
        hashes = await self.store.timed("mbx_list", pipe.execute()) if ids else []
        out = mailboxes_pb.ListMailboxesResponse(next_page_token=token)
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
