# ruff: noqa: N802  -- gRPC method names come from the proto
"""Messages service: deliver/append, fetch, flags, copy/move, expunge, search, changes."""

from __future__ import annotations

import hashlib
import logging
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from services.common import bodystructure
from services.common.actor import ACTOR
from services.common.blobstore import BlobStore
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import messages_pb2_grpc as messages_rpc
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.metadata import keys, paging
from services.metadata import validate as v
from services.metadata.acl import RIGHTS, Acl, permitted_flags
from services.metadata.config import MetadataConfig
from services.metadata.directory import DirectoryData
from services.metadata.errors import UNAVAILABLE_ERRORS, Fail, invalid
from services.metadata.mailboxes_data import MailboxData
from services.metadata.search import Searcher
from services.metadata.store import Intent, Store
from services.metadata.threads import thread_args

log = logging.getLogger("kubemail.metadata.messages")

MAX_DELIVERIES = 1000
MAX_APPEND_ITEMS = 1000  # AppendMany items (the IMAP receiver allows far fewer literals)
_MODES = {
    messages_pb.StoreFlagsRequest.MODE_REPLACE: "R",
    messages_pb.StoreFlagsRequest.MODE_ADD: "A",
    messages_pb.StoreFlagsRequest.MODE_REMOVE: "D",
}


def _id(raw: bytes) -> str:
    return "" if raw == b"-" else raw.decode()


# deliver.lua's modes (ARGV[9]): Deliver; Append (one target, refused rather than adjusted);
# Append whose message is \Recent for the caller already (AppendRequest.claim_recent)
COMMIT_DELIVER, COMMIT_APPEND, COMMIT_APPEND_CLAIMED = 0, 1, 2


def _placed(row: Sequence[Any]) -> dict[str, Any]:
    """Where the commit script put one copy: mailbox, uidvalidity, uid, modseq and object ids."""
    return {
        "mailbox_id": str(row[0]),
        "uidvalidity": int(row[1]),
        "uid": int(row[2]),
        "modseq": int(row[3]),
        "email_id": _row_id(row, 4),
        "thread_id": _row_id(row, 5),
        # absent in idempotency records written before it existed
        "prior_modseq": int(row[6]) if len(row) > 6 and row[6] else 0,
    }


def _row_id(row: Sequence[Any], i: int) -> str:
    """An id of a deliver script result row (absent in idempotency records written before ids)."""
    return str(row[i]) if len(row) > i and row[i] else ""


def add_flag_lines(add: Callable[..., Any], text: bytes) -> None:
    """MessageMeta (uid, modseq, flags) per line "uid modseq flag..." of a script's reply."""
    decoded: dict[bytes, list[str]] = {}  # few distinct flag lists in a mailbox
    for line in text.split(b"\n"):
        uid, ms, fl = line.split(b" ", 2)
        flags = decoded.get(fl)
        if flags is None:
            flags = decoded[fl] = fl.decode().split()
        add(uid=int(uid), modseq=int(ms), flags=flags)


def flag_columns(res: Sequence[bytes]) -> messages_pb.FlagColumns:
    """FlagColumns from the "C" reply of fetch_meta.lua: the UIDs, modseqs and flag-list indexes
    (space separated), then each distinct flag list; no per-message object on the way."""
    uids, modseqs, index, *sets = res
    return messages_pb.FlagColumns(
        uids=array("I", map(int, uids.split())),
        modseqs=array("Q", map(int, modseqs.split())),
        flag_set=array("I", map(int, index.split())),
        sets=[messages_pb.FlagSet(flags=f.decode().split()) for f in sets],
    )


