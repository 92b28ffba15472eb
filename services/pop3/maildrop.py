"""The POP3 maildrop: the user's INBOX, snapshotted at login, under a cluster-wide lock.

One session per maildrop across all pods (Maildrop.Acquire with a TTL kept alive by a
refresh task; a fencing token guards the final Expunge). DELE only marks; `commit` removes
the marked messages with one atomic Messages.Expunge carrying the fencing token. A
session that ends any other way deletes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Iterator

import grpc

from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.pop3.reasons import Kind, kind

log = logging.getLogger(__name__)

FETCH_BATCH = 2000  # UIDs per FetchMessages call while taking the snapshot


class MaildropInUseError(Exception):
    """Another live session holds this user's maildrop."""


class MaildropUnavailableError(Exception):
    """The metadata service failed; nothing was changed."""


class LockLostError(Exception):
    """The maildrop lock was taken over (fencing token rejected); nothing was deleted."""


@dataclasses.dataclass
class Message:
    uid: int
    size: int
    blob_id: str
    deleted: bool = False


def uid_ranges(uids: list[int]) -> list[types_pb.UidRange]:
    """Closed ranges covering exactly the (sorted, distinct) `uids`."""
    out: list[types_pb.UidRange] = []
    for uid in sorted(set(uids)):
        if out and out[-1].hi + 1 == uid:
            out[-1].hi = uid
        else:
            out.append(types_pb.UidRange(lo=uid, hi=uid))
    return out


def _batches(uids: list[int], n: int) -> Iterator[list[int]]:
    for i in range(0, len(uids), n):
        yield uids[i : i + n]


class Maildrop:
    def __init__(self, client: MetadataClient, user_id: str, ttl: int) -> None:
        self.client = client
        self.user_id = user_id
        self.ttl = max(1, ttl)
        self.holder = uuid.uuid4().hex
        self.token = 0
        self.mailbox_id = ""
        self.uidvalidity = 0
        self.messages: list[Message] = []
        self.lost = False
        self._refresher: asyncio.Task[None] | None = None
        self._locked = False

    # --- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Acquires the lock and takes the snapshot; raises MaildropInUseError/MaildropUnavailableError."""
        try:
            resp = await self.client.maildrop.Acquire(
                maildrop_pb.AcquireRequest(user_id=self.user_id, holder=self.holder, ttl_seconds=self.ttl)
            )
        except grpc.aio.AioRpcError as exc:
            raise MaildropUnavailableError(exc.code().name) from exc
        if not resp.acquired:
            raise MaildropInUseError()
        self.token = resp.fencing_token
        self._locked = True
        try:
            await self._snapshot()
        except BaseException:
            await self.release()
            raise
        self._refresher = asyncio.create_task(self._refresh_loop(), name=f"pop3-lock-{self.holder[:8]}")

    async def _snapshot(self) -> None:
        try:
            try:
                box = (
                    await self.client.mailboxes.GetMailbox(
                        mailboxes_pb.GetMailboxRequest(user_id=self.user_id, name="INBOX")
                    )
                ).mailbox
            except grpc.aio.AioRpcError as exc:
                if kind(reason_of(exc)) is Kind.EMPTY:
                    return  # no INBOX yet: an empty maildrop
                raise
            self.mailbox_id = box.id
            listing = await self.client.messages.ListUids(
                messages_pb.ListUidsRequest(user_id=self.user_id, mailbox_id=self.mailbox_id)
            )
            self.uidvalidity = listing.uidvalidity
            uids = list(listing.uids)
            metas: dict[int, messages_pb.MessageMeta] = {}
            for batch in _batches(uids, FETCH_BATCH):
                resp = await self.client.messages.FetchMessages(
                    messages_pb.FetchMessagesRequest(
                        user_id=self.user_id,
                        mailbox_id=self.mailbox_id,
                        uids=[types_pb.UidRange(lo=batch[0], hi=batch[-1])],
                    )
                )
                for m in resp.messages:
                    metas[m.uid] = m
        except grpc.aio.AioRpcError as exc:
            raise MaildropUnavailableError(exc.code().name) from exc
        # Messages expunged between the two calls simply drop out of the snapshot.
        self.messages = [Message(uid, metas[uid].size, metas[uid].blob_id) for uid in uids if uid in metas]

    async def _refresh_loop(self) -> None:
        """Keeps the lock alive every third of the TTL; a refused refresh means it was lost."""
        interval = self.ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                resp = await self.client.maildrop.Refresh(
                    maildrop_pb.RefreshRequest(
                        user_id=self.user_id, holder=self.holder, ttl_seconds=self.ttl, fencing_token=self.token
                    ),
                    timeout=max(0.5, interval),
                )
            except grpc.aio.AioRpcError as exc:  # try again; the fencing token guards the commit
                log.warning("maildrop lock refresh failed: %s", exc.code().name)
                continue
            except Exception:
                log.exception("maildrop lock refresh failed")
                continue
            if not resp.acquired:
                log.warning("maildrop lock lost (expired or taken over)")
                self.lost = True
                self._locked = False  # nothing to release: another holder may own it now
                return

    async def release(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refresher
            self._refresher = None
        if self._locked:
            self._locked = False
            try:
                await self.client.maildrop.Release(
                    maildrop_pb.ReleaseRequest(user_id=self.user_id, holder=self.holder, fencing_token=self.token),
                    timeout=5.0,
                )
            except grpc.aio.AioRpcError as exc:  # the TTL frees it eventually
                log.warning("maildrop lock release failed: %s", exc.code().name)

    async def commit(self) -> int:
        """UPDATE state: expunges every DELE-marked message in one call; returns how many."""
        uids = [m.uid for m in self.messages if m.deleted]
        if not uids:
            return 0
        if self.lost:
            raise LockLostError()
        try:
            resp = await self.client.messages.Expunge(
                messages_pb.ExpungeRequest(
                    user_id=self.user_id,
                    mailbox_id=self.mailbox_id,
                    uids=uid_ranges(uids),
                    fencing_token=self.token,
                )
            )
        except grpc.aio.AioRpcError as exc:
            if kind(reason_of(exc)) is Kind.LOCK_LOST:
                self.lost = True
                self._locked = False
                raise LockLostError() from exc
            raise MaildropUnavailableError(exc.code().name) from exc
        return len(resp.expunged)

    # --- TRANSACTION state views ---------------------------------------------------------

    def get(self, msgno: int) -> Message | None:
        """Message `msgno` (1-based) unless out of range or marked deleted."""
        if not 1 <= msgno <= len(self.messages):
            return None
        m = self.messages[msgno - 1]
        return None if m.deleted else m

    def live(self) -> Iterator[tuple[int, Message]]:
        for i, m in enumerate(self.messages, 1):
            if not m.deleted:
                yield i, m

    def stat(self) -> tuple[int, int]:
        count = size = 0
        for _, m in self.live():
            count += 1
            size += m.size
        return count, size

    def uidl(self, m: Message) -> str:
        """Stable across sessions and consistent with the IMAP UID view."""
        return f"{self.uidvalidity}.{m.uid}"

    def rset(self) -> None:
        for m in self.messages:
            m.deleted = False
