"""CONTEXT=SEARCH and CONTEXT=SORT updates (RFC 5267 4.3), sans session: a SEARCH or SORT
RETURN (UPDATE) leaves its result in the selected mailbox's state, and each sync reports how it
changes, as unsolicited `ESEARCH (TAG "t") [UID] REMOVEFROM (...)` and `ADDTO (...)`: for
SEARCH `(0 set)` (position 0: the result is in mailbox order), for SORT `(position n ...)`
pairs at positions in the sort order, each pair applying to the list the previous one left.
A SORT context keeps every result's sort values, so a new match is placed by a binary search
and only the new messages' summaries are read. Only the messages a sync reports as new or changed are searched again
(the metadata search reads just those, services.metadata.search._narrowing), and expunged ones
leave the result before their EXPUNGE; so the cost follows the messages touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.imap.selected import Selected, compress, ranges
from services.imap.sorting import NO_SUMMARY, sort_value

MAX_CONTEXTS = 16  # per selected mailbox; beyond it a search gets NO [NOUPDATE] and no updates


@dataclass
class SortOrder:
    """A SORT result in its order, with each message's sort values (RFC 5256: the criteria in
    turn, REVERSE on its own key, exact ties by UID)."""

    criteria: tuple[tuple[str, bool], ...]
    order: list[int] = field(default_factory=list)  # UIDs in the sort order
    values: dict[int, tuple[int | str, ...]] = field(default_factory=dict)

    def key_of(self, m: messages_pb.MessageMeta) -> tuple[int | str, ...]:
        return tuple(sort_value(m, k) for k, _ in self.criteria)

    def _before(self, a: int, b: int) -> bool:
        va, vb = self.values[a], self.values[b]
        for (_, reverse), x, y in zip(self.criteria, va, vb, strict=True):
            if x != y:
                return (x > y) if reverse else (x < y)  # type: ignore[operator]
        return a < b

    def insert(self, uid: int, values: tuple[int | str, ...]) -> int:
        """Places `uid`; its 1-based position."""
        self.values[uid] = values
        lo, hi = 0, len(self.order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._before(self.order[mid], uid):
                lo = mid + 1
            else:
                hi = mid
        self.order.insert(lo, uid)
        return lo + 1

    def remove(self, uid: int) -> int:
        """Takes `uid` out; the 1-based position it had."""
        i = self.order.index(uid)
        del self.order[i]
        self.values.pop(uid, None)
        return i + 1


@dataclass
class SearchContext:
    tag: str
    uid: bool  # UID SEARCH: updates in UIDs, else in sequence numbers
    # the search program as translated when the command arrived: sequence numbers in it are
    # evaluated then (RFC 5267 4.3), and so are OLDER/YOUNGER
    key: messages_pb.SearchKey
    result: set[int] = field(default_factory=set)  # UIDs
    sort: SortOrder | None = None  # SORT RETURN (UPDATE): positions in the sort order


def keep(sel: Selected, ctx: SearchContext) -> bool:
    """Keeps `ctx` for updates; False when there are MAX_CONTEXTS already (RFC 5267 4.3: the
    server answers `* NO [NOUPDATE "tag"]` and sends no updates for it)."""
    if len(sel.contexts) >= MAX_CONTEXTS:
        return False
    sel.contexts[ctx.tag] = ctx
    return True


def _num(sel: Selected, ctx: SearchContext, uid: int) -> int:
    return uid if ctx.uid else (sel.seq_of(uid) or 0)


def _line(sel: Selected, ctx: SearchContext, item: str, uids: list[int]) -> str:
    nums = [n for n in (_num(sel, ctx, u) for u in uids) if n]
    return _send_line(ctx, item, f"0 {compress(nums)}")


def _send_line(ctx: SearchContext, item: str, payload: str) -> str:
    uid = " UID" if ctx.uid else ""
    return f'ESEARCH (TAG "{ctx.tag}"){uid} {item} ({payload})'


def _remove(sel: Selected, ctx: SearchContext, uids: list[int], send: Callable[[str], None]) -> None:
    if not uids:
        return
    if ctx.sort is None:
        send(_line(sel, ctx, "REMOVEFROM", uids))
    else:
        pairs = [f"{ctx.sort.remove(u)} {_num(sel, ctx, u)}" for u in uids]
        send(_send_line(ctx, "REMOVEFROM", " ".join(pairs)))
    ctx.result.difference_update(uids)


def removals(sel: Selected, gone: list[int], send: Callable[[str], None]) -> None:
    """REMOVEFROM for messages about to be announced as expunged (while their sequence
    numbers are still valid)."""
    for ctx in sel.contexts.values():
        _remove(sel, ctx, sorted(u for u in gone if u in ctx.result), send)


async def _metas(
    md: MetadataClient, user_id: str, sel: Selected, uids: list[int], summary: bool
) -> list[messages_pb.MessageMeta]:
    out: list[messages_pb.MessageMeta] = []
    chunk = uids
    while chunk:
        resp = await md.messages.FetchMessages(
            messages_pb.FetchMessagesRequest(
                user_id=user_id, mailbox_id=sel.mailbox_id, uids=ranges(chunk), include_summary=summary
            )
        )
        out.extend(resp.messages)
        chunk = [u for u in chunk if resp.next_uid and u >= resp.next_uid]
    return out


async def changes(
    md: MetadataClient, user_id: str, sel: Selected, touched: list[int], send: Callable[[str], None]
) -> None:
    """REMOVEFROM / ADDTO after new or changed messages: each context searched over `touched`."""
    touched = sorted(u for u in set(touched) if sel.contains(u))
    if not touched or not sel.contexts:
        return
    only = messages_pb.SearchKey(uids=types_pb.UidSet(ranges=ranges(touched)))
    for ctx in list(sel.contexts.values()):
        both = messages_pb.SearchKey(**{"and": messages_pb.SearchKeys(keys=[only, ctx.key])})
        resp = await md.messages.Search(messages_pb.SearchRequest(user_id=user_id, mailbox_id=sel.mailbox_id, key=both))
        now = set(sel.known(resp.uids))
        _remove(sel, ctx, sorted(u for u in touched if u in ctx.result and u not in now), send)
        new = sorted(now - ctx.result)
        if not new:
            continue
        ctx.result.update(new)
        if ctx.sort is None:
            send(_line(sel, ctx, "ADDTO", new))
            continue
        order = ctx.sort
        summary = any(k not in NO_SUMMARY for k, _ in order.criteria)
        metas = await _metas(md, user_id, sel, new, summary)
        pairs = [f"{order.insert(m.uid, order.key_of(m))} {_num(sel, ctx, m.uid)}" for m in metas]
        ctx.result.difference_update(set(new) - {m.uid for m in metas})  # gone between search and fetch
        if pairs:
            send(_send_line(ctx, "ADDTO", " ".join(pairs)))
