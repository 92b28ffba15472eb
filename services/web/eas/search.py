"""Search ([MS-ASCMD] 2.2.1.16): Store=Mailbox over the metadata service's Search RPC (the IMAP
SEARCH machinery: FreeText is a TEXT key, DateReceived GreaterThan/LessThan internal-date keys),
in one folder (with DeepTraversal its subfolders) or all folders, newest first, the Range asked
for (at most `max_results`), each result with the body the device prefers as in Sync; Store=GAL
over the directory (services.web.eas.gal)."""

from __future__ import annotations

import dataclasses
import datetime
import logging

import grpc

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.eas import mailitem
from services.web.eas.gal import Directory
from services.web.eas.store import Store, not_found
from services.web.wbxml.codec import Element, el

log = logging.getLogger("kubemail.web.eas.search")

SE, S, E = "Search", "AirSync", "Email"
OK, INVALID, SERVER_ERROR, NOT_FOUND, TOO_COMPLEX, END_OF_RANGE = 1, 2, 3, 6, 8, 12
MAX_RANGE_END = 999  # [MS-ASCMD] 2.2.3.139.2: Range is 0..999 at most
MAX_PER_MAILBOX = 1000  # newest matches per folder that are ordered and counted
MAX_TEXT = 256
MAX_CONDITIONS = 16


class BadQueryError(ValueError):
    """The query is not one this server understands (Store Status 2)."""


@dataclasses.dataclass
class Query:
    collection_ids: list[str]
    keys: list[messages_pb.SearchKey]


def _date(value: str) -> int:
    try:
        dt = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadQueryError("bad date") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.UTC)
    return int(dt.timestamp())


def _comparison(c: Element) -> messages_pb.SearchKey:
    field, value = c.find(E, "DateReceived"), c.find(SE, "Value")
    if field is None or value is None:
        raise BadQueryError(f"{c.tag} needs Email:DateReceived and Value")
    t = _date(value.value())
    if c.tag == "GreaterThan":
        return messages_pb.SearchKey(internal_date_since=t + 1)
    return messages_pb.SearchKey(internal_date_before=t)


def parse_query(q: Element) -> Query:
    """The mailbox query: Class Email, CollectionIds, FreeText and DateReceived comparisons,
    in an And (or alone)."""
    terms = q.children
    if len(terms) == 1 and terms[0].ns == SE and terms[0].tag == "And":
        terms = terms[0].children
    if not terms or len(terms) > MAX_CONDITIONS:
        raise BadQueryError("empty or too long query")
    out = Query([], [])
    for t in terms:
        if (t.ns, t.tag) == (S, "Class"):
            if t.value() != "Email":
                raise BadQueryError("only the Email class is searched")
        elif (t.ns, t.tag) == (S, "CollectionId"):
            if not t.value():
                raise BadQueryError("empty CollectionId")
            out.collection_ids.append(t.value())
        elif (t.ns, t.tag) == (SE, "FreeText"):
            text = t.value().strip()
            if not text or len(text) > MAX_TEXT:
                raise BadQueryError("FreeText must be 1..256 characters")
            out.keys.append(messages_pb.SearchKey(text=text))
        elif t.ns == SE and t.tag in ("GreaterThan", "LessThan"):
            out.keys.append(_comparison(t))
        else:
            raise BadQueryError(f"{t.ns}:{t.tag} is not supported in a query")
    if not out.keys:
        raise BadQueryError("nothing to search for")
    return out


def parse_range(options: Element | None, cap: int) -> tuple[int, int]:
    r = options.find(SE, "Range") if options is not None else None
    if r is None:
        return 0, cap - 1
    lo, sep, hi = r.value().partition("-")
    if not sep or not lo.isdigit() or not hi.isdigit() or len(lo) > 4 or len(hi) > 4:
        raise BadQueryError("Range is m-n")
    a, b = int(lo), int(hi)
    if a > b or b > MAX_RANGE_END:
        raise BadQueryError("Range must have m <= n <= 999")
    return a, min(b, a + cap - 1)


def _ranges(uids: list[int]) -> list[types_pb.UidRange]:
    out: list[types_pb.UidRange] = []
    for u in sorted(uids):
        if out and out[-1].hi + 1 == u:
            out[-1].hi = u
        else:
            out.append(types_pb.UidRange(lo=u, hi=u))
    return out


def _store(status: int, *rest: Element) -> Element:
    return el(SE, "Search", el(SE, "Status", OK), el(SE, "Response", el(SE, "Store", el(SE, "Status", status), *rest)))


