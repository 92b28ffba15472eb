"""Find ([MS-ASCMD] 2.2.1.2, EAS 16.1): the newer search command. MailBoxSearchCriterion runs
the same mailbox search as Search (FreeText, Class, CollectionId; DeepTraversal), answering a
summary of each message (subject, sender, recipients, date, read state, whether it has
attachments, a short preview); GalSearchCriterion searches the directory of the user's domain
like Search Store=GAL. The SearchId is echoed; nothing is kept between requests."""

from __future__ import annotations

import logging
import uuid

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.web.eas import mailitem
from services.web.eas.search import MAX_RANGE_END, BadQueryError, Query, Searcher, parse_query
from services.web.wbxml.codec import Element, el

log = logging.getLogger("kubemail.web.eas.find")

FI, S, E, B = "Find", "AirSync", "Email", "AirSyncBase"
OK, INVALID, FOLDER_SYNC_REQUIRED = 1, 2, 3
PREVIEW = 255
_SUMMARY = ("Subject", "DateReceived", "DisplayTo", "From", "Read", "Importance")


def _range(options: Element | None, cap: int) -> tuple[int, int]:
    r = options.find(FI, "Range") if options is not None else None
    if r is None:
        return 0, cap - 1
    lo, sep, hi = r.value().partition("-")
    if not sep or not lo.isdigit() or not hi.isdigit() or len(lo) > 4 or len(hi) > 4 or int(lo) > int(hi):
        raise BadQueryError("Range is m-n")
    if int(hi) > MAX_RANGE_END:
        raise BadQueryError("Range ends at 999")
    return int(lo), min(int(hi), int(lo) + cap - 1)


def _query(q: Element) -> Query:
    """Find's Query has FreeText, Class and CollectionId side by side (in the Find namespace
    for FreeText); the Search parser reads the same terms."""
    terms = [el("Search", "FreeText", t.value()) if (t.ns, t.tag) == (FI, "FreeText") else t for t in q.children]
    return parse_query(Element("Search", "Query", terms))


def _answer(status: int, *rest: Element) -> Element:
    return el(FI, "Find", el(FI, "Status", OK), el(FI, "Response", el(FI, "Status", status), *rest))


class Finder:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    async def handle(self, user: directory_pb.User, body: Element | None) -> Element:
        if body is None or (body.ns, body.tag) != (FI, "Find"):
            return el(FI, "Find", el(FI, "Status", INVALID))
        sid, run = body.find(FI, "SearchId"), body.find(FI, "ExecuteSearch")
        try:
            uuid.UUID(sid.value() if sid is not None else "")
        except ValueError:
            return el(FI, "Find", el(FI, "Status", INVALID))
        crit = run.children[0] if run is not None and len(run.children) == 1 else None
        try:
            if crit is not None and (crit.ns, crit.tag) == (FI, "MailBoxSearchCriterion"):
                return await self.mailbox(user.id, crit)
            if crit is not None and (crit.ns, crit.tag) == (FI, "GalSearchCriterion"):
                return await self.gal(user, crit)
            raise BadQueryError("ExecuteSearch needs one MailBoxSearchCriterion or GalSearchCriterion")
        except BadQueryError as exc:
            log.info("Find from %s: %s", user.address, exc)
            return el(FI, "Find", el(FI, "Status", INVALID))

    async def mailbox(self, user_id: str, crit: Element) -> Element:
        q = crit.find(FI, "Query")
        if q is None:
            raise BadQueryError("no Query")
        options = crit.find(FI, "Options")
        lo, hi = _range(options, self.searcher.max_results)
        deep = options is not None and options.find(FI, "DeepTraversal") is not None
        got = await self.searcher.matches(user_id, _query(q), deep, lo, hi)
        if got is None:
            return _answer(FOLDER_SYNC_REQUIRED)
        page, total = got
        prefs = [mailitem.BodyPreference(mailitem.PLAIN, PREVIEW)]
        results = []
        for mbid, meta in page:
            data = await self.searcher.store.item(mbid, meta, prefs)
            props = [c for c in data.children if c.ns == E and c.tag in _SUMMARY]
            body = data.find(B, "Body")
            text = body.find(B, "Data") if body is not None else None
            if text is not None:
                props.append(el(B, "Preview", text.value()))
            props.append(el(FI, "HasAttachments", 1 if data.find(B, "Attachments") is not None else 0))
            sid = mailitem.server_id(mbid, meta.uid)
            results.append(el(FI, "Result", el(S, "Class", "Email"), el(S, "ServerId", sid),
                              el(S, "CollectionId", mbid), el(FI, "Properties", *props)))  # fmt: skip
        rng = [el(FI, "Range", f"{lo}-{lo + len(page) - 1}")] if page else []
        return _answer(OK, *results, *rng, el(FI, "Total", total))

    async def gal(self, user: directory_pb.User, crit: Element) -> Element:
        q = crit.find(FI, "Query")
        text = q.value().strip() if q is not None and not q.children else ""
        if not text or len(text) > 256:
            raise BadQueryError("a GAL query is 1..256 characters of text")
        lo, hi = _range(crit.find(FI, "Options"), self.searcher.max_results)
        found = await self.searcher.directory.search(user, text, MAX_RANGE_END + 1)
        page = found.entries[lo : hi + 1]
        results = [el(FI, "Result", el(FI, "Properties", *e.properties())) for e in page]
        rng = [el(FI, "Range", f"{lo}-{lo + len(page) - 1}")] if page else []
        return _answer(OK, *results, *rng, el(FI, "Total", len(found.entries)))
