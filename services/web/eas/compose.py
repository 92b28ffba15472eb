"""SendMail, SmartReply and SmartForward ([MS-ASCMD] 2.2.1.17-19) through the mail store, as SMTP
submission does (services/smtp/delivery.py): the message is stored once, delivered to the local
recipients (Messages.Deliver) and queued for the remote ones (Outbound.Queue) under one
idempotency key, and a copy is appended to Sent (SaveInSentItems). The envelope comes from the
To/Cc/Bcc fields; Bcc is removed from the stored copy, every other byte is kept as sent. The
From address must be the user's own address or one of its aliases (the submission rule), and is filled in when absent.

SmartForward attaches the original message (message/rfc822) unless ReplaceMime is set;
SmartReply sends the device's MIME as it is (the device quotes the original itself) and marks
the original \\Answered; SmartForward marks it $Forwarded.

A success is an empty response; failures are ComposeMail Status values (common status codes,
[MS-ASCMD] 2.2.2): 103 invalid request, 107 invalid MIME, 110 server error, 111 retry later
(store unavailable), 113 mailbox quota, 115 send quota (the per-user message rate limit, shared
with SMTP submission), 116 a recipient unresolved, 119 no recipient, 120 submission refused (a
From that is not the user's), 150 source item not found."""

from __future__ import annotations

import email.message
import email.policy
import email.utils
import logging

import grpc

from services.common.mailstore import (
    BlobUnavailable,
    MailStoreError,
    QuotaExceeded,
    StorageFull,
    Unavailable,
    new_key,
)
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.web.eas import mailitem
from services.web.eas.store import Store
from services.web.wbxml.codec import Element, el

log = logging.getLogger("kubemail.web.eas.compose")

C = "ComposeMail"
INVALID_REQUEST, INVALID_MIME, SERVER_ERROR, RETRY_LATER, MAILBOX_FULL = 103, 107, 110, 111, 113
SEND_QUOTA, UNRESOLVED, NO_RECIPIENT, SUBMISSION_FAILED, NOT_FOUND = 115, 116, 119, 120, 150
MAX_RECIPIENTS = 1000
R = directory_pb.Resolution


def _answer(command: str, status: int) -> Element:
    return el(C, command, el(C, "Status", status))


def _recipients(msg: email.message.EmailMessage) -> list[str]:
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in (msg.get_all(name) or [])]
    out = [addr for _, addr in email.utils.getaddresses(values) if "@" in addr]
    return list(dict.fromkeys(out))


def _strip_bcc(raw: bytes) -> bytes:
    """`raw` without its Bcc field(s), every other byte as the device sent it."""
    sep = raw.find(b"\r\n\r\n")
    sep = sep + 2 if sep >= 0 else raw.find(b"\n\n") + 1
    if sep <= 0:
        return raw
    lines = raw[:sep].splitlines(keepends=True)
    out: list[bytes] = []
    dropping = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                out.append(line)
            continue
        dropping = line[:4].lower() == b"bcc:"
        if not dropping:
            out.append(line)
    return b"".join(out) + raw[sep:]


def _prepare(raw: bytes, user: directory_pb.User) -> tuple[bytes, list[str]] | int:
    """The bytes to store and the envelope recipients, or a Status."""
    try:
        msg = mailitem.parse(raw)
        recipients = _recipients(msg)
        sender = email.utils.parseaddr(str(msg.get("From", "")))[1]
        has_date, has_id = msg.get("Date") is not None, msg.get("Message-ID") is not None
    except (ValueError, IndexError, TypeError):
        return INVALID_MIME
    own = {user.address.lower(), *(a.lower() for a in user.aliases)}
    if sender and sender.lower() not in own:
        return SUBMISSION_FAILED
    if not recipients:
        return NO_RECIPIENT
    if len(recipients) > MAX_RECIPIENTS:
        return INVALID_MIME
    extra = b""
    if not sender:
        extra += f"From: <{user.address}>\r\n".encode()
    if not has_date:
        extra += f"Date: {email.utils.formatdate(usegmt=True)}\r\n".encode()
    if not has_id:
        extra += f"Message-ID: {email.utils.make_msgid(domain=user.address.rpartition('@')[2] or None)}\r\n".encode()
    return extra + _strip_bcc(raw), recipients


def _status_of(exc: MailStoreError) -> int:
    if isinstance(exc, QuotaExceeded):
        return MAILBOX_FULL
    if isinstance(exc, Unavailable | StorageFull | BlobUnavailable):
        return RETRY_LATER
    return SERVER_ERROR


