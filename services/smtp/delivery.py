"""End of DATA/BDAT: store through the mail store (services.common.mailstore); map failures to
SMTP replies (services.smtp.reasons).

250 is returned only after the blob is in the blob store and Messages.Deliver (local
recipients) and Outbound.Queue (remote recipients, same key) have both succeeded. Any
failure before that gives a 4xx (or a 5xx for permanent conditions such as quota), so
nothing acknowledged can be lost.

Idempotency (decision 0010): the handler makes one random key per DATA/BDAT transaction
attempt (`new_key`); every internal retry of the commit reuses it, so a commit whose reply was
lost is not stored twice. A new transaction by the client is a new message even with the same
bytes (DESIGN invariant 9): after a 451 whose commit did in fact happen (a timeout), the
client's resend is stored a second time, which RFC 5321 6.1 accepts over losing mail.
"""

from __future__ import annotations

import dataclasses
import logging

from services.common.grpcclient import MetadataClient
from services.common.mailstore import Ingested, MailStore, MailStoreError
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.smtp.params import RcptParams
from services.smtp.reasons import delivery_reply

log = logging.getLogger("kubemail.smtp.delivery")


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
    key: str  # idempotency key of this transaction (services.common.mailstore.new_key)
    submitted_by: str = ""  # user id of the authenticated sender
    recipients: int = 1
    ret: str = ""  # RFC 3461 RET: "", FULL or HDRS
    envid: str = ""  # RFC 3461 ENVID, decoded
    remote_dsn: dict[str, RcptParams] = dataclasses.field(default_factory=dict)  # NOTIFY/ORCPT per remote
    mailboxes: dict[str, str] = dataclasses.field(default_factory=dict)  # user id -> mailbox (Junk); else INBOX


def failure(exc: MailStoreError, recipients: int) -> DeliveryError:
    return DeliveryError(*delivery_reply(exc, recipients))


_RET = {"FULL": outbound_pb.EnvelopeDsn.RET_FULL, "HDRS": outbound_pb.EnvelopeDsn.RET_HDRS}


def _recipient(address: str, dsn: RcptParams | None) -> outbound_pb.QueueRecipient:
    d = dsn or RcptParams()
    return outbound_pb.QueueRecipient(address=address, dsn=outbound_pb.RecipientDsn(notify=d.notify, orcpt=d.orcpt))


def queue_request(msg: Ingested, job: Job) -> outbound_pb.QueueRequest:
    """The Outbound.Queue request for `job`'s remote recipients, with their DSN parameters."""
    return outbound_pb.QueueRequest(
        blob_id=msg.blob_id,
        mail_from="" if job.mail_from == "<>" else job.mail_from,
        dsn_recipients=[_recipient(a, job.remote_dsn.get(a)) for a in job.remote],
        submitted_by=job.submitted_by,
        size=msg.size,
        idempotency_key=job.key,
        dsn=outbound_pb.EnvelopeDsn(ret=_RET.get(job.ret, outbound_pb.EnvelopeDsn.RET_UNSPECIFIED), envid=job.envid),
    )


async def queue_outbound(store: MailStore, client: MetadataClient, msg: Ingested, job: Job) -> None:
    """Queues `msg` for the remote recipients (the one outbound-queue call)."""
    req = queue_request(msg, job)
    await store.commit(lambda: client.outbound.Queue(req))


class Deliverer:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def deliver(self, job: Job) -> str:
        """Stores and commits `job`; returns the blob id. Raises DeliveryError."""
        try:
            msg = await self.store.ingest(job.raw)
            if job.local_user_ids:
                await self.store.deliver(msg, job.local_user_ids, job.key, job.mailboxes)
            if job.remote:
                await queue_outbound(self.store, self.store.client, msg, job)
        except MailStoreError as exc:
            log.warning("delivery failed: %s", exc)
            raise failure(exc, job.recipients) from None
        return msg.blob_id
