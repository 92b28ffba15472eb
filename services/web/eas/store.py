"""What the ActiveSync commands read and change in the mail store, through the metadata
service's changes-since-modseq RPCs: the cost of a call grows with what changed and with the
window asked for, never with the mailbox's size."""

from __future__ import annotations

import asyncio
import dataclasses

import grpc

from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.eas import mailitem
from services.web.wbxml.codec import Element

THREAD_BYTES = 256 * 1024  # messages above this are parsed in a worker thread, off the event loop
PAGE = 5000
MAX_PAGES = 20  # 100,000 changed messages in one Sync at most; past that the device resyncs


class HistoryLostError(Exception):
    """The expunge history since the device's modseq was trimmed: it must sync again from 0."""


@dataclasses.dataclass
class Changes:
    highest_modseq: int
    changed: dict[int, messages_pb.MessageMeta]  # uid -> uid, modseq, flags
    expunged: set[int]


_NOT_FOUND = (er.ERROR_REASON_NO_SUCH_MAILBOX, er.ERROR_REASON_NO_SUCH_DESTINATION, er.ERROR_REASON_INVALID_ARGUMENT)


def not_found(exc: grpc.aio.AioRpcError) -> bool:
    """A mailbox id the device sent names no mailbox (INVALID_ARGUMENT: not even an id's shape)."""
    return reason_of(exc) in _NOT_FOUND


class Store:
    def __init__(self, client: MetadataClient, mail: MailStore) -> None:
        self.client = client
        self.mail = mail

    async def mailbox(self, user_id: str, mailbox_id: str) -> mailboxes_pb.Mailbox | None:
        try:
            resp = await self.client.mailboxes.GetMailbox(
                mailboxes_pb.GetMailboxRequest(user_id=user_id, mailbox_id=mailbox_id)
            )
        except grpc.aio.AioRpcError as exc:
            if not_found(exc):
                return None
            raise
        return resp.mailbox

    async def mailboxes(self, user_id: str) -> list[mailboxes_pb.Mailbox]:
        out: list[mailboxes_pb.Mailbox] = []
        token = ""
        while True:
            resp = await self.client.mailboxes.ListMailboxes(
                mailboxes_pb.ListMailboxesRequest(user_id=user_id, page_token=token)
            )
            out += resp.mailboxes
            token = resp.next_page_token
            if not token:
                return out

    async def special(self, user_id: str, use: str) -> mailboxes_pb.Mailbox | None:
        return next((m for m in await self.mailboxes(user_id) if m.special_use == use), None)

    async def changes(self, user_id: str, mailbox_id: str, since: int) -> Changes:
        out = Changes(since, {}, set())
        token = ""
        for _ in range(MAX_PAGES):
            resp = await self.client.messages.GetChanges(
                messages_pb.GetChangesRequest(
                    user_id=user_id, mailbox_id=mailbox_id, since_modseq=since, page_size=PAGE, page_token=token
                )
            )
            if not resp.expunged_complete:
                raise HistoryLostError(mailbox_id)
            out.highest_modseq = max(out.highest_modseq, resp.highest_modseq)
            out.changed.update((m.uid, m) for m in resp.changed)
            out.expunged.update(resp.expunged)
            token = resp.next_page_token
            if not token:
                return out
        raise HistoryLostError(mailbox_id)

    async def messages(
        self, user_id: str, mailbox_id: str, lo: int, limit: int, hi: int = 0xFFFFFFFF
    ) -> tuple[list[messages_pb.MessageMeta], bool]:
        """Up to `limit` messages with UID in lo..hi, and whether more follow (hi is explicit: a
        range past the last UID must stay empty, not turn into `*:lo` as in IMAP)."""
        resp = await self.client.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(
                user_id=user_id, mailbox_id=mailbox_id, uids=[types_pb.UidRange(lo=lo, hi=hi)], limit=limit + 1
            )
        )
        found = list(resp.messages)
        return found[:limit], len(found) > limit or bool(resp.next_uid)

    async def message(self, user_id: str, mailbox_id: str, uid: int) -> messages_pb.MessageMeta | None:
        try:
            found, _ = await self.messages(user_id, mailbox_id, uid, 1, uid)
        except grpc.aio.AioRpcError as exc:
            if not_found(exc):
                return None
            raise
        return found[0] if found and found[0].uid == uid else None

    async def raw(self, meta: messages_pb.MessageMeta) -> bytes:
        return await self.mail.blobs.get(meta.blob_id)

    async def item(
        self, mailbox_id: str, meta: messages_pb.MessageMeta, prefs: list[mailitem.BodyPreference]
    ) -> Element:
        """The message's ApplicationData (a large message is parsed in a worker thread)."""
        raw = await self.raw(meta)
        if len(raw) > THREAD_BYTES:
            return await asyncio.to_thread(mailitem.application_data, mailbox_id, meta, raw, prefs)
        return mailitem.application_data(mailbox_id, meta, raw, prefs)

    async def set_flag(self, user_id: str, mailbox_id: str, uid: int, flag: str, on: bool) -> int | None:
        """Adds or removes `flag`; the message's new modseq, None when it is gone."""
        mode = messages_pb.StoreFlagsRequest.MODE_ADD if on else messages_pb.StoreFlagsRequest.MODE_REMOVE
        resp = await self.mail.store_flags(user_id, mailbox_id, [types_pb.UidRange(lo=uid, hi=uid)], mode, [flag])
        return next((m.modseq for m in resp.updated if m.uid == uid), None)

    async def expunge(self, user_id: str, mailbox_id: str, uids: list[int]) -> list[int]:
        resp = await self.client.messages.Expunge(
            messages_pb.ExpungeRequest(
                user_id=user_id, mailbox_id=mailbox_id, uids=[types_pb.UidRange(lo=u, hi=u) for u in uids]
            )
        )
        return list(resp.expunged)