class Composer:
    def __init__(self, store: Store, rate_limit: int = 0, rate_window: int = 3600) -> None:
        self.store = store
        self.rate_limit = rate_limit
        self.rate_window = rate_window

    async def _allowed(self, user: directory_pb.User) -> bool:
        """One message against the per-user submission limit SMTP uses too (bucket msg-user, all
        pods and both front-ends); fails open when the Limits service is down, as SMTP does."""
        if self.rate_limit <= 0:
            return True
        req = limits_pb.HitRequest(
            bucket="msg-user", key=user.id, limit=self.rate_limit, window_seconds=self.rate_window, cost=1
        )
        try:
            resp = await self.store.client.limits.Hit(req, timeout=2.0)
        except grpc.aio.AioRpcError as exc:
            log.warning("rate limit msg-user unavailable (%s); allowing", exc.code().name)
            return True
        return bool(resp.allowed)

    async def send(self, command: str, user: directory_pb.User, body: Element | None) -> Element | None:
        if body is None or (body.ns, body.tag) != (C, command):
            return _answer(command, INVALID_REQUEST)
        mime = body.find(C, "Mime")
        if mime is None or not (mime.opaque or mime.text):
            return _answer(command, INVALID_REQUEST)
        raw = mime.opaque if mime.opaque is not None else (mime.text or "").encode("utf-8")
        source = None
        if command != "SendMail":
            src = body.find(C, "Source")
            fid, iid = (src.find(C, t) if src is not None else None for t in ("FolderId", "ItemId"))
            parsed = mailitem.parse_server_id(iid.value(), fid.value() if fid else None) if iid is not None else None
            source = await self.store.message(user.id, parsed[0], parsed[1]) if parsed else None
            if parsed is None or source is None:
                return _answer(command, NOT_FOUND)
            if command == "SmartForward" and body.find(C, "ReplaceMime") is None:
                raw = _with_original(raw, await self.store.raw(source))
        prepared = _prepare(raw, user)
        if isinstance(prepared, int):
            log.info("%s from %s refused: status %d", command, user.address, prepared)
            return _answer(command, prepared)
        data, recipients = prepared
        if not await self._allowed(user):
            log.info("%s from %s refused: message rate limit", command, user.address)
            return _answer(command, SEND_QUOTA)
        try:
            await self._submit(user, data, recipients, save=body.find(C, "SaveInSentItems") is not None)
        except _RefusedError as exc:
            return _answer(command, exc.status)
        except MailStoreError as exc:
            log.warning("%s from %s failed: %s", command, user.address, exc)
            return _answer(command, _status_of(exc))
        if source is not None and parsed is not None:
            flag = "\\Answered" if command == "SmartReply" else "$Forwarded"
            await self.store.set_flag(user.id, parsed[0], parsed[1], flag, True)
        return None

    async def _submit(self, user: directory_pb.User, data: bytes, recipients: list[str], save: bool) -> None:
        resolved = await self.store.client.directory.ResolveRecipients(
            directory_pb.ResolveRecipientsRequest(addresses=recipients)
        )
        local: list[str] = []
        remote: list[str] = []
        for r in resolved.results:
            if r.status == R.STATUS_LOCAL:
                local += r.user_ids
                remote += r.forward_to
            elif r.status == R.STATUS_NOT_LOCAL:
                remote.append(r.address)
            else:
                log.info("SendMail from %s: recipient refused (%s)", user.address, R.Status.Name(r.status))
                raise _RefusedError(UNRESOLVED)
        mail = self.store.mail
        key = new_key("eas")
        msg = await mail.ingest(data)
        if local:
            await mail.deliver(msg, list(dict.fromkeys(local)), key)
        if remote:
            req = outbound_pb.QueueRequest(
                blob_id=msg.blob_id,
                mail_from=user.address,
                recipients=list(dict.fromkeys(remote)),
                submitted_by=user.id,
                size=msg.size,
                idempotency_key=key,
            )
            await mail.commit(lambda: mail.client.outbound.Queue(req))
        if save:
            sent = await self.store.special(user.id, "\\Sent")
            if sent is not None:
                req2 = messages_pb.AppendRequest(
                    user_id=user.id, mailbox=sent.name, blob_id=msg.blob_id, size=msg.size,
                    summary=msg.summary, flags=["\\Seen"], idempotency_key=key + ":sent",
                )  # fmt: skip
                await mail.commit(lambda: mail.client.messages.Append(req2))


class _RefusedError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _with_original(raw: bytes, original: bytes) -> bytes:
    msg = mailitem.parse(raw)
    inner = mailitem.parse(original)
    if not msg.is_multipart():
        msg.make_mixed()
    msg.attach(_rfc822(inner))
    return msg.as_bytes(policy=email.policy.SMTP)


def _rfc822(inner: email.message.EmailMessage) -> email.message.EmailMessage:
    part = email.message.EmailMessage()
    part.set_content(inner)
    return part
