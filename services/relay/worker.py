"""The relay's loop: lease due entries from the outbound queue (metadata OutboundService, the
only writer of Redis), deliver each, report per recipient, and notify senders.

Per leased entry: read the blob, sign it (DKIM) and, for a forward, rewrite the sender (SRS);
deliver to each destination domain concurrently (at most KUBEMAIL_RELAY_DESTINATION_CONCURRENCY
transactions per domain in this pod); then
- 2xx recipients -> DELIVERED, 5xx -> FAILED with a "failed" DSN (Complete);
- 4xx/no connection -> Defer to the next time of the retry schedule, with a "delayed" DSN once
  the entry is older than KUBEMAIL_RELAY_DELAY_WARNING; past KUBEMAIL_RELAY_MAX_LIFETIME, Bounce
  with a "failed" DSN instead.
A DSN is stored before the outcome that causes it is reported, under an idempotency key made of
the queue id, the attempt and the action: a relay killed in between sends it once more at most.
Delivery is at-least-once: a relay killed after the remote 250 but before Complete leaves the
entry to be leased again and delivered a second time (RFC 5321 6.1 accepts that).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable

import grpc

from services.common import srs
from services.common.blobstore import BlobError, BlobStore
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore, MailStoreError
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as errors_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.relay import dsn, metrics
from services.relay.config import RelayConfig
from services.relay.destination import Deliverer, Result
from services.relay.dkimsign import Signer
from services.relay.message import Outgoing, domain_of, outgoing, ret_of, strip_return_path
from services.relay.smarthost import Smarthost, choose

log = logging.getLogger("kubemail.relay")


class DomainLimiter:
    """At most `limit` concurrent transactions per destination; a domain's semaphore lives only
    while someone holds or waits for it (the map does not grow with every domain ever seen)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._sems: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def slot(self, domain: str) -> AsyncIterator[None]:
        sem, users = self._sems.setdefault(domain, (asyncio.Semaphore(self.limit), [0]))
        users[0] += 1
        try:
            async with sem:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._sems[domain]

    def __len__(self) -> int:
        return len(self._sems)


class NoticeFailed(Exception):  # noqa: N818 - reads as a condition
    """A DSN could not be stored; the outcome that needs it is not reported (retried later)."""


def backoff(schedule: Iterable[str], attempt: int) -> int:
    """Seconds before the next attempt after attempt number `attempt` (1 = the first)."""
    steps = [int(float(s)) for s in schedule] or [300]
    return steps[min(max(attempt, 1), len(steps)) - 1]