def parse_fetch_meta(mode: str, res: Sequence[Any]) -> messages_pb.FetchMessagesResponse:
    """FetchMessagesResponse from the fetch_meta script's reply (see lua/fetch_meta.lua)."""
    if mode == "C":
        return messages_pb.FetchMessagesResponse(next_uid=int(res[0]), columns=flag_columns(res[1:]))
    out = messages_pb.FetchMessagesResponse(next_uid=int(res[0]))
    text: bytes = res[1]
    if not text:
        return out
    add = out.messages.add
    if mode == "F":
        add_flag_lines(add, text)
        return out
    summaries = res[2:]
    for i, line in enumerate(text.split(b"\n")):
        uid, ms, size, idate, blob, eid, tid, saved, fl = line.split(b" ", 8)
        meta = add(
            uid=int(uid),
            modseq=int(ms),
            size=int(size),
            internal_date=int(idate),
            blob_id=_id(blob),
            email_id=_id(eid),
            thread_id=_id(tid),
            flags=fl.decode().split(),
            save_date=int(saved),
        )
        if mode == "S" and summaries[i]:
            meta.summary.ParseFromString(summaries[i])
    return out


class MessageData:
    """UID resolution and message reads shared by Messages and Search."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def resolve(
        self, user_id: str, mbid: str, flat: Sequence[int], changed_since: int = 0, limit: int = 0
    ) -> list[int]:
        """UIDs in the ranges (all when empty), ascending; only modseq > changed_since when set.

        With limit > 0 at most `limit` UIDs (the lowest) are returned; without changed_since
        Redis is asked for no more than that per range."""
        found = await self._resolve(user_id, mbid, flat, changed_since, limit)
        return found[:limit] if limit > 0 else found

    async def _resolve(self, user_id: str, mbid: str, flat: Sequence[int], changed_since: int, limit: int) -> list[int]:
        k = keys.user(user_id)
        r = self.store.r
        if changed_since:
            raw = await self.store.timed("uids", r.zrangebyscore(k.modseqs(mbid), f"({changed_since}", "+inf"))
            cand = sorted(int(u) for u in raw)
            if not flat:
                return cand
            top = await self.store.timed("uids", r.zrevrange(k.uids(mbid), 0, 0))
            maxuid = int(top[0]) if top else 0
            return [u for u in cand if v.in_ranges(u, flat, maxuid)]
        if not flat:
            stop = limit - 1 if limit > 0 else -1
            return [int(u) for u in await self.store.timed("uids", r.zrange(k.uids(mbid), 0, stop))]
        top = await self.store.timed("uids", r.zrevrange(k.uids(mbid), 0, 0))
        if not top:
            return []
        maxuid = int(top[0])
        pipe = self.store.pipeline()
        for i in range(0, len(flat), 2):
            lo, hi = flat[i] or maxuid, flat[i + 1] or maxuid
            if lo > hi:
                lo, hi = hi, lo
            if limit > 0:
                pipe.zrangebyscore(k.uids(mbid), lo, hi, start=0, num=limit)
            else:
                pipe.zrangebyscore(k.uids(mbid), lo, hi)
        found: set[int] = set()
        for part in await self.store.timed("uids", pipe.execute()):
            found.update(int(u) for u in part)
        return sorted(found)

    async def rows(
        self, user_id: str, mbid: str, uids: Sequence[int], fields: Sequence[str]
    ) -> list[tuple[int, list[bytes | None]]]:
        """HMGET of each message (skipping vanished ones), in uid order."""
        if not uids:
            return []
        k = keys.user(user_id)
        out: list[tuple[int, list[bytes | None]]] = []
        for start in range(0, len(uids), 2000):
            chunk = uids[start : start + 2000]
            pipe = self.store.pipeline()
            for uid in chunk:
                pipe.hmget(k.message(mbid, uid), *fields)
            for uid, row in zip(chunk, await self.store.timed("fetch", pipe.execute()), strict=True):
                if row[0] is not None or row[2] is not None:
                    out.append((uid, row))
        return out


class MessagesServicer(messages_rpc.MessagesServiceServicer):
    def __init__(
        self,
        cfg: MetadataConfig,
        store: Store,
        blobs: BlobStore,
        directory: DirectoryData,
        mailboxes: MailboxData,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.blobs = blobs
        self.dir = directory
        self.mbx = mailboxes
        self.data = MessageData(store)
        self.acl = Acl(store, directory, mailboxes)
        self.searcher = Searcher(self.data, blobs)

    # -- ingest ------------------------------------------------------------------------

    def _check_message(self, blob_id: str, size: int, summary: mime_pb.MessageSummary, max_bytes: int) -> bytes:
        v.blob_id(blob_id)
        if size > max_bytes:
            raise Fail(er.ERROR_REASON_MESSAGE_TOO_LARGE, f"message larger than {max_bytes} octets")
        if summary.imap_render and not self.cfg.store_imap_renderings:
            bodystructure.drop_renderings(summary)
        raw = summary.SerializeToString()
        if len(raw) > self.cfg.max_summary_bytes:
            raise invalid("summary too large")
        return raw

    def _intent(self, idem: str, refs: dict[str, int]) -> Intent:
        """An intent for references taken before a commit. Without a client key the commit still
        records one of its own ("op-<op>"), which is what tells the GC pass that it happened."""
        intent = Intent(idem, refs)
        if not intent.idem:
            intent.idem = self._idem("op-" + intent.op)
        return intent

    async def _settle(self, blob_id: str, intent: Intent, kept: dict[str, int]) -> None:
        """After a commit: if Redis fails here the intent stays open and the GC pass settles it from
        the idempotency record, so the (committed) call does not fail for it."""
        try:
            await self.store.blob_settle(blob_id, intent, kept)
        except UNAVAILABLE_ERRORS as exc:
            log.warning("blob %s: references not settled (%s); the GC pass will", blob_id[:12], type(exc).__name__)

    def _intents(self, idem: str, user_id: str, wanted: Mapping[str, int]) -> tuple[Intent, dict[str, Intent]]:
        """One attempt's intents for several blobs of one user: (the first, for its script key; per blob)."""
        first = self._intent(idem, {})
        return first, {b: Intent(first.idem, {user_id: n}, op=first.op) for b, n in wanted.items()}

    async def _release_all(self, intents: Mapping[str, Intent], blob_ids: Sequence[str]) -> None:
        for blob_id in blob_ids:
            await self.store.blob_release(blob_id, intents[blob_id])

    async def _settle_used(self, user_id: str, intents: Mapping[str, Intent], used: Mapping[str, int]) -> None:
        """After a commit: each blob keeps the references the commit made (`used`; a retry's duplicate: none)."""
        for blob_id, intent in intents.items():
            await self._settle(blob_id, intent, {user_id: used.get(blob_id, 0)})

    async def _copy_commit(
        self, user_id: str, rows: Sequence[tuple[int, Sequence[Any]]], idem: str,
        commit: Callable[[str], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:  # fmt: skip
        """The references of the copies of `rows` (message fields "f", "d", "b", ...: the blob id
        third) for `user_id`, taken as one attempt's intents, then `commit(script key)`: a definite
        refusal releases them; after the commit each blob keeps what the result's "blobs" list."""
        wanted = Counter((row[2] or b"").decode() for _, row in rows)
        wanted.pop("", None)
        first, intents = self._intents(idem, user_id, wanted)
        done: list[str] = []
        try:
            for blob_id in wanted:
                await self.store.blob_incr(blob_id, intents[blob_id])
                done.append(blob_id)
            res = await commit(first.script_key())
        except Fail:
            await self._release_all(intents, done)
            raise
        await self._settle_used(user_id, intents, Counter(res.get("blobs") or []))
        return res

    @staticmethod
    def _idem(key: str) -> str:
        if len(key) > 512:
            raise invalid("idempotency_key longer than 512")
        return hashlib.sha256(key.encode()).hexdigest()[:40] if key else ""

    async def _commit(
        self,
        user_id: str,
        idem: str,
        blob_id: str,
        size: int,
        idate: int,
        summary: bytes,
        limit: int,
        mode: int,
        targets: list[tuple[str, str]],
        threading: list[str],
    ) -> tuple[list[list[Any]], bool]:
        args: list[str | int | bytes] = [
            idem,
            self.cfg.idempotency_ttl_seconds,
            blob_id,
            size,
            idate,
            summary,
            limit,
            mode,
            len(targets),
        ]
        for name, fl in targets:
            args += [name, fl]
        args += threading
        res = await self.store.user_script("deliver", user_id, args)
        if "dup" in res:
            return list(res["dup"]), True
        return list(res["ok"]), False

    async def Deliver(self, request: messages_pb.DeliverRequest, context: Any) -> messages_pb.DeliverResponse:
        if not request.deliveries:
            raise invalid("no deliveries")
        if len(request.deliveries) > MAX_DELIVERIES:
            raise invalid(f"more than {MAX_DELIVERIES} deliveries")
        summary = self._check_message(request.blob_id, request.size, request.summary, self.cfg.max_message_bytes)
        idem = self._idem(request.idempotency_key)
        idate = request.internal_date or int(time.time())
        # group by user, keeping request order
        groups: dict[str, list[tuple[int, str, str]]] = {}
        for i, d in enumerate(request.deliveries):
            v.user_id(d.user_id)
            name = v.mailbox_name(d.mailbox) if d.mailbox else "INBOX"
            groups.setdefault(d.user_id, []).append((i, name, " ".join(v.flags(d.flags))))
        quotas: dict[str, int] = {}
        for uid in groups:
            quota, max_bytes = await self.dir.limits(await self.dir.require_user(uid))
            if request.size > max_bytes:
                raise Fail(er.ERROR_REASON_MESSAGE_TOO_LARGE, "message larger than the domain allows")
            quotas[uid] = quota
        threading = thread_args(request.summary)
        intent = self._intent(idem, {uid: len(items) for uid, items in groups.items()})
        await self.store.blob_ready(self.blobs, request.blob_id, intent)
        out: list[messages_pb.Delivered | None] = [None] * len(request.deliveries)
        kept: dict[str, int] = {}
        try:
            for uid, items in groups.items():
                rows, dup = await self._commit(
                    uid,
                    intent.script_key(),
                    request.blob_id,
                    request.size,
                    idate,
                    summary,
                    quotas[uid],
                    COMMIT_DELIVER,
                    [(n, f) for _, n, f in items],
                    threading,
                )
                kept[uid] = 0 if dup else len(items)  # a retry's duplicate references nothing new
                for (i, _, _), row in zip(items, rows, strict=False):
                    out[i] = messages_pb.Delivered(user_id=uid, **_placed(row))
        except Fail:
            # definite refusal (quota, missing INBOX): release the references not used
            await self.store.blob_settle(request.blob_id, intent, {u: kept.get(u, 0) for u in intent.refs})
            raise
        await self._settle(request.blob_id, intent, kept)
        return messages_pb.DeliverResponse(delivered=[d for d in out if d is not None])

    async def Append(self, request: messages_pb.AppendRequest, context: Any) -> messages_pb.AppendResponse:
        user = await self.dir.require_user(request.user_id)
        name = v.mailbox_name(request.mailbox)
        limit, max_bytes = await self.dir.limits(user)
        summary = self._check_message(request.blob_id, request.size, request.summary, max_bytes)
        flags = await self._permitted(user.id, name, v.flags(request.flags))
        fl = " ".join(flags)
        intent = self._intent(self._idem(request.idempotency_key), {user.id: 1})
        await self.store.blob_ready(self.blobs, request.blob_id, intent)
        try:
            rows, dup = await self._commit(
                user.id,
                intent.script_key(),
                request.blob_id,
                request.size,
                request.internal_date or int(time.time()),
                summary,
                limit,
                COMMIT_APPEND_CLAIMED if request.claim_recent else COMMIT_APPEND,
                [(name, fl)],
                thread_args(request.summary),
            )
        except Fail:
            await self.store.blob_release(request.blob_id, intent)
            raise
        await self._settle(request.blob_id, intent, {user.id: 0 if dup else 1})
        row = rows[0]
        return messages_pb.AppendResponse(**_placed(row))

    async def _rights_of_actor(self, owner: str, name: str) -> str:
        """The call's actor's rights on the owner's mailbox `name` (every right for the owner)."""
        actor = ACTOR.get()
        if not actor or actor == owner:
            return RIGHTS
        return await self.acl.rights(owner, await self.acl.mailbox_id(owner, name), actor)

    async def _permitted(self, owner: str, name: str, flags: list[str]) -> list[str]:
        """APPEND into a shared mailbox: only the flags the rights allow (RFC 4314 4, as for COPY)."""
        return permitted_flags(flags, await self._rights_of_actor(owner, name)) if flags else flags

    async def AppendMany(self, request: messages_pb.AppendManyRequest, context: Any) -> messages_pb.AppendManyResponse:
        """MULTIAPPEND: every item into one mailbox in one script run, all or none."""
        user = await self.dir.require_user(request.user_id)
        name = v.mailbox_name(request.mailbox)
        if not request.items:
            raise invalid("no items")
        if len(request.items) > MAX_APPEND_ITEMS:
            raise invalid(f"more than {MAX_APPEND_ITEMS} items")
        limit, max_bytes = await self.dir.limits(user)
        refs = Counter(it.blob_id for it in request.items)
        first, intents = self._intents(self._idem(request.idempotency_key), user.id, refs)
        now = int(time.time())
        rights = await self._rights_of_actor(user.id, name)
        args: list[str | int | bytes] = [first.script_key(), self.cfg.idempotency_ttl_seconds, limit, name]
        args.append(len(request.items))
        for it in request.items:
            summary = self._check_message(it.blob_id, it.size, it.summary, max_bytes)
            fl = " ".join(permitted_flags(v.flags(it.flags), rights))
            args += [it.blob_id, it.size, it.internal_date or now, summary, fl, *thread_args(it.summary)]
        ready: list[str] = []
        try:
            for blob_id in refs:
                await self.store.blob_ready(self.blobs, blob_id, intents[blob_id])  # releases its own on failure
                ready.append(blob_id)
        except Exception:
            await self._release_all(intents, ready)
            raise
        try:
            res = await self.store.user_script("append_many", user.id, args)
        except Fail:  # a definite refusal: nothing was stored (a timeout leaves the intents to the GC pass)
            await self._release_all(intents, ready)
            raise
        rows = res.get("dup")
        await self._settle_used(user.id, intents, refs if rows is None else {})
        if rows is None:
            rows = res["ok"]
        return messages_pb.AppendManyResponse(appended=[messages_pb.AppendResponse(**_placed(r)) for r in rows])

    # -- reads -------------------------------------------------------------------------

    async def FetchMessages(
        self, request: messages_pb.FetchMessagesRequest, context: Any
    ) -> messages_pb.FetchMessagesResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        flat = v.uid_ranges(request.uids, self.cfg.max_uid_ranges, required=False)
        limit = min(request.limit or self.cfg.fetch_limit, self.cfg.fetch_limit)
        mode = ("C" if request.columns else "F") if request.flags_only else "S" if request.include_summary else "M"
        # one script: uid resolution and the hash reads, answered as one packed reply
        res = await self.store.user_read(
            "fetch_meta", request.user_id, [request.mailbox_id, mode, request.changed_since, limit, *flat]
        )
        return parse_fetch_meta(mode, res)

    async def ListUids(self, request: messages_pb.ListUidsRequest, context: Any) -> messages_pb.ListUidsResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        packed, uidvalidity, uidnext, hms, first_unseen = await self.store.user_read(
            "list_uids", request.user_id, [request.mailbox_id]
        )
        uids = array("I", map(int, packed.split()))
        return messages_pb.ListUidsResponse(
            uids=uids,
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext),
            highest_modseq=int(hms),
            first_unseen=int(first_unseen),
        )

    # -- writes ------------------------------------------------------------------------

    async def StoreFlags(self, request: messages_pb.StoreFlagsRequest, context: Any) -> messages_pb.StoreFlagsResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        mode = _MODES.get(request.mode)
        if mode is None:
            raise invalid("mode must be REPLACE, ADD or REMOVE")
        fl = v.flags(request.flags)
        flat = v.uid_ranges(request.uids, self.cfg.max_uid_ranges)
        res = await self.store.user_script(
            "store", request.user_id, [request.mailbox_id, mode, request.unchanged_since, len(fl), *fl, *flat]
        )
        out = messages_pb.StoreFlagsResponse(
            modified=res.get("modified") or [],
            modseq=int(res.get("modseq") or 0),
            prior_modseq=int(res.get("prior") or 0),
        )
        for uid, ms, fs in res.get("updated") or []:
            out.updated.append(messages_pb.MessageMeta(uid=int(uid), modseq=int(ms), flags=str(fs).split()))
        return out

    async def _copy(
        self, request: messages_pb.CopyMessagesRequest | messages_pb.MoveMessagesRequest, move: bool
    ) -> dict[str, Any]:
        if request.destination_user_id and request.destination_user_id != request.user_id:
            return await self._copy_across(request, move)
        user = await self.dir.require_user(request.user_id)
        v.mailbox_id(request.mailbox_id)
        dest = v.mailbox_name(request.destination)
        flat = v.uid_ranges(request.uids, self.cfg.max_uid_ranges)
        # its own namespace: a Copy key never answers a Move or a Deliver
        idem = self._idem(request.idempotency_key)
        if idem:
            idem = self._idem(("move:" if move else "copy:") + idem)
        await self.mbx.counters(request.user_id, request.mailbox_id)  # NO_SUCH_MAILBOX first
        uids = await self.data.resolve(request.user_id, request.mailbox_id, flat)
        limit = await self.dir.quota_limit(user)
        ttl = self.cfg.idempotency_ttl_seconds
        head = [request.mailbox_id, dest, 1 if move else 0, limit, self.cfg.expunge_history, idem, ttl]
        if move:
            res = await self.store.user_script("copy", request.user_id, [*head, *uids])
            return dict(res.get("dup") or res)
        rows = await self.data.rows(request.user_id, request.mailbox_id, uids, ["f", "d", "b"])

        async def commit(key: str) -> dict[str, Any]:
            head[5] = key
            res = await self.store.user_script("copy", request.user_id, [*head, *[u for u, _ in rows]])
            return dict(res.get("dup") or res)  # a retry: no blobs referenced, the extra ones go back

        return await self._copy_commit(request.user_id, rows, idem, commit)

    async def _copy_across(
        self, request: messages_pb.CopyMessagesRequest | messages_pb.MoveMessagesRequest, move: bool
    ) -> dict[str, Any]:
        """COPY / MOVE between two users (a shared mailbox, RFC 4314; the rights were checked by
        Acl.check): the rows are read on the source's slot and committed by copy_in.lua on the
        destination's, under the destination's idempotency key, so its record is the one that
        tells the GC pass the references were used (decision 0015). MOVE then expunges the copied
        messages on the source's slot; a retry finds the copy done and expunges again."""
        await self.dir.require_user(request.user_id)
        dst_user = await self.dir.require_user(request.destination_user_id)
        v.mailbox_id(request.mailbox_id)
        dest = v.mailbox_name(request.destination)
        flat = v.uid_ranges(request.uids, self.cfg.max_uid_ranges)
        idem = self._idem(request.idempotency_key)
        if idem:
            idem = self._idem(f"{'xmove' if move else 'xcopy'}:{request.user_id}:{request.mailbox_id}:{idem}")
        await self.mbx.counters(request.user_id, request.mailbox_id)  # NO_SUCH_MAILBOX first
        try:
            dst_mbid = await self.acl.mailbox_id(dst_user.id, dest)
        except Fail:
            raise Fail(er.ERROR_REASON_NO_SUCH_DESTINATION, "no such destination mailbox") from None
        # RFC 4314 4: flags the actor may not set on the destination are not copied
        rights = await self.acl.rights(dst_user.id, dst_mbid, ACTOR.get())
        uids = await self.data.resolve(request.user_id, request.mailbox_id, flat)
        rows = await self.data.rows(request.user_id, request.mailbox_id, uids, ["f", "d", "b", "s", "S", "t"])
        args: list[str | int | bytes] = [
            dest,
            await self.dir.quota_limit(dst_user),
            "",
            self.cfg.idempotency_ttl_seconds,
        ]
        args.append(len(rows))
        for uid, (f, d, b, size, summary, thread) in rows:
            fl = permitted_flags((f or b"").decode().split(), rights)
            args += [uid, " ".join(fl), d or b"0", b or b"", size or b"0", summary or b"", thread or b""]

        async def commit(key: str) -> dict[str, Any]:
            args[2] = key
            res = await self.store.user_script("copy_in", dst_user.id, args)
            return dict(res.get("dup") or res)

        res = await self._copy_commit(dst_user.id, rows, idem, commit)
        src = [int(u) for u in res.get("src") or []]
        if move and src:
            flat_src: list[int] = []
            for u in src:
                flat_src += [u, u]
            gone = await self.store.user_script(
                "expunge", request.user_id, [request.mailbox_id, 0, 0, self.cfg.expunge_history, *flat_src]
            )
            await self.store.blob_decr_many(gone.get("blobs") or [])
            res["modseq"] = int(gone.get("modseq") or 0)
        return res

    async def CopyMessages(
        self, request: messages_pb.CopyMessagesRequest, context: Any
    ) -> messages_pb.CopyMessagesResponse:
        res = await self._copy(request, move=False)
        return messages_pb.CopyMessagesResponse(
            uidvalidity=int(res["uidvalidity"]), source_uids=res.get("src") or [], destination_uids=res.get("dst") or []
        )

    async def MoveMessages(
        self, request: messages_pb.MoveMessagesRequest, context: Any
    ) -> messages_pb.MoveMessagesResponse:
        res = await self._copy(request, move=True)
        return messages_pb.MoveMessagesResponse(
            uidvalidity=int(res["uidvalidity"]),
            source_uids=res.get("src") or [],
            destination_uids=res.get("dst") or [],
            modseq=int(res.get("modseq") or 0),
        )

    async def Expunge(self, request: messages_pb.ExpungeRequest, context: Any) -> messages_pb.ExpungeResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        flat = v.uid_ranges(request.uids, self.cfg.max_uid_ranges, required=False)
        res = await self.store.user_script(
            "expunge",
            request.user_id,
            [
                request.mailbox_id,
                request.fencing_token,
                1 if request.only_deleted else 0,
                self.cfg.expunge_history,
                *flat,
            ],
        )
        await self.store.blob_decr_many(res.get("blobs") or [])
        return messages_pb.ExpungeResponse(
            expunged=res.get("expunged") or [],
            modseq=int(res.get("modseq") or 0),
            prior_modseq=int(res.get("prior") or 0),
        )

    async def Search(self, request: messages_pb.SearchRequest, context: Any) -> messages_pb.SearchResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        self.searcher.check(request.key)
        found = await self.searcher.fast(
            request.user_id, request.mailbox_id, request.key, not request.skip_highest_modseq
        )
        if found is None:
            await self.mbx.require(request.user_id, request.mailbox_id)
            found = await self.searcher.search(
                request.user_id, request.mailbox_id, request.key, self.cfg.max_uid_ranges
            )
        uids, hms = found
        return messages_pb.SearchResponse(uids=uids, highest_modseq=hms)

    async def GetChanges(self, request: messages_pb.GetChangesRequest, context: Any) -> messages_pb.GetChangesResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        since = request.since_modseq
        after = 0
        if request.page_token:
            token = paging.decode(request.page_token)
            if not token.isdigit():
                await self.mbx.counters(request.user_id, request.mailbox_id)  # NO_SUCH_MAILBOX comes first
                raise invalid("malformed page_token")
            after = int(token)
        size = paging.size(request.page_size, self.cfg.fetch_limit, self.cfg.fetch_limit)
        # one script: the counters, the changed UIDs with their flags and the expunged ones
        hms, uidnext, messages, xtrim, expunged, last, lines = await self.store.user_read(
            "get_changes", request.user_id, [request.mailbox_id, since, after, size]
        )
        out = messages_pb.GetChangesResponse(
            highest_modseq=int(hms or 0),
            uidnext=int(uidnext or 0),
            messages=int(messages or 0),
            expunged=[int(u) for u in expunged.split()],
            expunged_complete=since >= int(xtrim or 0),
            next_page_token=paging.encode(str(last)) if last else "",
        )
        if lines:
            add_flag_lines(out.changed.add, lines)
        return out

    async def ClaimRecent(
        self, request: messages_pb.ClaimRecentRequest, context: Any
    ) -> messages_pb.ClaimRecentResponse:
        v.user_id(request.user_id)
        v.mailbox_id(request.mailbox_id)
        res = await self.store.user_script(
            "claim_recent", request.user_id, [request.mailbox_id, request.limit, request.below_uid]
        )
        return messages_pb.ClaimRecentResponse(uids=res.get("uids") or [])
