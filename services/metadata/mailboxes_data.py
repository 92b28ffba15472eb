"""Mailbox reads shared by the servicers: a mailbox's counters (O(1)) by name or id."""

from __future__ import annotations

from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.errors import Fail
from services.metadata.lua import MAX_KEYWORDS
from services.metadata.store import Store


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
