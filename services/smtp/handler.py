"""aiosmtpd handler hooks: EHLO extensions, MAIL and RCPT policy, end-of-DATA delivery.

One hook per command, each taking the server (a KubemailSMTP), its session and envelope.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid

import grpc
from aiosmtpd.smtp import Session

from services.common.grpcclient import reason_of
from services.common.mailstore import MailStoreError, new_key
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.smtp import addresses, headers, metrics, paths, screening
from services.smtp.addresses import Verdict
from services.smtp.context import MX
from services.smtp.delivery import DeliveryError, Job, failure
from services.smtp.params import MailParams, RcptParams, xtext_encode
from services.smtp.session import KmEnvelope, KubemailSMTP

log = logging.getLogger("kubemail.smtp")

R = directory_pb.Resolution
# RFC 3461 4: the DSN parameters lengthen MAIL by up to 110 octets and RCPT by up to 500
DSN_MAIL_EXTRA = 110
DSN_RCPT_EXTRA = 500
NO_DOMAIN = "postmaster.invalid"  # <Postmaster> while KUBEMAIL_SMTP_POSTMASTER is unset: never local
NO_POSTMASTER = f"{paths.POSTMASTER}@{NO_DOMAIN}"


class Handler:
    async def handle_EHLO(  # noqa: N802
        self, server: KubemailSMTP, session: Session, envelope: KmEnvelope, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        out = [r for r in responses if not r.startswith("250-AUTH") or server.listener.auth]
        extra = ["250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250-DSN"]
        server.command_size_limits["MAIL"] += DSN_MAIL_EXTRA
        server.command_size_limits["RCPT"] += DSN_RCPT_EXTRA
        return out[:-1] + extra + out[-1:]

    async def handle_MAIL(  # noqa: N802
        self, server: KubemailSMTP, session: Session, envelope: KmEnvelope, address: str, options: MailParams
    ) -> str:
        user = server.user
        if address == "<>":
            if user is not None:
                return "553 5.7.1 Null sender not allowed for submission"
        else:
            checked = addresses.check(address)
            if checked.verdict is not Verdict.OK:
                return "553 5.1.7 Bad sender address syntax"
            if checked.needs_utf8 and not envelope.smtp_utf8:
                return "553 5.6.7 Non-ASCII address requires SMTPUTF8"
            if user is not None:
                owned = [user.address, *user.aliases]
                if not any(addresses.same_mailbox(address, a) for a in owned):
                    return "553 5.7.1 Sender address not owned by the authenticated user"
        if not await _within_message_limit(server):
            return "451 4.7.1 Too many messages from this sender, try later"
        envelope.mail_from = address
        envelope.mail_params = options
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(  # noqa: N802
        self, server: KubemailSMTP, session: Session, envelope: KmEnvelope, address: str, options: RcptParams
    ) -> str:
        ctx = server.ctx
        if len(envelope.rcpt_tos) >= ctx.cfg.max_recipients:
            return "452 4.5.3 Too many recipients"
        if address == paths.POSTMASTER:
            address = ctx.cfg.postmaster or f"{paths.POSTMASTER}@{NO_DOMAIN}"
        checked = addresses.check(address)
        if checked.verdict is Verdict.RELAY_TRICK:
            return "550 5.7.1 Relay access denied"
        if checked.verdict is not Verdict.OK:
            return "553 5.1.3 Bad recipient address syntax"
        if checked.needs_utf8 and not envelope.smtp_utf8:
            return "553 5.6.7 Non-ASCII address requires SMTPUTF8"
        original = ctx.srs_original(checked.address)
        if original is not None:  # a bounce to a forward the relay rewrote (SRS0): to its sender
            _add_remote(envelope, original, options)
            if checked.address not in envelope.rcpt_tos:
                envelope.rcpt_tos.append(checked.address)
            return "250 2.1.5 Recipient OK"
        res = await _resolve(server, checked.address)
        if isinstance(res, str):
            return res
        postmaster = checked.local.lower() == paths.POSTMASTER
        if postmaster and (res.status == R.STATUS_UNKNOWN_USER or checked.address == NO_POSTMASTER):
            res = await _postmaster(server)
            if isinstance(res, str):
                return res
        if res.status == R.STATUS_LOCAL:
            full = await self._over_quota(server, list(res.user_ids))
            if full is None:
                return "451 4.3.0 Directory temporarily unavailable, try later"
            if full:
                return "452 4.2.2 Mailbox full"
            for uid in res.user_ids:
                if uid not in envelope.local_user_ids:
                    envelope.local_user_ids.append(uid)
                    envelope.inbound[uid] = res.inbound
            # a forward copy keeps the recipient's NOTIFY; its ORCPT names the address the sender
            # used (RFC 3461 6.2.1: one is always passed on where it is known)
            orcpt = options.orcpt or f"rfc822;{xtext_encode(checked.address)}"
            for fwd in res.forward_to:
                _add_remote(envelope, fwd, RcptParams(options.notify, orcpt))
        elif res.status == R.STATUS_NOT_LOCAL:
            if server.user is None:
                return "550 5.7.1 Relay access denied"
            _add_remote(envelope, checked.address, options)
        elif res.status == R.STATUS_UNKNOWN_USER:
            return "550 5.1.1 User unknown"
        elif res.status == R.STATUS_DISABLED:
            return "550 5.2.1 Mailbox disabled"
        else:
            return "553 5.1.3 Bad recipient address"
        if checked.address not in envelope.rcpt_tos:
            envelope.rcpt_tos.append(checked.address)
        return "250 2.1.5 Recipient OK"

    async def _over_quota(self, server: KubemailSMTP, user_ids: list[str]) -> bool | None:
        """True if any user is at or over quota; None if the quota could not be read."""
        for uid in user_ids:
            try:
                q = await server.ctx.client.mailboxes.GetQuota(mailboxes_pb.GetQuotaRequest(user_id=uid))
            except grpc.aio.AioRpcError as exc:
                if reason_of(exc) == er.ERROR_REASON_UNIMPLEMENTED:
                    return False
                return None
            if q.limit_bytes and q.used_bytes >= q.limit_bytes:
                return True
        return False

    async def handle_DATA(self, server: KubemailSMTP, session: Session, envelope: KmEnvelope) -> str:  # noqa: N802
        ctx = server.ctx
        content = envelope.original_content or b""
        metrics.BYTES_RECEIVED.inc(len(content))
        start = time.perf_counter()
        ctx.inflight += 1
        try:
            reply, result, reason = await self._deliver(server, session, envelope, content)
        finally:
            ctx.inflight -= 1
            metrics.DELIVERY_DURATION.observe(time.perf_counter() - start)
        metrics.MESSAGES.labels(result, reason).inc()
        return reply

    async def _deliver(
        self, server: KubemailSMTP, session: Session, envelope: KmEnvelope, content: bytes
    ) -> tuple[str, str, str]:
        mail_from = envelope.mail_from or "<>"
        queue_id = uuid.uuid4().hex[:16].upper()
        tls_version, tls_cipher = server.tls_info()
        user = server.user
        trace = headers.Trace(
            helo=session.host_name or "unknown",
            client_ip=server.client_ip,
            hostname=ctx_hostname(server),
            queue_id=queue_id,
            protocol=headers.protocol_name(
                session.extended_smtp, bool(tls_version), user is not None, envelope.smtp_utf8
            ),
            tls_version=tls_version,
            tls_cipher=tls_cipher,
            recipient=envelope.rcpt_tos[0] if len(envelope.rcpt_tos) == 1 else "",
        )
        peer = screening.Peer(server.client_ip, trace.helo, user.address if user is not None else "")
        mx = server.listener.kind == MX.kind
        screened = await screening.screen(server.ctx, envelope, content, peer, mx, queue_id)
        if screened.reply:
            return screened.reply, ("tempfail" if screened.reply.startswith("4") else "rejected"), screened.reason
        try:
            mailboxes = await _junk_mailboxes(server, screened.junk)
        except MailStoreError as exc:
            err = failure(exc, len(envelope.rcpt_tos))
            return err.reply, ("tempfail" if err.temporary else "rejected"), "junk_mailbox"
        raw = headers.return_path(mail_from) + screened.headers + headers.received(trace) + screened.content
        job = Job(
            raw=raw,
            mail_from=mail_from,
            local_user_ids=list(envelope.local_user_ids),
            remote=list(envelope.remote),
            key=new_key("smtp"),  # one per transaction attempt (decision 0010)
            submitted_by=user.id if user is not None else "",
            recipients=len(envelope.rcpt_tos),
            ret=envelope.mail_params.ret,
            envid=envelope.mail_params.envid,
            remote_dsn=dict(envelope.remote_dsn),
            mailboxes=mailboxes,
        )
        try:
            await server.ctx.deliverer.deliver(job)
        except DeliveryError as exc:
            return exc.reply, ("tempfail" if exc.temporary else "rejected"), exc.reason
        log.info(
            "session %s queued %s: %d bytes, %d local, %d remote",
            server.session_id,
            queue_id,
            len(raw),
            len(job.local_user_ids),
            len(job.remote),
        )
        return f"250 2.0.0 Ok: queued as {queue_id}", "accepted", "ok"


async def _junk_mailboxes(server: KubemailSMTP, user_ids: frozenset[str]) -> dict[str, str]:
    """user id -> the name of that user's Junk mailbox (created with \\Junk when missing)."""
    store = server.ctx.mailstore
    return {uid: await store.special_mailbox(uid, screening.JUNK_SPECIAL_USE, screening.JUNK_NAME) for uid in user_ids}


