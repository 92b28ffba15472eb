"""SEARCH keys (parsed tuples) to pb.SearchKey; sequence numbers become UID sets."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from services.gen.kubemail.v1 import metadata_pb2 as pb
from services.imap.errors import bad
from services.imap.selected import Selected, keyword_spellings, ranges


class SearchError(ValueError):
    pass


def _none() -> pb.SearchKey:
    return pb.SearchKey(**{"not": pb.SearchKey(all=True)})


def _uidset(rs: list[pb.UidRange]) -> pb.SearchKey:
    if not rs:
        return _none()
    return pb.SearchKey(uids=pb.UidSet(ranges=rs))


def _text(v: bytes, utf8: bool) -> str:
    try:
        return v.decode("utf-8" if utf8 else "ascii")
    except UnicodeDecodeError:
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise bad("Search string is not valid in the charset", "BADCHARSET (UTF-8 US-ASCII)") from None


def needs_dates(key: tuple[Any, ...]) -> bool:
    """True if the key tree has OLDER/YOUNGER (RFC 5032), which need exact internal dates."""
    op = key[0]
    if op in ("OLDER", "YOUNGER"):
        return True
    if op == "AND":
        return any(needs_dates(k) for k in key[1])
    if op == "OR":
        return needs_dates(key[1]) or needs_dates(key[2])
    if op == "NOT":
        return needs_dates(key[1])
    return False


FetchPage = Callable[[int], Awaitable[pb.FetchMessagesResponse]]


async def internal_dates(fetch_page: FetchPage) -> dict[int, int]:
    """uid -> internal date (unix seconds), paging FetchMessages from UID 1 by next_uid."""
    out: dict[int, int] = {}
    start = 1
    while True:
        resp = await fetch_page(start)
        for m in resp.messages:
            out[m.uid] = m.internal_date
        if not resp.next_uid or resp.next_uid <= start:
            return out
        start = resp.next_uid


def translate(
    key: tuple[Any, ...], sel: Selected, utf8: bool, dates: dict[int, int] | None = None, now: float | None = None
) -> tuple[pb.SearchKey, bool]:
    """`dates` (uid -> internal date) is required when the key has OLDER/YOUNGER."""
    uses_modseq = False
    t_now = int(time.time() if now is None else now)

    def tr(k: tuple[Any, ...]) -> pb.SearchKey:
        nonlocal uses_modseq
        op = k[0]
        if op == "AND":
            return pb.SearchKey(**{"and": pb.SearchKeys(keys=[tr(x) for x in k[1]])})
        if op == "OR":
            return pb.SearchKey(**{"or": pb.SearchKeys(keys=[tr(k[1]), tr(k[2])])})
        if op == "NOT":
            return pb.SearchKey(**{"not": tr(k[1])})
        if op == "ALL":
            return pb.SearchKey(all=True)
        if op in ("FLAG", "NOFLAG"):
            return _flag_key(op == "FLAG", _flag(k[1]), sel)
        if op == "SEQ":
            return _uidset(sel.seq_range_to_uid_ranges(k[1]))
        if op == "UID":
            return _uidset([pb.UidRange(lo=lo, hi=hi) for lo, hi in sel.uid_bounds(k[1]) if lo > 0])
        if op == "RECENT":
            return _uidset(ranges(sorted(sel.recent)))
        if op == "NEW":
            return pb.SearchKey(
                **{"and": pb.SearchKeys(keys=[_uidset(ranges(sorted(sel.recent))), pb.SearchKey(no_flag="\\Seen")])}
            )
        if op == "OLD":
            return pb.SearchKey(**{"not": _uidset(ranges(sorted(sel.recent)))})
        if op == "HEADER":
            return pb.SearchKey(header=pb.HeaderMatch(field=k[1], value=_text(k[2], utf8)))
        if op == "BODY":
            return pb.SearchKey(body=_text(k[1], utf8))
        if op == "TEXT":
            return pb.SearchKey(text=_text(k[1], utf8))
        if op in ("LARGER", "SMALLER"):
            return pb.SearchKey(**{op.lower(): k[1]})
        if op in ("BEFORE", "ON", "SINCE"):
            return pb.SearchKey(**{op.lower(): k[1]})
        if op in ("SENTBEFORE", "SENTON", "SENTSINCE"):
            return pb.SearchKey(**{"sent_" + op[4:].lower(): k[1]})
        if op in ("OLDER", "YOUNGER"):
            # RFC 5032: OLDER n = internal date more than n seconds ago; YOUNGER n = within n
            edge = t_now - k[1]
            known = dates or {}
            hit = [u for u in sel.uids if u in known and ((known[u] < edge) if op == "OLDER" else (known[u] >= edge))]
            return _uidset(ranges(hit))
        if op == "MODSEQ":
            uses_modseq = True
            return pb.SearchKey(modseq=k[1])
        raise bad(f"Unsupported search key {op}")

    return tr(key), uses_modseq


_SYSTEM = {f.upper(): f for f in ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent")}


def _flag(f: str) -> str:
    return _SYSTEM.get(f.upper(), f) if f.startswith("\\") else f


def _flag_key(has: bool, flag: str, sel: Selected) -> pb.SearchKey:
    """KEYWORD / UNKEYWORD match case-insensitively (RFC 9051 2.3.2): a keyword becomes every
    spelling of it the mailbox holds, OR-ed (KEYWORD) or AND-ed as absent (UNKEYWORD)."""
    spellings = [flag] if flag.startswith("\\") else keyword_spellings(flag, sel.keywords)
    keys = [pb.SearchKey(flag=f) if has else pb.SearchKey(no_flag=f) for f in spellings]
    if len(keys) == 1:
        return keys[0]
    return pb.SearchKey(**{"or" if has else "and": pb.SearchKeys(keys=keys)})