class Searcher:
    def __init__(self, store: Store, directory: Directory, max_results: int) -> None:
        self.store = store
        self.directory = directory
        self.max_results = max_results

    async def handle(self, user: directory_pb.User, body: Element | None) -> Element:
        if body is None or (body.ns, body.tag) != (SE, "Search") or body.find(SE, "Store") is None:
            return el(SE, "Search", el(SE, "Status", INVALID))
        st = body.find(SE, "Store")
        assert st is not None
        name, query, options = st.find(SE, "Name"), st.find(SE, "Query"), st.find(SE, "Options")
        try:
            if name is None or query is None:
                raise BadQueryError("Store needs Name and Query")
            if name.value().lower() == "gal":
                return await self.gal(user, query, options)
            if name.value().lower() == "mailbox":
                return await self.mailbox(user.id, query, options)
            raise BadQueryError(f"store {name.value()[:20]!r} is not searched here")
        except BadQueryError as exc:
            log.info("Search from %s: %s", user.address, exc)
            return _store(INVALID)

    async def gal(self, user: directory_pb.User, query: Element, options: Element | None) -> Element:
        text = query.value().strip()
        if not text or len(text) > MAX_TEXT or query.children:
            raise BadQueryError("a GAL query is 1..256 characters of text")
        lo, hi = parse_range(options, self.max_results)
        found = await self.directory.search(user, text, MAX_RANGE_END + 1)
        page = found.entries[lo : hi + 1]
        results = [el(SE, "Result", el(SE, "Properties", *e.properties())) for e in page]
        rest = [*results, *([el(SE, "Range", f"{lo}-{lo + len(page) - 1}")] if page else [])]
        return _store(OK if found.complete else END_OF_RANGE, *rest, el(SE, "Total", len(found.entries)))

    async def _folders(self, user_id: str, ids: list[str], deep: bool) -> list[mailboxes_pb.Mailbox] | None:
        boxes = await self.store.mailboxes(user_id)
        if not ids:
            return boxes
        by_id = {m.id: m for m in boxes}
        if any(i not in by_id for i in ids):
            return None
        chosen = [by_id[i] for i in dict.fromkeys(ids)]
        if deep:
            names = {m.name for m in chosen}
            chosen += [m for m in boxes if m not in chosen and any(m.name.startswith(n + "/") for n in names)]
        return chosen

    async def matches(
        self, user_id: str, q: Query, deep: bool, lo: int, hi: int
    ) -> tuple[list[tuple[str, messages_pb.MessageMeta]], int] | None:
        """The page lo..hi of the messages matching `q`, newest first, and the number matching;
        None when a CollectionId names no folder."""
        folders = await self._folders(user_id, q.collection_ids, deep)
        if folders is None:
            return None
        key = q.keys[0] if len(q.keys) == 1 else messages_pb.SearchKey(**{"and": messages_pb.SearchKeys(keys=q.keys)})
        total = 0
        found: list[tuple[str, messages_pb.MessageMeta]] = []
        for mbox in folders:
            try:
                resp = await self.store.client.messages.Search(
                    messages_pb.SearchRequest(user_id=user_id, mailbox_id=mbox.id, key=key)
                )
            except grpc.aio.AioRpcError as exc:
                if not_found(exc):  # deleted meanwhile
                    continue
                raise
            total += len(resp.uids)
            newest = list(resp.uids)[-MAX_PER_MAILBOX:]
            if newest:
                metas = await self.store.client.messages.FetchMessages(
                    messages_pb.FetchMessagesRequest(
                        user_id=user_id, mailbox_id=mbox.id, uids=_ranges(newest), limit=len(newest)
                    )
                )
                found += [(mbox.id, m) for m in metas.messages]
        found.sort(key=lambda f: (f[1].internal_date, f[1].uid), reverse=True)
        return found[lo : hi + 1], total

    async def mailbox(self, user_id: str, query: Element, options: Element | None) -> Element:
        q = parse_query(query)
        lo, hi = parse_range(options, self.max_results)
        deep = options is not None and options.find(SE, "DeepTraversal") is not None
        got = await self.matches(user_id, q, deep, lo, hi)
        if got is None:
            return _store(NOT_FOUND)
        page, total = got
        prefs = mailitem.preferences(options)
        results = []
        for mbid, meta in page:
            data = await self.store.item(mbid, meta, prefs)
            sid = mailitem.server_id(mbid, meta.uid)
            results.append(el(SE, "Result", el(S, "Class", "Email"), el(SE, "LongId", sid), el(S, "CollectionId", mbid),
                              el(SE, "Properties", *data.children)))  # fmt: skip
        rest = [*results, *([el(SE, "Range", f"{lo}-{lo + len(page) - 1}")] if page else [])]
        return _store(OK, *rest, el(SE, "Total", total))
