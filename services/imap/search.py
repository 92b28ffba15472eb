"""SEARCH keys (parsed tuples) to messages_pb.SearchKey; sequence numbers become UID sets."""

from __future__ import annotations

import time
from typing import Any

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.imap.errors import bad
from services.imap.selected import Selected, keyword_spellings, ranges


class SearchError(ValueError):
    pass


def _none() -> messages_pb.SearchKey:
    return messages_pb.SearchKey(**{"not": messages_pb.SearchKey(all=True)})


def _uidset(rs: list[types_pb.UidRange]) -> messages_pb.SearchKey:
    if not rs:
        return _none()
    return messages_pb.SearchKey(uids=types_pb.UidSet(ranges=rs))


def _text(v: bytes, utf8: bool) -> str:
    try:
        return v.decode("utf-8" if utf8 else "ascii")
    except UnicodeDecodeError:
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise bad("Search string is not valid in the charset", "BADCHARSET (UTF-8 US-ASCII)") from None


def translate(
    key: tuple[Any, ...], sel: Selected, utf8: bool, now: float | None = None
) -> tuple[messages_pb.SearchKey, bool]:
    """OLDER/YOUNGER (RFC 5032) become second-precision internal-date keys relative to `now`."""
    uses_modseq = False
    t_now = int(time.time() if now is None else now)

    def tr(k: tuple[Any, ...]) -> messages_pb.SearchKey:
        nonlocal uses_modseq
        op = k[0]
        if op == "AND":
            return messages_pb.SearchKey(**{"and": messages_pb.SearchKeys(keys=[tr(x) for x in k[1]])})
        if op == "OR":
            return messages_pb.SearchKey(**{"or": messages_pb.SearchKeys(keys=[tr(k[1]), tr(k[2])])})
        if op == "NOT":
            return messages_pb.SearchKey(**{"not": tr(k[1])})
        if op == "ALL":
            return messages_pb.SearchKey(all=True)
        if op in ("FLAG", "NOFLAG"):
            return _flag_key(op == "FLAG", _flag(k[1]), sel)
        if op == "SEQ":
            return _uidset(sel.seq_range_to_uid_ranges(k[1]))
        if op == "UID":
            return _uidset([types_pb.UidRange(lo=lo, hi=hi) for lo, hi in sel.uid_bounds(k[1]) if lo > 0])
        if op == "RECENT":
            return _uidset(ranges(sorted(sel.recent)))
        if op == "NEW":
            return messages_pb.SearchKey(
                **{
                    "and": messages_pb.SearchKeys(
                        keys=[_uidset(ranges(sorted(sel.recent))), messages_pb.SearchKey(no_flag="\\Seen")]
                    )
                }
            )
        if op == "OLD":
            return messages_pb.SearchKey(**{"not": _uidset(ranges(sorted(sel.recent)))})
        if op == "HEADER":
            return messages_pb.SearchKey(header=messages_pb.HeaderMatch(field=k[1], value=_text(k[2], utf8)))
        if op == "BODY":
            return messages_pb.SearchKey(body=_text(k[1], utf8))
        if op == "TEXT":
            return messages_pb.SearchKey(text=_text(k[1], utf8))
        if op in ("LARGER", "SMALLER"):
            return messages_pb.SearchKey(**{op.lower(): k[1]})
        if op in ("BEFORE", "ON", "SINCE"):
            return messages_pb.SearchKey(**{op.lower(): k[1]})
        if op in ("SENTBEFORE", "SENTON", "SENTSINCE"):
            return messages_pb.SearchKey(**{"sent_" + op[4:].lower(): k[1]})
        if op in ("SAVEDBEFORE", "SAVEDON", "SAVEDSINCE"):  # RFC 8514
            return messages_pb.SearchKey(**{"saved_" + op[5:].lower(): k[1]})
        if op in ("OLDER", "YOUNGER"):
            # RFC 5032: OLDER n = internal date more than n seconds ago; YOUNGER n = within n
            edge = t_now - k[1]
            if op == "OLDER":
                return messages_pb.SearchKey(internal_date_before=edge)
            return messages_pb.SearchKey(internal_date_since=edge)
        if op == "EMAILID":
            return messages_pb.SearchKey(email_id=k[1])
        if op == "THREADID":
            return messages_pb.SearchKey(thread_id=k[1])
        if op == "MODSEQ":
            uses_modseq = True
            return messages_pb.SearchKey(modseq=k[1])
        raise bad(f"Unsupported search key {op}")

    return tr(key), uses_modseq


_SYSTEM = {f.upper(): f for f in ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent")}


def _flag(f: str) -> str:
    return _SYSTEM.get(f.upper(), f) if f.startswith("\\") else f


def _flag_key(has: bool, flag: str, sel: Selected) -> messages_pb.SearchKey:
    """KEYWORD / UNKEYWORD match case-insensitively (RFC 9051 2.3.2): a keyword becomes every
    spelling of it the mailbox holds, OR-ed (KEYWORD) or AND-ed as absent (UNKEYWORD)."""
    spellings = [flag] if flag.startswith("\\") else keyword_spellings(flag, sel.keywords)
    keys = [messages_pb.SearchKey(flag=f) if has else messages_pb.SearchKey(no_flag=f) for f in spellings]
    if len(keys) == 1:
        return keys[0]
    return messages_pb.SearchKey(**{"or" if has else "and": messages_pb.SearchKeys(keys=keys)})


def partial_item(partial: tuple[int, int], found: str) -> str:
    """ESEARCH PARTIAL (low:high set) (RFC 5267 4.4), NIL when no message is in that range."""
    return f"PARTIAL ({partial[0]}:{partial[1]} {found or 'NIL'})"
