"""SEARCH evaluated in the service over message hashes (and blobs for BODY/TEXT)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.common import mime
from services.common.blobstore import BlobNotFound, BlobStore
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.metadata import keys
from services.metadata import validate as v
from services.metadata.errors import invalid

MAX_KEYS = 1000
DAY = 86400
MAX_BODY_SCAN = 16 * 1024 * 1024


class _Data(Protocol):
    store: Any

    async def resolve(self, user_id: str, mbid: str, flat: Sequence[int], changed_since: int = 0) -> list[int]: ...

    async def rows(
        self, user_id: str, mbid: str, uids: Sequence[int], fields: Sequence[str]
    ) -> list[tuple[int, list[bytes | None]]]: ...


@dataclass
class Msg:
    uid: int
    flags: set[str]
    date: int
    size: int
    modseq: int
    blob_id: str
    recent: bool
    email_id: str = ""
    thread_id: str = ""
    saved: int = 0  # RFC 8514 save date; the internal date for a message stored before it
    summary: mime_pb.MessageSummary | None = None
    _headers: list[tuple[str, str]] | None = field(default=None, repr=False)
    _body: str | None = field(default=None, repr=False)

    def sent_day(self) -> int:
        """The Date: header's own calendar day (time and zone disregarded, RFC 3501 6.4.4) as
        00:00 UTC of it; without a valid Date: the internal date."""
        value = next((v for n, v in self.headers() if n == "date"), None)
        day = mime.date_day(value) if value is not None else None
        return self.date if day is None else day

    def addresses(self, field: str) -> str:
        if self.summary is None or not self.summary.HasField("envelope"):
            return ""
        return mime.envelope_addresses(self.summary.envelope, field)

    def headers(self) -> list[tuple[str, str]]:
        if self._headers is None:
            out: list[tuple[str, str]] = []
            if self.summary is not None and self.summary.headers:
                out = [(h.name.lower(), h.value) for h in self.summary.headers]
            elif self.summary is not None and self.summary.raw_header:
                msg = email.message_from_bytes(self.summary.raw_header, policy=email.policy.default)
                for name, value in msg.items():
                    try:
                        out.append((name.lower(), str(value)))
                    except Exception:
                        out.append((name.lower(), ""))
            self._headers = out
        return self._headers


def _walk(node: messages_pb.SearchKey, count: list[int], needs: set[str], depth: int = 0) -> None:
    count[0] += 1
    if count[0] > MAX_KEYS or depth > 64:
        raise invalid("search program too large")
    which = node.WhichOneof("key")
    if which is None:
        raise invalid("empty search key")
    if which in ("and", "or"):
        for k in getattr(node, which).keys:
            _walk(k, count, needs, depth + 1)
    elif which == "not":
        _walk(node.__getattribute__("not"), count, needs, depth + 1)
    elif which in ("header", "sent_before", "sent_on", "sent_since"):
        needs.add("summary")
    elif which in ("body", "text"):
        needs.update(("summary", "body"))
    elif which == "recent":
        needs.add("recent")


def _narrowing(key: messages_pb.SearchKey) -> list[int]:
    """Closed UID ranges (flat lo, hi, ...) every match lies in, when the key is a UID set or an
    AND holding one without "*" (the IMAP CONTEXT=SEARCH update of a few changed messages):
    only those messages are read, so the cost follows them, not the mailbox. [] = no narrowing."""
    which = key.WhichOneof("key")
    sets = (
        [key.uids]
        if which == "uids"
        else [k.uids for k in getattr(key, "and").keys if k.WhichOneof("key") == "uids"]
        if which == "and"
        else []
    )
    for us in sets:
        if us.ranges and all(r.lo and r.hi for r in us.ranges):
            return [x for r in us.ranges for x in (r.lo, r.hi)]
    return []


def _body_text(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        try:
            parts.append(str(part.get_content()))
        except Exception:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts).casefold()


class Searcher:
    def __init__(self, data: _Data, blobs: BlobStore) -> None:
        self.data = data
        self.blobs = blobs

    def check(self, key: messages_pb.SearchKey) -> set[str]:
        """INVALID_ARGUMENT for a malformed or oversized program; what it needs read."""
        needs: set[str] = set()
        _walk(key, [0], needs)
        return needs

    async def search(
        self, user_id: str, mbid: str, key: messages_pb.SearchKey, max_ranges: int
    ) -> tuple[list[int], int]:
        """Evaluates the program over the messages' hashes (the mailbox must exist: the caller
        checks); (ascending UIDs, highest modseq of the matches)."""
        needs = self.check(key)
        self._max_ranges = max_ranges
        narrow = _narrowing(key)
        uids = await self.data.resolve(user_id, mbid, narrow)
        top: int | None = None
        if narrow:  # "*" in the rest of the key is the mailbox's largest UID, not the candidates'
            last = await self.data.store.timed(
                "search", self.data.store.r.zrevrange(keys.user(user_id).uids(mbid), 0, 0)
            )
            top = int(last[0]) if last else 0
        fields = ["f", "d", "s", "b", "m", "e", "t", "v"] + (["S"] if "summary" in needs else [])
        rows = await self.data.rows(user_id, mbid, uids, fields)
        recent: set[int] = set()
        if "recent" in needs:
            raw = await self.data.store.timed(
                "search", self.data.store.r.zrange(keys.user(user_id).recent(mbid), 0, -1)
            )
            recent = {int(u) for u in raw}
        max_uid = top if top is not None else (uids[-1] if uids else 0)
        out: list[int] = []
        hms = 0
        for uid, row in rows:
            summary = None
            if len(row) > 8 and row[8]:
                summary = mime_pb.MessageSummary.FromString(row[8])
            m = Msg(
                uid=uid,
                flags=set((row[0] or b"").decode().split()),
                date=int(row[1] or 0),
                size=int(row[2] or 0),
                blob_id=(row[3] or b"").decode(),
                modseq=int(row[4] or 0),
                recent=uid in recent,
                email_id=(row[5] or b"").decode(),
                thread_id=(row[6] or b"").decode(),
                saved=int(row[7] or row[1] or 0),
                summary=summary,
            )
            if await self._match(key, m, max_uid):
                out.append(uid)
                hms = max(hms, m.modseq)
        return out, hms

    async def fast(
        self, user_id: str, mbid: str, key: messages_pb.SearchKey, want_modseq: bool
    ) -> tuple[list[int], int] | None:
        """ALL, UNSEEN, DELETED and RECENT straight from their sorted sets (no message reads), in
        one script that also answers NO_SUCH_MAILBOX; None for any other program. The highest
        modseq (0 unless `want_modseq`) costs a read of every match's modseq."""
        which = key.WhichOneof("key")
        zset = None
        if which == "all":
            zset = "u:"
        elif which == "no_flag" and _canon_flag(key.no_flag) == "\\Seen":
            zset = "un:"
        elif which == "flag" and _canon_flag(key.flag) == "\\Deleted":
            zset = "dl:"
        elif which == "recent" and key.recent:
            zset = "rc:"
        if zset is None:
            return None
        # one script, one text reply: no per-UID parsing in redis-py
        raw, hms = await self.data.store.user_read("search_set", user_id, [mbid, zset, int(want_modseq)])
        return list(map(int, raw.split())), int(hms)  # ZRANGE of UIDs scored by UID: ascending

    async def _body(self, m: Msg) -> str:
        if m._body is None:
            if not m.blob_id:
                m._body = ""
            else:
                try:
                    raw = await self.blobs.get(m.blob_id, 0, MAX_BODY_SCAN)
                except BlobNotFound:
                    raw = b""
                m._body = _body_text(raw)
        return m._body

    async def _match(self, k: messages_pb.SearchKey, m: Msg, max_uid: int) -> bool:
        which = k.WhichOneof("key")
        if which == "all":
            return True
        if which == "and":
            for sub in k.__getattribute__("and").keys:
                if not await self._match(sub, m, max_uid):
                    return False
            return True
        if which == "or":
            for sub in k.__getattribute__("or").keys:
                if await self._match(sub, m, max_uid):
                    return True
            return False
        if which == "not":
            return not await self._match(k.__getattribute__("not"), m, max_uid)
        if which == "flag":
            return _canon_flag(k.flag) in m.flags
        if which == "no_flag":
            return _canon_flag(k.no_flag) not in m.flags
        if which == "uids":
            flat = v.uid_ranges(k.uids.ranges, self._max_ranges, required=False)
            return v.in_ranges(m.uid, flat, max_uid)
        if which == "larger":
            return m.size > k.larger
        if which == "smaller":
            return m.size < k.smaller
        if which in ("before", "on", "since"):
            return _date_cmp(which, m.date, getattr(k, which))
        if which in ("saved_before", "saved_on", "saved_since"):
            return _date_cmp(which[6:], m.saved, getattr(k, which))
        if which == "internal_date_before":
            return m.date < k.internal_date_before
        if which == "internal_date_since":
            return m.date >= k.internal_date_since
        if which in ("sent_before", "sent_on", "sent_since"):
            return _date_cmp(which[5:], m.sent_day(), getattr(k, which))
        if which == "header":
            name, needle = k.header.field.lower(), k.header.value.casefold()
            if any(n == name and needle in val.casefold() for n, val in m.headers()):
                return True
            # FROM/TO/CC/BCC: the addresses as parsed for the ENVELOPE too, so that comments
            # and spacing inside an address do not hide it (`<user (c)@ (c) host>`)
            return bool(needle) and name in mime.ADDRESS_FIELDS and needle in m.addresses(name).casefold()
        if which == "body":
            return k.body.casefold() in await self._body(m)
        if which == "text":
            needle = k.text.casefold()
            if any(needle in val.casefold() or needle in n for n, val in m.headers()):
                return True
            return needle in await self._body(m)
        if which == "modseq":
            return m.modseq >= k.modseq
        if which == "recent":
            return m.recent == k.recent
        if which == "email_id":
            return m.email_id == k.email_id
        if which == "thread_id":
            return m.thread_id == k.thread_id
        raise invalid(f"unsupported search key {which}")


def _canon_flag(f: str) -> str:
    if f.startswith("\\"):
        return f[:2].upper() + f[2:].lower()
    return f


def _date_cmp(op: str, value: int, day: int) -> bool:
    start = day - day % DAY
    if op == "before":
        return value < start
    if op == "on":
        return start <= value < start + DAY
    return value >= start
