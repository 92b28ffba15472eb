"""End of DATA on the MX, before anything is stored: sender authentication (services.smtp.trust)
turned into a refusal, Junk filing or delivery, and the header lines recording it."""

from __future__ import annotations

import dataclasses
import logging
import time

import grpc

from services.common.resolver import Lookup
from services.common.rspamd import Rspamd, ScannerError
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.smtp import metrics
from services.smtp.context import Context
from services.smtp.session import KmEnvelope
from services.smtp.trust import authresults, check, policy, spam

log = logging.getLogger("kubemail.smtp.trust")

R = directory_pb.Resolution
JUNK_SPECIAL_USE = "\\Junk"
JUNK_NAME = "Junk"
SCANNER_DOWN = "451 4.7.1 Spam scanner unavailable, try later"
SPAM_DEFERRED = "451 4.7.1 Message deferred by the spam filter, try later"


@dataclasses.dataclass(frozen=True)
class Screened:
    content: bytes  # the client's message, our authserv-id's forged Authentication-Results removed
    headers: bytes = b""  # fields to prepend (Authentication-Results)
    reply: str = ""  # a refusal: nothing is stored
    reason: str = ""  # bounded metrics reason of the refusal
    junk: frozenset[str] = frozenset()  # user ids whose copy goes to Junk


async def author_is_local(ctx: Context, domain: str) -> bool | None:
    """Whether `domain` is served here; None when the directory cannot say."""
    if not domain:
        return False
    try:
        resp = await ctx.client.directory.ResolveRecipients(
            directory_pb.ResolveRecipientsRequest(addresses=[f"postmaster@{domain}"])
        )
    except grpc.aio.AioRpcError as exc:
        log.warning("ResolveRecipients for the author domain failed: %s", exc.code().name)
        return None
    return bool(resp.results) and resp.results[0].status not in (R.STATUS_NOT_LOCAL, R.STATUS_INVALID)


def _count(auth: check.Auth) -> None:
    if auth.spf_mailfrom is not None:
        metrics.AUTH_RESULTS.labels("spf", auth.spf_mailfrom.result).inc()
    else:
        metrics.AUTH_RESULTS.labels("spf", auth.spf_helo.result).inc()
    for sig in auth.dkim or ():
        metrics.AUTH_RESULTS.labels("dkim", sig.result).inc()
    if not auth.dkim:
        metrics.AUTH_RESULTS.labels("dkim", "none").inc()
    metrics.AUTH_RESULTS.labels("dmarc", auth.dmarc.result).inc()
    metrics.AUTH_RESULTS.labels("arc", auth.arc.result).inc()


async def screen(
    ctx: Context, envelope: KmEnvelope, content: bytes, peer: Peer, mx: bool, queue_id: str = ""
) -> Screened:
    """Verification, policy and the spam scan of one message. Only MX mail from outside the
    trusted networks is verified; every message loses Authentication-Results fields that claim
    our authserv-id; with a scanner, every message is scanned."""
    clean = authresults.strip_ours(content, ctx.authserv_id)
    if ctx.rspamd is not None:
        clean = spam.strip_scanner_fields(clean)
    verified = Screened(clean)
    if mx and ctx.dns is not None and not ctx.trusted_ip(peer.ip):
        verified = await _verify(ctx, ctx.dns, envelope, content, clean, peer)
    if verified.reply or ctx.rspamd is None:
        return verified
    return await _scan(ctx, ctx.rspamd, envelope, verified, peer, queue_id)


@dataclasses.dataclass(frozen=True)
class Peer:
    ip: str
    helo: str
    user: str = ""  # the authenticated user's address (submission)


async def _verify(
    ctx: Context, dns: Lookup, envelope: KmEnvelope, content: bytes, clean: bytes, peer: Peer
) -> Screened:
    start = time.perf_counter()
    auth = await check.authenticate(
        dns, content, peer.ip, peer.helo, envelope.mail_from or "<>", budget=ctx.cfg.trust_timeout
    )
    local: bool | None = False
    if auth.dmarc.header_from and auth.dmarc.result != "pass":
        local = await author_is_local(ctx, auth.dmarc.header_from)
        if local is None:
            return Screened(clean, reply="451 4.3.0 Directory temporarily unavailable, try later", reason="directory")
    metrics.TRUST_DURATION.observe(time.perf_counter() - start)
    _count(auth)
    rule = policy.trigger(auth, bool(local))
    decision = policy.decide(rule, envelope.inbound, ctx.trust_defaults)
    if rule:
        action = policy.REJECT if decision.rejected else (policy.JUNK if decision.junk else policy.DELIVER)
        metrics.TRUST_ACTIONS.labels(rule, action).inc()
        log.info(
            "message from %s (%s, From domain %s): %s -> %s",
            peer.ip,
            envelope.mail_from,
            auth.dmarc.header_from,
            rule,
            action,
        )
    if decision.rejected:
        return Screened(clean, reply=decision.reply, reason=rule)
    header = authresults.header(
        ctx.authserv_id, auth.spf_mailfrom, auth.spf_helo, auth.mail_from, auth.dkim, auth.dmarc, auth.arc
    )
    return Screened(clean, header, junk=decision.junk)


async def _scan(
    ctx: Context, scanner: Rspamd, envelope: KmEnvelope, verified: Screened, peer: Peer, queue_id: str
) -> Screened:
    """Rspamd's verdict applied: reject 550, soft reject 451, add header / rewrite subject into
    Junk (KUBEMAIL_SMTP_SPAM_ACTION), anything else delivered with the verdict's headers."""
    facts = {
        "ip": peer.ip,
        "helo": peer.helo,
        "mail_from": envelope.mail_from or "<>",
        "rcpts": list(envelope.rcpt_tos),
        "user": peer.user,
        "queue_id": queue_id,
        "hostname": ctx.hostname,
    }
    try:
        verdict = await scanner.check(verified.content, facts)
    except ScannerError as exc:
        metrics.SPAM_VERDICTS.labels("unscanned").inc()
        if not ctx.cfg.rspamd_fail_open:
            log.warning("spam scanner %s (%s): message deferred (fail-closed)", exc.kind, exc)
            return dataclasses.replace(verified, reply=SCANNER_DOWN, reason="scanner")
        log.warning("spam scanner %s (%s): message delivered unscanned (fail-open)", exc.kind, exc)
        return dataclasses.replace(verified, headers=verified.headers + spam.unscanned_field(f"scanner {exc.kind}"))
    metrics.SPAM_VERDICTS.labels(verdict.action).inc()
    if verdict.action == "reject":
        return dataclasses.replace(verified, reply="550 5.7.1 Message rejected as spam", reason="spam")
    if verdict.action == "soft reject":
        return dataclasses.replace(verified, reply=SPAM_DEFERRED, reason="spam")
    content = verified.content
    if verdict.action == "rewrite subject":
        content = spam.rewrite_subject(content, verdict)
    junk = verified.junk
    if verdict.is_spam and ctx.cfg.spam_action == "junk":
        junk = frozenset(envelope.local_user_ids)
    return Screened(content, verified.headers + spam.verdict_fields(verdict), junk=junk)
