"""Delivery of one message to the recipients of one destination (a domain, or a smarthost):
routing, MTA-STS, the hosts and addresses tried in order, and the recipients' results.

Every recipient ends an attempt with a `Result`: its SMTP reply (remote, or ours in the same
shape: "451 4.4.1 ..." for no connection, "550 5.1.10 ..." for null MX) and the host that gave it.
"""

from __future__ import annotations

import dataclasses
import logging
import ssl
import time

from services.relay import metrics
from services.relay.message import Outgoing
from services.relay.mtasts import Policies
from services.relay.routing import RouteError, Router
from services.relay.smarthost import Smarthost
from services.relay.transfer import Outcome, Reply, SessionFailed, Target, Timeouts, TlsMode, send

log = logging.getLogger("kubemail.relay.destination")


@dataclasses.dataclass(frozen=True)
class Result:
    reply: Reply
    remote: str = ""  # host name that answered, "" when none did
    dsn_relayed: bool = False  # the remote took over DSN duties (it supports DSN)


@dataclasses.dataclass
class Deliverer:
    router: Router
    policies: Policies | None
    contexts: tuple[ssl.SSLContext, ssl.SSLContext]
    timeouts: Timeouts
    helo: str
    port: int = 25
    max_rcpt: int = 100

    async def deliver(self, domain: str, msg: Outgoing, smarthost: Smarthost | None) -> dict[str, Result]:
        if smarthost is not None:
            target = Target(
                smarthost.host, smarthost.host, smarthost.port, smarthost.tls, smarthost.username, smarthost.password
            )
            return await self._chunks([target], msg)
        try:
            route = await self.router.route(domain)
        except RouteError as exc:
            return {r.address: Result(Reply(int(exc.reply[:3]), exc.reply[4:])) for r in msg.recipients}
        tls = TlsMode.OPPORTUNISTIC
        hosts = list(route.hosts)
        policy = None
        if self.policies is not None and not route.implicit:
            policy = await self.policies.policy(domain)
        if policy is None or policy.mode == "none":
            metrics.MTA_STS.labels("none").inc()
        elif policy.enforce:
            matching = [h for h in hosts if policy.matches(h.name)]
            if not matching:
                metrics.MTA_STS.labels("mismatch").inc()
                reply = Reply(451, f"4.7.5 no MX host of {domain} matches its MTA-STS policy")
                return {r.address: Result(reply) for r in msg.recipients}
            metrics.MTA_STS.labels("enforce").inc()
            hosts, tls = matching, TlsMode.VERIFIED
        else:
            metrics.MTA_STS.labels("testing").inc()
            for h in hosts:
                if not policy.matches(h.name):
                    log.warning("MTA-STS testing: MX %s of %s does not match the policy", h.name, domain)
        targets = [Target(h.name, a, self.port, tls) for h in hosts for a in h.addresses]
        return await self._chunks(targets, msg)

    async def _chunks(self, targets: list[Target], msg: Outgoing) -> dict[str, Result]:
        results: dict[str, Result] = {}
        rcpts = list(msg.recipients)
        for i in range(0, len(rcpts), self.max_rcpt):
            chunk = {r.address for r in rcpts[i : i + self.max_rcpt]}
            results.update(await self._one(targets, msg.only(chunk)))
        return results

    async def _one(self, targets: list[Target], msg: Outgoing) -> dict[str, Result]:
        last = Reply(451, "4.4.1 no address to connect to")
        last_host = ""
        for target in targets:
            started = time.monotonic()
            try:
                outcome = await self._send(target, msg)
            except SessionFailed as exc:
                metrics.ATTEMPT_SECONDS.observe(time.monotonic() - started)
                log.info("%s [%s]: %s", target.hostname, target.address, exc)
                if exc.stage == "starttls":
                    metrics.TLS.labels("failed").inc()
                if exc.stage in ("auth", "starttls") or exc.reply.code < 500:
                    last = Reply(451 if exc.reply.code >= 500 else exc.reply.code, exc.reply.text)
                else:
                    last = exc.reply
                last_host = target.hostname
                continue
            metrics.ATTEMPT_SECONDS.observe(time.monotonic() - started)
            metrics.TLS.labels(outcome.tls).inc()
            return {a: Result(rep, target.hostname, outcome.dsn) for a, rep in outcome.replies.items()}
        return {r.address: Result(last, last_host) for r in msg.recipients}

    async def _send(self, target: Target, msg: Outgoing) -> Outcome:
        try:
            return await send(target, msg, self.helo, self.contexts, self.timeouts)
        except SessionFailed as exc:
            if exc.stage != "starttls" or target.tls is not TlsMode.OPPORTUNISTIC:
                raise
        # opportunistic TLS failed in the handshake: the same address once more in plain text
        log.info("%s [%s]: STARTTLS failed, retrying without TLS", target.hostname, target.address)
        return await send(dataclasses.replace(target, tls=TlsMode.NONE), msg, self.helo, self.contexts, self.timeouts)
