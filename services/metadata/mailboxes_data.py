"""Mailbox reads shared by the servicers: a mailbox's counters (O(1)) by name or id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def mailbox_from_read(reply: Sequence[Any]) -> mailboxes_pb.Mailbox:
    """The Mailbox from the first four items of a script reply made by lua/mbx_read.lua
    (mbx_get, select): id, flat hash, subscribed, keywords (none when not asked for)."""
    mbid, flat, sub, kws = reply[:4]
    mb = mailbox_from_hash(mbid.decode(), dict(zip(flat[::2], flat[1::2], strict=True)), bool(sub))
    if kws:
        words = sorted(w.decode() for w in kws)
        mb.keywords.extend(words)
        mb.keywords_full = len(words) >= MAX_KEYWORDS
    return mb


class MailboxData:
    """Mailbox reads shared with the Messages servicer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def by_name(self, user_id: str, name: str, keywords: bool = False) -> mailboxes_pb.Mailbox:
        return await self._get(user_id, "n", name, keywords)

    async def by_id(self, user_id: str, mbid: str, keywords: bool = False) -> mailboxes_pb.Mailbox:
        """The mailbox's counters and `subscribed`; with keywords=True also its keyword list (bounded)."""
        return await self._get(user_id, "i", mbid, keywords)

    async def _get(self, user_id: str, by: str, key: str, keywords: bool) -> mailboxes_pb.Mailbox:
        """One round trip (lua/mbx_get.lua): the hash, the subscription and the keywords."""
        reply = await self.store.user_read("mbx_get", user_id, [by, key, 1 if keywords else 0])
        return mailbox_from_read(reply)

    async def counters(self, user_id: str, mbid: str) -> mailboxes_pb.Mailbox:
        """The mailbox's counters (its existence) in one HGETALL: `subscribed` is not read (False)."""
        h = await self.store.timed("mbx_get", self.store.r.hgetall(keys.user(user_id).mailbox(mbid)))
        if not h:
            raise Fail(er.ERROR_REASON_NO_SUCH_MAILBOX, "no such mailbox")
        return mailbox_from_hash(mbid, h)

    async def require(self, user_id: str, mbid: str) -> mailboxes_pb.Mailbox:
        """:meth:`counters` after validating the ids (`subscribed` is not read)."""
        v.user_id(user_id)
        v.mailbox_id(mbid)
        return await self.counters(user_id, mbid)
