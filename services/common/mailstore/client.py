"""The mail store: how every front-end stores and changes messages (MetadataClient + BlobStore).

Ingest has one order: parse once (services.common.mime.build_summary, in a worker thread above
KUBEMAIL_PARSE_IN_THREAD_BYTES), put the blob, then commit the metadata. A failure raises a
typed exception (services.common.mailstore.errors); callers map it to their protocol's reply.

Idempotency (docs/decisions/0010-idempotency-per-transaction.md, DESIGN invariant 9): the caller
makes one key per client transaction with :func:`new_key` (SMTP: per DATA/BDAT transaction;
IMAP: per APPEND/COPY/MOVE command) and passes it in. The key is random, never derived from the
content, so two transactions with the same bytes are two messages. Every retry of that
transaction's commit reuses the key: the gRPC client's own UNAVAILABLE retries and this
module's retries after DEADLINE_EXCEEDED or UNAVAILABLE (KUBEMAIL_COMMIT_ATTEMPTS in all). A
commit whose reply was lost to a deadline is thus found again by the retry instead of stored
twice. When every attempt failed and at least one timed out, :class:`TimedOut` is raised: the
commit may have happened (at most once), and the caller must say so.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import grpc

from services.common.blobstore import BlobError, BlobStore, BlobStoreFull
from services.common.grpcclient import MetadataClient, reason_of
from services.common.mailstore.errors import (
    BlobUnavailable,
    MailStoreError,
    ParseFailed,
    StorageFull,
    TimedOut,
    Unavailable,
    from_rpc,
)
from services.common.mime import build_summary
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb

log = logging.getLogger("kubemail.mailstore")

T = TypeVar("T")

_BACKOFF = 0.1  # seconds before the second attempt; doubled for each further one


def backoff_total(attempts: int) -> float:
    """Seconds all the waits between `attempts` commit attempts add up to."""
    return sum(_BACKOFF * 2 ** (a - 1) for a in range(1, max(1, attempts)))


def new_key(kind: str) -> str:
    """A fresh idempotency key for one client transaction (`kind`: "smtp", "append", ...)."""
    return f"{kind}:{uuid.uuid4().hex}"


@dataclasses.dataclass(frozen=True)
class Ingested:
    """A message whose blob is in the blob store, ready to commit."""

    blob_id: str
    size: int
    summary: mime_pb.MessageSummary


class MailStore:
    def __init__(
        self,
        client: MetadataClient,
        blobs: BlobStore,
        parse_in_thread_bytes: int = 256 * 1024,
        commit_attempts: int = 7,
    ) -> None:
        self.client = client
        self.blobs = blobs
        self.parse_in_thread_bytes = parse_in_thread_bytes
        self.commit_attempts = max(1, commit_attempts)

    # -- ingest ------------------------------------------------------------------------
    async def ingest(self, raw: bytes) -> Ingested:
        """Parses `raw` once and puts its blob. Raises ParseFailed or BlobUnavailable."""
        try:
            if len(raw) > self.parse_in_thread_bytes:
                summary = await asyncio.to_thread(build_summary, raw)
            else:
                summary = build_summary(raw)
        except Exception:
            log.exception("build_summary failed")
            raise ParseFailed("cannot summarize the message") from None
        try:
            blob_id = await self.blobs.put(raw)
        except BlobStoreFull as exc:
            log.warning("blob store full: %s", exc)
            raise StorageFull(f"blob store full: {exc}") from None
        except (BlobError, OSError) as exc:
            log.warning("blob put failed: %s", exc)
            raise BlobUnavailable(f"blob put failed: {exc}") from None
        return Ingested(blob_id, len(raw), summary)

    # -- commits (idempotent, retried with the same key) -------------------------------
    async def commit(self, call: Callable[[], Awaitable[T]]) -> T:
        """Runs one idempotent metadata call (the same request, so the same key, every time),
        retrying after DEADLINE_EXCEEDED or UNAVAILABLE. Raises a MailStoreError."""
        timed_out = False
        last: MailStoreError | None = None
        for attempt in range(self.commit_attempts):
            if attempt:
                await asyncio.sleep(_BACKOFF * 2 ** (attempt - 1))
            try:
                return await call()
            except grpc.aio.AioRpcError as exc:
                err = from_rpc(exc)
            if not isinstance(err, Unavailable):
                raise err
            timed_out = timed_out or isinstance(err, TimedOut)
            last = err
            log.warning("metadata commit attempt %d/%d failed: %s", attempt + 1, self.commit_attempts, err)
        assert last is not None
        if timed_out:
            raise TimedOut(f"no answer after {self.commit_attempts} attempts; the commit may have happened")
        raise last

    async def deliver(
        self, msg: Ingested, user_ids: Sequence[str], key: str, mailboxes: Mapping[str, str] | None = None
    ) -> list[messages_pb.Delivered]:
        """Delivers `msg` to each local user (one message per user): into the mailbox `mailboxes`
        names for that user, else INBOX."""
        where = mailboxes or {}
        req = messages_pb.DeliverRequest(
            blob_id=msg.blob_id,
            size=msg.size,
            summary=msg.summary,
            deliveries=[messages_pb.Delivery(user_id=u, mailbox=where.get(u, "")) for u in user_ids],
            idempotency_key=key,
        )
        resp = await self.commit(lambda: self.client.messages.Deliver(req))
        return list(resp.delivered)

    async def special_mailbox(self, user_id: str, special_use: str, name: str) -> str:
        """The name of `user_id`'s mailbox with `special_use` (RFC 6154, e.g. \\Junk); created as
        `name` with that special-use when the user has none. Raises a MailStoreError."""
        token = ""
        while True:
            req = mailboxes_pb.ListMailboxesRequest(user_id=user_id, page_token=token)
            try:
                page = await self.client.mailboxes.ListMailboxes(req)
            except grpc.aio.AioRpcError as exc:
                raise from_rpc(exc) from None
            for mb in page.mailboxes:
                if mb.special_use == special_use:
                    return str(mb.name)
            token = page.next_page_token
            if not token:
                break
        create = mailboxes_pb.CreateMailboxRequest(user_id=user_id, name=name, special_use=special_use)
        try:
            await self.client.mailboxes.CreateMailbox(create)
        except grpc.aio.AioRpcError as exc:
            err = from_rpc(exc)
            if reason_of(exc) != er.ERROR_REASON_MAILBOX_EXISTS:
                raise err from None
            # a mailbox of that name without the special-use: mail goes there all the same
        return name

    async def append(
        self,
        user_id: str,
        mailbox: str,
        raw: bytes,
        key: str,
        flags: Sequence[str] = (),
        internal_date: int = 0,
        claim_recent: bool = False,
    ) -> messages_pb.AppendResponse:
        """IMAP APPEND: ingest `raw`, then add it to `mailbox` of `user_id` (claim_recent: as
        \\Recent of the caller, AppendRequest.claim_recent)."""
        msg = await self.ingest(raw)
        req = messages_pb.AppendRequest(
            user_id=user_id,
            mailbox=mailbox,
            blob_id=msg.blob_id,
            size=msg.size,
            summary=msg.summary,
            flags=list(flags),
            internal_date=internal_date,
            idempotency_key=key,
            claim_recent=claim_recent,
        )
        resp: messages_pb.AppendResponse = await self.commit(lambda: self.client.messages.Append(req))
        return resp

    async def append_many(
        self, user_id: str, mailbox: str, items: Sequence[tuple[bytes, Sequence[str], int]], key: str
    ) -> list[messages_pb.AppendResponse]:
        """IMAP MULTIAPPEND: ingest each (raw, flags, internal_date), then add them all to
        `mailbox` in one commit: all are stored or none is (a blob put for a refused commit is
        left to the collector, as for a refused APPEND)."""
        ingested = [await self.ingest(raw) for raw, _, _ in items]
        req = messages_pb.AppendManyRequest(
            user_id=user_id,
            mailbox=mailbox,
            items=[
                messages_pb.AppendItem(
                    blob_id=m.blob_id, size=m.size, summary=m.summary, flags=list(flags), internal_date=date
                )
                for m, (_, flags, date) in zip(ingested, items, strict=True)
            ],
            idempotency_key=key,
        )
        resp: messages_pb.AppendManyResponse = await self.commit(lambda: self.client.messages.AppendMany(req))
        return list(resp.appended)

    async def copy(
        self,
        user_id: str,
        mailbox_id: str,
        uids: Sequence[types_pb.UidRange],
        destination: str,
        key: str,
        destination_user_id: str = "",
    ) -> messages_pb.CopyMessagesResponse:
        """destination_user_id: the destination's owner when another user's (a shared mailbox)."""
        req = messages_pb.CopyMessagesRequest(
            user_id=user_id,
            mailbox_id=mailbox_id,
            uids=list(uids),
            destination=destination,
            idempotency_key=key,
            destination_user_id=destination_user_id,
        )
        resp: messages_pb.CopyMessagesResponse = await self.commit(lambda: self.client.messages.CopyMessages(req))
        return resp

    async def move(
        self,
        user_id: str,
        mailbox_id: str,
        uids: Sequence[types_pb.UidRange],
        destination: str,
        key: str,
        destination_user_id: str = "",
    ) -> messages_pb.MoveMessagesResponse:
        """destination_user_id: the destination's owner when another user's (a shared mailbox)."""
        req = messages_pb.MoveMessagesRequest(
            user_id=user_id,
            mailbox_id=mailbox_id,
            uids=list(uids),
            destination=destination,
            idempotency_key=key,
            destination_user_id=destination_user_id,
        )
        resp: messages_pb.MoveMessagesResponse = await self.commit(lambda: self.client.messages.MoveMessages(req))
        return resp

    async def store_flags(
        self,
        user_id: str,
        mailbox_id: str,
        uids: Sequence[types_pb.UidRange],
        mode: messages_pb.StoreFlagsRequest.Mode,
        flags: Sequence[str],
        unchanged_since: int = 0,
    ) -> messages_pb.StoreFlagsResponse:
        """Sets, adds or removes flags. No idempotency key and no retry after a deadline
        beyond the gRPC client's UNAVAILABLE retries: a timed-out STORE is reported as such."""
        req = messages_pb.StoreFlagsRequest(
            user_id=user_id,
            mailbox_id=mailbox_id,
            uids=list(uids),
            mode=mode,
            flags=list(flags),
            unchanged_since=unchanged_since,
        )
        try:
            resp: messages_pb.StoreFlagsResponse = await self.client.messages.StoreFlags(req)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc(exc) from None
        return resp
