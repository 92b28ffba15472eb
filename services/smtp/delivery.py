"""End of DATA: parse once, put the blob, commit in metadata; map failures to SMTP replies.

250 is returned only after the blob is in the blob store and Messages.Deliver (local
recipients) and Outbound.Queue (remote recipients, same key) have both succeeded. Any
failure before that gives a 4xx (or a 5xx for permanent conditions such as quota), so
nothing acknowledged can be lost. Deliver carries an idempotency key derived from the
sender and the client's bytes: a client that retries after a 451 whose commit did in
fact happen gets the first result back instead of a duplicate (within the metadata
service's idempotency TTL, identical resubmissions are thus stored once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging

import grpc

from services.common.blobstore import BlobError, BlobStore
from services.common.grpcclient import MetadataClient, reason_of
from services.common.mime import build_summary
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.smtp.reasons import delivery_reply

log = logging.getLogger("kubemail.smtp.delivery")

_PARSE_IN_THREAD = 256 * 1024


class DeliveryError(Exception):
    """Delivery did not happen (or is not known to be durable); `reply` is the SMTP answer."""

    def __init__(self, reply: str, reason: str) -> None:
        super().__init__(reply)
        self.reply = reply
        self.reason = reason

    @property
    def temporary(self) -> bool:
        return self.reply.startswith("4")


@dataclasses.dataclass
class Job:
    raw: bytes  # stored bytes: trace headers + the client's message
    mail_from: str
    local_user_ids: list[str]
    remote: list[str]
    key: str  # idempotency key
    submitted_by: str = ""  # user id of the authenticated sender
    recipients: int = 1


def idempotency_key(mail_from: str, content: bytes) -> str:
    """Same sender and same client bytes -> same key.

    The recipient list is deliberately left out: the metadata service keeps idempotency
    records per user, so a retry that reaches only some of the original recipients (the
    others got 4xx at RCPT this time) still finds each user's first delivery.
    """
    h = hashlib.sha256()
    h.update(mail_from.encode("utf-8", "surrogateescape") + b"\0")
    h.update(content)
    return "smtp:" + h.hexdigest()


def _grpc_failure(exc: grpc.aio.AioRpcError, recipients: int) -> DeliveryError:
    return DeliveryError(*delivery_reply(reason_of(exc), recipients))


def _summarize(raw: bytes) -> mime_pb.MessageSummary:
    return build_summary(raw)


class Deliverer:
    def __init__(self, client: MetadataClient, blobs: BlobStore) -> None:
        self.client = client
        self.blobs = blobs

    async def deliver(self, job: Job) -> str:
        """Stores and commits `job`; returns the blob id. Raises DeliveryError."""
        try:
            if len(job.raw) > _PARSE_IN_THREAD:
                summary = await asyncio.to_thread(_summarize, job.raw)
            else:
                summary = _summarize(job.raw)
        except Exception:
            log.exception("build_summary failed")
            raise DeliveryError("451 4.3.0 Temporary failure parsing the message", "parse") from None
        try:
            blob_id = await self.blobs.put(job.raw)
        except (BlobError, OSError) as exc:
            log.warning("blob put failed: %s", exc)
            raise DeliveryError("451 4.3.0 Temporary failure storing the message, try again later", "blob") from None
        try:
            if job.local_user_ids:
                await self.client.messages.Deliver(
                    messages_pb.DeliverRequest(
                        blob_id=blob_id,
                        size=len(job.raw),
                        summary=summary,
                        deliveries=[messages_pb.Delivery(user_id=u) for u in job.local_user_ids],
                        idempotency_key=job.key,
                    )
                )
            if job.remote:
                await self.client.outbound.Queue(
                    outbound_pb.QueueRequest(
                        blob_id=blob_id,
                        mail_from="" if job.mail_from == "<>" else job.mail_from,
                        recipients=job.remote,
                        submitted_by=job.submitted_by,
                        size=len(job.raw),
                        idempotency_key=job.key,
                    )
                )
        except grpc.aio.AioRpcError as exc:
            log.warning("metadata commit failed: %s %s", exc.code().name, exc.details())
            raise _grpc_failure(exc, job.recipients) from None
        return blob_id