class Relay:
    def __init__(
        self,
        cfg: RelayConfig,
        reporting_mta: str,
        client: MetadataClient,
        blobs: BlobStore,
        store: MailStore,
        deliverer: Deliverer,
        signer: Signer,
        smarthosts: tuple[Smarthost | None, dict[str, Smarthost]],
        srs_secret: bytes | None = None,
        srs_domain: str = "",
    ) -> None:
        self.cfg = cfg
        self.reporting_mta = reporting_mta
        self.client = client
        self.blobs = blobs
        self.store = store
        self.deliverer = deliverer
        self.signer = signer
        self.smarthosts = smarthosts
        self.srs_secret = srs_secret
        self.srs_domain = srs_domain or reporting_mta
        self.arc_domain = (cfg.arc_domain or self.srs_domain).lower()
        self.holder = socket.gethostname()
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(max(1, cfg.concurrency))
        self.per_domain = DomainLimiter(cfg.destination_concurrency)
        self.healthy = True
        self._loop_task: asyncio.Task[None] | None = None
        self._stats_task: asyncio.Task[None] | None = None

    # -- the loop ----------------------------------------------------------------------
    def start(self) -> None:
        self._loop_task = asyncio.create_task(self.run())
        self._stats_task = asyncio.create_task(self._stats())

    async def run(self) -> None:
        while not self.stopping.is_set():
            free = self.cfg.concurrency - len(self.tasks)
            entries: list[outbound_pb.OutboundEntry] = []
            if free > 0:
                entries = await self._lease(min(free, self.cfg.lease_batch))
            for entry in entries:
                await self.slots.acquire()
                task = asyncio.create_task(self._guarded(entry))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            if not entries:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), self.cfg.poll_interval)

    async def _lease(self, n: int) -> list[outbound_pb.OutboundEntry]:
        try:
            resp = await self.client.outbound.Lease(
                outbound_pb.LeaseRequest(holder=self.holder, max_entries=n, lease_seconds=self.cfg.lease_seconds)
            )
        except grpc.aio.AioRpcError as exc:
            metrics.LEASE_ERRORS.labels("lease").inc()
            if self.healthy:
                log.warning("lease failed: %s", exc.code().name)
            self.healthy = False
            return []
        self.healthy = True
        return list(resp.entries)

    async def _stats(self) -> None:
        while not self.stopping.is_set():
            try:
                s = await self.client.outbound.Stats(outbound_pb.StatsRequest())
                metrics.QUEUE_DEPTH.set(s.depth)
                metrics.QUEUE_DUE.set(s.due)
                metrics.QUEUE_OLDEST.set(s.oldest_age_seconds)
            except grpc.aio.AioRpcError:
                metrics.LEASE_ERRORS.labels("stats").inc()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), 15)

    async def stop(self, grace: float = 30.0) -> None:
        """Stops leasing and gives deliveries in flight `grace` seconds; the rest are cancelled and
        their leases expire (another pod delivers them)."""
        self.stopping.set()
        for t in (self._loop_task, self._stats_task):
            if t is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)

    async def _guarded(self, entry: outbound_pb.OutboundEntry) -> None:
        metrics.INFLIGHT.inc()
        try:
            await self.process(entry)
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) == errors_pb.ERROR_REASON_LEASE_EXPIRED:
                log.warning("entry %s: lease lost (taken over by another relay); dropped", entry.queue_id)
            else:
                log.warning(
                    "entry %s: metadata call failed: %s; the lease will expire", entry.queue_id, exc.code().name
                )
        except NoticeFailed as exc:
            log.warning("entry %s: %s; the lease will expire and the entry is tried again", entry.queue_id, exc)
        except Exception:
            log.exception("entry %s: unexpected failure; the lease will expire", entry.queue_id)
        finally:
            metrics.INFLIGHT.dec()
            self.slots.release()

    # -- one entry ---------------------------------------------------------------------
    async def process(self, entry: outbound_pb.OutboundEntry) -> None:
        try:
            data = await self.blobs.get(entry.blob_id)
        except BlobError as exc:
            log.warning("entry %s: blob %s unreadable: %s", entry.queue_id, entry.blob_id, exc)
            await self._defer(entry, [r.address for r in entry.recipients], f"451 4.3.0 message body unreadable: {exc}")
            return
        original = data
        body = strip_return_path(data)
        if self.cfg.arc_seal and not entry.submitted_by:  # a forward: seal what our MX verified
            body = self.signer.arc_seal(body, self.arc_domain, self.cfg.authserv_id or self.reporting_mta)
        msg = outgoing(entry, self.signer.sign(body))
        msg = self._rewrite_sender(entry, msg)
        by_domain: dict[str, list[str]] = defaultdict(list)
        for r in msg.recipients:
            by_domain[domain_of(r.address)].append(r.address)
        smarthost = choose(*self.smarthosts, domain_of(entry.mail_from) if entry.mail_from else "")
        results: dict[str, Result] = {}
        if smarthost is not None:
            results = await self._deliver("smarthost", msg, smarthost)
        else:
            parts = await asyncio.gather(
                *(self._deliver(d, msg.only(set(addrs)), None) for d, addrs in by_domain.items())
            )
            for part in parts:
                results.update(part)
        await self._report(entry, msg, original, results)

    def _rewrite_sender(self, entry: outbound_pb.OutboundEntry, msg: Outgoing) -> Outgoing:
        """A forward (no authenticated submitter) from a foreign sender gets an SRS0 sender."""
        if entry.submitted_by or not entry.mail_from or self.srs_secret is None:
            return msg
        if domain_of(entry.mail_from) in self.signer.domains():
            return msg
        return dataclasses.replace(msg, mail_from=srs.forward(entry.mail_from, self.srs_secret, self.srs_domain))

    async def _deliver(self, domain: str, msg: Outgoing, smarthost: Smarthost | None) -> dict[str, Result]:
        async with self.per_domain.slot(domain):
            return await self.deliverer.deliver(domain, msg, smarthost)

    async def _report(
        self, entry: outbound_pb.OutboundEntry, msg: Outgoing, original: bytes, results: dict[str, Result]
    ) -> None:
        delivered = [a for a, r in results.items() if r.reply.ok]
        failed = [a for a, r in results.items() if r.reply.permanent]
        temporary = [r.address for r in entry.recipients if r.address not in delivered and r.address not in failed]
        by_addr = {r.address: r for r in entry.recipients}
        notices_failed = [
            self._status(by_addr[a], "failed", results[a]) for a in failed if self._wants(entry, by_addr[a], "failed")
        ]
        relayed = [
            self._status(by_addr[a], "relayed", results[a])
            for a in delivered
            if not results[a].dsn_relayed and self._wants(entry, by_addr[a], "relayed")
        ]
        await self._notify(entry, "failed", notices_failed, original, key=f"{entry.attempt}")
        await self._notify(entry, "relayed", relayed, original, key=f"{entry.attempt}")
        outcomes = [
            outbound_pb.RecipientOutcome(
                address=a, outcome=outbound_pb.RecipientOutcome.OUTCOME_DELIVERED, remote_reply=results[a].reply.line
            )
            for a in delivered
        ] + [
            outbound_pb.RecipientOutcome(
                address=a, outcome=outbound_pb.RecipientOutcome.OUTCOME_FAILED, remote_reply=results[a].reply.line
            )
            for a in failed
        ]
        if outcomes:
            await self.client.outbound.Complete(
                outbound_pb.CompleteRequest(queue_id=entry.queue_id, lease_token=entry.lease_token, outcomes=outcomes)
            )
        metrics.DELIVERIES.labels("delivered").inc(len(delivered))
        metrics.DELIVERIES.labels("bounced").inc(len(failed))
        for a in delivered:
            log.info("entry %s: %s delivered via %s: %s", entry.queue_id, a, results[a].remote, results[a].reply.line)
        for a in failed:
            log.info("entry %s: %s bounced: %s", entry.queue_id, a, results[a].reply.line)
        if not temporary:
            return
        now = time.time()
        age = now - entry.queued_at
        last = {a: results[a].reply.line if a in results else "451 4.4.0 not attempted" for a in temporary}
        if age >= self.cfg.max_lifetime:
            await self._expire(entry, temporary, last, original, results)
            return
        delay = backoff(self.cfg.retry_schedule, entry.attempt)
        next_at = int(now + delay)
        warn = self.cfg.delay_warning
        if warn and age >= warn and age - backoff(self.cfg.retry_schedule, entry.attempt - 1) < warn:
            until = int(entry.queued_at + self.cfg.max_lifetime)
            notices = [
                self._status(by_addr[a], "delayed", results.get(a), until)
                for a in temporary
                if self._wants(entry, by_addr[a], "delayed")
            ]
            await self._notify(entry, "delayed", notices, original, key="once")
        await self._defer(entry, temporary, "; ".join(sorted(set(last.values())))[:500], next_at)
        metrics.DELIVERIES.labels("deferred").inc(len(temporary))
        for a in temporary:
            log.info("entry %s: %s deferred for %d s: %s", entry.queue_id, a, delay, last[a])

    async def _expire(
        self,
        entry: outbound_pb.OutboundEntry,
        addresses: list[str],
        last: dict[str, str],
        original: bytes,
        results: dict[str, Result],
    ) -> None:
        by_addr = {r.address: r for r in entry.recipients}
        notices = []
        for a in addresses:
            if self._wants(entry, by_addr[a], "failed"):
                reason = f"delivery time expired; last error: {last[a]}"
                res = results.get(a)
                notices.append(
                    dsn.RecipientStatus(a, "failed", "4.4.7", reason, res.remote if res else "", by_addr[a].dsn.orcpt)
                )
        await self._notify(entry, "failed", notices, original, key=f"expired.{entry.attempt}")
        await self.client.outbound.Bounce(
            outbound_pb.BounceRequest(
                queue_id=entry.queue_id,
                lease_token=entry.lease_token,
                recipients=addresses,
                reason="delivery time expired",
            )
        )
        metrics.DELIVERIES.labels("bounced").inc(len(addresses))
        log.info(
            "entry %s: %s expired after %d s", entry.queue_id, ", ".join(addresses), int(time.time() - entry.queued_at)
        )

    async def _defer(
        self, entry: outbound_pb.OutboundEntry, addresses: list[str], error: str, next_at: int | None = None
    ) -> None:
        if next_at is None:
            next_at = int(time.time() + backoff(self.cfg.retry_schedule, entry.attempt))
        await self.client.outbound.Defer(
            outbound_pb.DeferRequest(
                queue_id=entry.queue_id,
                lease_token=entry.lease_token,
                recipients=addresses,
                next_attempt_at=next_at,
                last_error=error,
            )
        )

    # -- notices -----------------------------------------------------------------------
    @staticmethod
    def _wants(entry: outbound_pb.OutboundEntry, rcpt: outbound_pb.OutboundRecipient, action: str) -> bool:
        return dsn.wants_notice(entry.mail_from, list(rcpt.dsn.notify), action)

    @staticmethod
    def _status(
        rcpt: outbound_pb.OutboundRecipient, action: str, result: Result | None, until: int = 0
    ) -> dsn.RecipientStatus:
        reply = result.reply.line if result else ""
        status = dsn.status_of(reply, action == "failed") if reply else ("4.0.0" if action == "delayed" else "2.0.0")
        if action == "relayed":
            status = "2.0.0"
        return dsn.RecipientStatus(
            rcpt.address, action, status, reply, result.remote if result else "", rcpt.dsn.orcpt, until
        )

    async def _notify(
        self,
        entry: outbound_pb.OutboundEntry,
        action: str,
        notices: list[dsn.RecipientStatus],
        original: bytes,
        key: str,
    ) -> None:
        """Stores a DSN for `entry.mail_from`: straight into a local sender's INBOX, else queued
        with a null reverse-path. Raises (the entry's outcome is then not reported: retried)."""
        if not notices or not entry.mail_from:
            return
        body = dsn.report(
            reporting_mta=self.reporting_mta,
            sender=entry.mail_from,
            action=action,
            recipients=notices,
            original=original,
            ret=ret_of(entry.dsn),
            envid=entry.dsn.envid,
            queue_id=entry.queue_id,
            arrival=float(entry.queued_at),
        )
        idem = f"dsn:{entry.queue_id}:{action}:{key}"
        try:
            res = await self.client.directory.ResolveRecipients(
                directory_pb.ResolveRecipientsRequest(addresses=[entry.mail_from])
            )
            resolution = res.results[0] if res.results else None
            msg = await self.store.ingest(body)
            if (
                resolution is not None
                and resolution.status == directory_pb.Resolution.STATUS_LOCAL
                and resolution.user_ids
            ):
                await self.store.deliver(msg, list(resolution.user_ids), idem)
            else:
                req = outbound_pb.QueueRequest(
                    blob_id=msg.blob_id, mail_from="", recipients=[entry.mail_from], size=msg.size, idempotency_key=idem
                )
                await self.store.commit(lambda: self.client.outbound.Queue(req))
        except MailStoreError as exc:
            raise NoticeFailed(f"{action} notice not stored: {exc}") from None
        metrics.DSNS.labels(action).inc()
        log.info(
            "entry %s: %s notice for %d recipient(s) sent to %s", entry.queue_id, action, len(notices), entry.mail_from
        )
