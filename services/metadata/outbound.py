# ruff: noqa: N802  -- gRPC method names come from the proto
"""Outbound service: the queue of mail for remote recipients, leased by relay pods.

Layout and scripts: services.metadata.keys (T = "{outbound}:"), lua/outbound_*.lua; the
consumer's contract: docs/outbound-queue.md; the design: docs/decisions/0009-outbound-queue.md.
Each entry holds one blob reference from Queue until it is finished (no recipient pending); the
script that finishes it says so and the reference is released here, after the commit (a crash
in between leaks a reference, which is safe; releasing first could lose a blob a retry needs).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from services.common.blobstore import BlobStore
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import outbound_pb2 as ob
from services.gen.kubemail.v1 import outbound_pb2_grpc as ob_rpc
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.config import MetadataConfig
from services.metadata.errors import UNAVAILABLE_ERRORS, Fail, from_token, invalid
from services.metadata.metrics import OUTBOUND_DEPTH, OUTBOUND_OLDEST
from services.metadata.store import OUTBOUND_OWNER, Intent, Store

log = logging.getLogger("kubemail.metadata.outbound")

MAX_RECIPIENTS = 1000
MAX_LEASE_ENTRIES = 1000
MAX_LEASE_SECONDS = 3600
MAX_TEXT = 1000  # a remote reply, an error, a bounce reason (longer ones are cut)
MAX_HOLDER = 200
NOTIFY = frozenset({"NEVER", "SUCCESS", "FAILURE", "DELAY"})
_RET = {ob.EnvelopeDsn.RET_FULL: "FULL", ob.EnvelopeDsn.RET_HDRS: "HDRS"}
_RET_BACK = {name: value for value, name in _RET.items()}
_OUTCOME = {ob.RecipientOutcome.OUTCOME_DELIVERED: 3, ob.RecipientOutcome.OUTCOME_FAILED: 4}


def _notify(values: Sequence[str]) -> str:
    words = [w.upper() for w in values]
    if any(w not in NOTIFY for w in words) or ("NEVER" in words and len(words) > 1):
        raise invalid("NOTIFY is NEVER or any of SUCCESS, FAILURE, DELAY")
    return " ".join(dict.fromkeys(words))


def _orcpt(value: str) -> str:
    if len(value) > 500 or (value and ";" not in value) or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        raise invalid("ORCPT is <addr-type>;<xtext> (at most 500 characters)")
    return value


def _text(value: str) -> str:
    return value[:MAX_TEXT]


def _token(queue_id: str, token: str) -> None:
    if not queue_id.isdigit() or len(queue_id) > 20:
        raise invalid("malformed queue_id")
    if not token or len(token) > 64:
        raise invalid("lease_token is required")


def _s(m: dict[str, Any], name: str) -> str:
    raw = m.get(name, "")
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def recipient(r: dict[str, Any]) -> ob.OutboundRecipient:
    """An OutboundRecipient from one element of an entry's JSON list (lua/ob_common.lua)."""
    return ob.OutboundRecipient(
        address=str(r["a"]),
        state=int(r["s"]),  # type: ignore[arg-type]
        attempts=int(r["n"]),
        last_reply=str(r.get("rp", "")),
        dsn=ob.RecipientDsn(notify=str(r.get("no", "")).split(), orcpt=str(r.get("oc", ""))),
    )


def entry_from(queue_id: str, m: dict[str, Any], only_pending: bool) -> ob.OutboundEntry:
    """An OutboundEntry from the entry hash (field names: services.metadata.keys)."""
    rs = json.loads(_s(m, "r") or "[]")
    exp = _s(m, "exp")
    return ob.OutboundEntry(
        queue_id=queue_id,
        mail_from=_s(m, "from"),
        recipients=[recipient(r) for r in rs if not only_pending or int(r["s"]) in (1, 2)],
        blob_id=_s(m, "blob"),
        size=int(_s(m, "size") or 0),
        dsn=ob.EnvelopeDsn(ret=_RET_BACK.get(_s(m, "ret"), ob.EnvelopeDsn.RET_UNSPECIFIED), envid=_s(m, "envid")),
        submitted_by=_s(m, "by"),
        queued_at=int(_s(m, "queued") or 0),
        attempt=int(_s(m, "attempt") or 0),
        lease_token=_s(m, "tok"),
        lease_expires_at=int(exp) // 1000 if exp else 0,
        last_error=_s(m, "err"),
    )


