"""CONTEXT=SEARCH updates (RFC 5267 4.3), sans session: a SEARCH RETURN (UPDATE) leaves its
result in the selected mailbox's state, and each sync reports how it changes, as unsolicited
`ESEARCH (TAG "t") [UID] REMOVEFROM (0 set)` and `ADDTO (0 set)` (position 0: a SEARCH result
is in ascending order). Only the messages a sync reports as new or changed are searched again
(the metadata search reads just those, services.metadata.search._narrowing), and expunged ones
leave the result before their EXPUNGE; so the cost follows the messages touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.imap.selected import Selected, compress, ranges

MAX_CONTEXTS = 16  # per selected mailbox; beyond it a search gets NO [NOUPDATE] and no updates


@dataclass
class SearchContext:
    tag: str
    uid: bool  # UID SEARCH: updates in UIDs, else in sequence numbers
    # the search program as translated when the command arrived: sequence numbers in it are
    # evaluated then (RFC 5267 4.3), and so are OLDER/YOUNGER
    key: messages_pb.SearchKey
    result: set[int] = field(default_factory=set)  # UIDs


def keep(sel: Selected, ctx: SearchContext) -> bool:
    """Keeps `ctx` for updates; False when there are MAX_CONTEXTS already (RFC 5267 4.3: the
    server answers `* NO [NOUPDATE "tag"]` and sends no updates for it)."""
    if len(sel.contexts) >= MAX_CONTEXTS:
        return False
    sel.contexts[ctx.tag] = ctx
    return True


def _line(sel: Selected, ctx: SearchContext, item: str, uids: list[int]) -> str:
    nums = uids if ctx.uid else [n for n in (sel.seq_of(u) for u in uids) if n]
    uid = " UID" if ctx.uid else ""
    return f'ESEARCH (TAG "{ctx.tag}"){uid} {item} (0 {compress(nums)})'


def removals(sel: Selected, gone: list[int], send: Callable[[str], None]) -> None:
    """REMOVEFROM for messages about to be announced as expunged (while their sequence
    numbers are still valid)."""
    for ctx in sel.contexts.values():
        out = sorted(u for u in gone if u in ctx.result)
        if out:
            send(_line(sel, ctx, "REMOVEFROM", out))
            ctx.result.difference_update(out)


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
        now = {u for u in resp.uids if sel.contains(u)}
        gone = sorted(u for u in touched if u in ctx.result and u not in now)
        new = sorted(now - ctx.result)
        if gone:
            send(_line(sel, ctx, "REMOVEFROM", gone))
        if new:
            send(_line(sel, ctx, "ADDTO", new))
        ctx.result.difference_update(gone)
        ctx.result.update(new)