def client_network(ip: str) -> str:
    """What the MX message limit counts by: the IPv4 address, or the IPv6 /64."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if addr.version == 6:
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


async def _within_message_limit(server: KubemailSMTP) -> bool:
    """One more transaction against the message limit of what cannot be forged: the
    authenticated user (submission), else the client's address (MX). The envelope sender is
    never the key: anyone can write any sender, `<>` (every bounce) included (#13 item 15)."""
    ctx = server.ctx
    user = server.user
    if user is not None:
        return await ctx.hit("msg-user", user.id, ctx.cfg.msg_rate_limit, ctx.cfg.msg_rate_window)
    ip = server.client_ip
    if ctx.trusted_ip(ip) or ctx.auth_limits.shared(ip):
        return True
    return await ctx.hit("msg-net", client_network(ip), ctx.cfg.mx_msg_rate_limit, ctx.cfg.msg_rate_window)


async def _resolve(server: KubemailSMTP, address: str) -> directory_pb.Resolution | str:
    """The directory's resolution of one address, or the reply when it cannot be had."""
    try:
        resp = await server.ctx.client.directory.ResolveRecipients(
            directory_pb.ResolveRecipientsRequest(addresses=[address])
        )
    except grpc.aio.AioRpcError as exc:
        log.warning("ResolveRecipients failed: %s", exc.code().name)
        return "451 4.3.0 Directory temporarily unavailable, try later"
    if not resp.results:
        return "451 4.3.0 Directory gave no answer, try later"
    return resp.results[0]  # type: ignore[no-any-return]


async def _postmaster(server: KubemailSMTP) -> directory_pb.Resolution | str:
    """postmaster@ a local domain that no user, alias or catch-all takes, or <Postmaster>: the
    mailbox of KUBEMAIL_SMTP_POSTMASTER (RFC 5321 4.5.1), which must be local."""
    target = server.ctx.cfg.postmaster
    if not target:
        log.info("session %s: mail for postmaster refused: KUBEMAIL_SMTP_POSTMASTER is not set", server.session_id)
        return "550 5.1.1 User unknown"
    got = await _resolve(server, target)
    if isinstance(got, str) or got.status == R.STATUS_LOCAL:
        return got
    log.warning("KUBEMAIL_SMTP_POSTMASTER %s is not a local mailbox: mail for postmaster refused", target)
    return "550 5.1.1 User unknown"


def _add_remote(envelope: KmEnvelope, address: str, dsn: RcptParams) -> None:
    """A remote recipient, once (the first RCPT's DSN parameters count)."""
    if address not in envelope.remote:
        envelope.remote.append(address)
        envelope.remote_dsn[address] = dsn


def ctx_hostname(server: KubemailSMTP) -> str:
    return server.ctx.hostname