class OutboundData:
    """The queue's reads that the server's metrics loop shares with the Stats RPC."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def stats(self) -> ob.StatsResponse:
        depth, due, oldest = await self.store.script("outbound_stats", [keys.OUTBOUND_DUE], [keys.OUTBOUND_PREFIX])
        oldest = int(oldest)
        age = max(0, int(time.time()) - oldest) if oldest else 0
        return ob.StatsResponse(depth=int(depth), due=int(due), oldest_queued_at=oldest, oldest_age_seconds=age)

    async def refresh_metrics(self) -> ob.StatsResponse:
        st = await self.stats()
        OUTBOUND_DEPTH.set(st.depth)
        OUTBOUND_OLDEST.set(st.oldest_age_seconds)
        return st


class OutboundServicer(ob_rpc.OutboundServiceServicer):  # type: ignore[misc]
    def __init__(self, cfg: MetadataConfig, store: Store, blobs: BlobStore) -> None:
        self.cfg = cfg
        self.store = store
        self.blobs = blobs
        self.data = OutboundData(store)

    async def _metrics(self) -> None:
        try:
            await self.data.refresh_metrics()
        except Exception:  # the gauges are best effort
            pass

    async def Queue(self, request: ob.QueueRequest, context: Any) -> ob.QueueResponse:
        v.blob_id(request.blob_id)
        if request.mail_from and v.split_address(request.mail_from) is None:
            raise invalid("invalid mail_from")
        rcpts: dict[str, tuple[str, str]] = {}
        for a in request.recipients:
            rcpts.setdefault(v.address(a), ("", ""))
        for r in request.dsn_recipients:
            rcpts[v.address(r.address)] = (_notify(r.dsn.notify), _orcpt(r.dsn.orcpt))
        if not rcpts or len(rcpts) > MAX_RECIPIENTS:
            raise invalid(f"1 to {MAX_RECIPIENTS} recipients required")
        if request.submitted_by:
            v.user_id(request.submitted_by)
        if request.size > self.cfg.max_message_bytes:
            raise Fail(er.ERROR_REASON_MESSAGE_TOO_LARGE, "message too large")
        if len(request.idempotency_key) > 256:
            raise invalid("idempotency_key longer than 256 characters")
        envid = request.dsn.envid
        if len(envid) > 100 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in envid):
            raise invalid("ENVID is at most 100 printable characters")
        ret = _RET.get(request.dsn.ret, "")
        # the reference is an intent (decision 0015); without a client key the entry gets a key of its
        # own, under which the script records that this attempt committed
        intent = Intent("", {OUTBOUND_OWNER: 1})
        intent.idem = keys.outbound_idem(request.idempotency_key or "op-" + intent.op)
        await self.store.blob_ready(self.blobs, request.blob_id, intent)
        flat: list[str] = [x for a, (no, oc) in rcpts.items() for x in (a, no, oc)]
        tail: list[str | int] = [request.blob_id, request.mail_from, request.submitted_by, request.size, ret, envid]
        tail.append(intent.op)
        # On an error the entry may or may not exist: the intent stays open for the GC pass.
        raw = await self.store.script(
            "outbound_add",
            [keys.OUTBOUND_SEQ],
            [keys.OUTBOUND_PREFIX, intent.idem, self.cfg.idempotency_ttl_seconds, len(rcpts), *flat, *tail],
        )
        qid = raw.decode() if isinstance(raw, bytes) else str(raw)
        dup = qid.startswith("=")  # a retry: every recipient is queued already
        qid = qid.removeprefix("=")
        try:
            await self.store.blob_settle(request.blob_id, intent, {OUTBOUND_OWNER: 0 if dup else 1})
        except UNAVAILABLE_ERRORS as exc:
            log.warning("queue %s: blob reference not settled (%s); the GC pass will", qid, type(exc).__name__)
        await self._metrics()
        return ob.QueueResponse(queue_id=qid)

    async def Lease(self, request: ob.LeaseRequest, context: Any) -> ob.LeaseResponse:
        if not request.holder or len(request.holder) > MAX_HOLDER:
            raise invalid(f"holder is required (at most {MAX_HOLDER} characters)")
        if not 1 <= request.lease_seconds <= MAX_LEASE_SECONDS:
            raise invalid(f"lease_seconds must be 1..{MAX_LEASE_SECONDS}")
        n = min(request.max_entries or 1, MAX_LEASE_ENTRIES)
        rows = await self.store.script(
            "outbound_lease",
            [keys.OUTBOUND_DUE],
            [keys.OUTBOUND_PREFIX, n, request.lease_seconds * 1000, request.holder],
        )
        out = ob.LeaseResponse()
        for row in rows:
            qid = row[0].decode()
            m = {row[i].decode(): row[i + 1] for i in range(1, len(row), 2)}
            out.entries.append(entry_from(qid, m, only_pending=True))
        return out

    async def _done(self, op: str, queue_id: str, token: str, args: Sequence[str | int]) -> dict[str, Any]:
        raw = await self.store.script(
            "outbound_done",
            [keys.OUTBOUND_DUE],
            [keys.OUTBOUND_PREFIX, op, queue_id, token, self.cfg.idempotency_ttl_seconds, *args],
        )
        res: dict[str, Any] = json.loads(raw)
        if "err" in res:
            raise from_token(str(res["err"]), str(res.get("msg", "")))
        if res.get("finished") and res.get("blob"):
            await self.store.blob_decr(str(res["blob"]), 1)
            log.debug("outbound entry %s finished", queue_id)
        if res.get("finished") and not res.get("again"):
            await self._metrics()
        return res

    async def Complete(self, request: ob.CompleteRequest, context: Any) -> ob.CompleteResponse:
        _token(request.queue_id, request.lease_token)
        args: list[str | int] = []
        for o in request.outcomes:
            state = _OUTCOME.get(o.outcome)
            if state is None:
                raise invalid("outcome must be DELIVERED or FAILED")
            args += [v.address(o.address), state, _text(o.remote_reply)]
        res = await self._done("complete", request.queue_id, request.lease_token, args)
        return ob.CompleteResponse(finished=bool(res.get("finished")))

    async def Defer(self, request: ob.DeferRequest, context: Any) -> ob.DeferResponse:
        _token(request.queue_id, request.lease_token)
        due = max(0, request.next_attempt_at) * 1000
        rcpts = [v.address(a) for a in request.recipients]
        await self._done("defer", request.queue_id, request.lease_token, [due, _text(request.last_error), *rcpts])
        return ob.DeferResponse()

    async def Bounce(self, request: ob.BounceRequest, context: Any) -> ob.BounceResponse:
        _token(request.queue_id, request.lease_token)
        rcpts = [v.address(a) for a in request.recipients]
        res = await self._done("bounce", request.queue_id, request.lease_token, [_text(request.reason), *rcpts])
        out = ob.BounceResponse(finished=bool(res.get("finished")))
        entry = res.get("entry")
        if isinstance(entry, dict):
            out.entry.CopyFrom(entry_from(request.queue_id, entry, only_pending=False))
            del out.entry.recipients[:]
            bounced = res.get("bounced")
            out.entry.recipients.extend(recipient(r) for r in (bounced if isinstance(bounced, list) else []))
        return out

    async def Stats(self, request: ob.StatsRequest, context: Any) -> ob.StatsResponse:
        return await self.data.refresh_metrics()
