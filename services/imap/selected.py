"""State of the selected mailbox: the sequence map, pending expunges, \\Recent, MODSEQ."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.imap.grammar import SAVED, SeqSet

KNOWN_BISECT = 64  # Selected.known: up to this many UIDs, a bisect each beats building a set of the view


class BadSequenceError(ValueError):
    """A sequence number outside the mailbox."""


@dataclass
class Selected:
    mailbox_id: str
    name: str
    readonly: bool
    uidvalidity: int
    uidnext: int
    highest_modseq: int
    uids: list[int] = field(default_factory=list)
    ghosts: set[int] = field(default_factory=set)  # expunged elsewhere, not yet announced
    recent: set[int] = field(default_factory=set)
    claimed: set[int] = field(default_factory=set)  # appended here, \Recent for us once seen
    reported: dict[int, int] = field(default_factory=dict)  # uid -> modseq already sent
    saved: list[int] = field(default_factory=list)  # SEARCH RETURN (SAVE) result, as UIDs
    keywords: set[str] = field(default_factory=set)  # keywords announced in FLAGS
    keywords_full: bool = False  # the mailbox's keyword list is full: no `\\*` in PERMANENTFLAGS
    contexts: dict[str, Any] = field(default_factory=dict)  # SEARCH RETURN (UPDATE) (services.imap.contexts)
    owner: str = ""  # the user id the mailbox belongs to (another user's: shared through an ACL)
    rights: str = ""  # the session user's ACL rights on another user's mailbox ("" = the owner's own)
    special_use: str = ""  # RFC 6154 (\\Junk: COPY/MOVE out of it trains the spam filter as ham)

    def may(self, right: str) -> bool:
        """Whether the session user has `right` (RFC 4314) here; the owner has every right."""
        return not self.rights or right in self.rights

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        i = bisect.bisect_left(self.uids, uid)
        if i < len(self.uids) and self.uids[i] == uid:
            return i + 1
        return None

    def contains(self, uid: int) -> bool:
        return self.seq_of(uid) is not None

    def known(self, uids: Iterable[int]) -> list[int]:
        """The UIDs of `uids` this view holds, in their order (a search result checked against
        the sequence map): one bisect each for a few, one set of the view for many."""
        if not isinstance(uids, list | tuple):
            uids = list(uids)
        if len(uids) <= KNOWN_BISECT:
            return [u for u in uids if self.seq_of(u) is not None]
        held = set(self.uids)
        return [u for u in uids if u in held]

    def seqs_of(self, uids: list[int]) -> list[int]:
        """Sequence numbers of UIDs this view holds, given ascending (as :meth:`known` returns
        them): one bisect each, starting where the previous one ended."""
        out: list[int] = []
        view, i = self.uids, 0
        for u in uids:
            i = bisect.bisect_left(view, u, i)
            out.append(i + 1)
        return out

    def uids_of_seqs(self, seqset: SeqSet) -> list[int]:
        n = len(self.uids)
        out: set[int] = set()
        parts: list[list[int]] = []
        for a, b in seqset:
            if (a, b) == SAVED:
                out.update(u for u in self.saved if self.contains(u))
                continue
            lo, hi = (n if a is None else a), (n if b is None else b)
            if lo > hi:
                lo, hi = hi, lo
            if hi > n:
                if a is not None and b is not None:
                    raise BadSequenceError("Invalid sequence number")
                hi = n  # "n:*" beyond the end (or "1:*" in an empty mailbox): only what exists
            if lo < 1 or lo > hi:
                continue
            parts.append(self.uids[lo - 1 : hi])
        if len(parts) == 1 and not out:
            return parts[0]  # one range (e.g. 1:*): already ascending and unique
        for part in parts:
            out.update(part)
        return sorted(out)

    def seq_range_to_uid_ranges(self, seqset: SeqSet) -> list[types_pb.UidRange]:
        """Sequence ranges as UID ranges (SEARCH): seq a..b covers UIDs uids[a-1]..uids[b-1]."""
        n = len(self.uids)
        out: list[types_pb.UidRange] = []
        for a, b in seqset:
            if (a, b) == SAVED:
                out.extend(ranges(sorted(self.saved)))
                continue
            lo, hi = (n if a is None else a), (n if b is None else b)
            if lo > hi:
                lo, hi = hi, lo
            hi = min(hi, n)
            if lo < 1 or lo > hi:
                continue
            out.append(types_pb.UidRange(lo=self.uids[lo - 1], hi=self.uids[hi - 1]))
        return out

    def uid_bounds(self, seqset: SeqSet) -> list[tuple[int, int]]:
        top = self.uids[-1] if self.uids else 0
        out: list[tuple[int, int]] = []
        for a, b in seqset:
            if (a, b) == SAVED:
                out.extend((u, u) for u in self.saved)
                continue
            lo, hi = (top if a is None else a), (top if b is None else b)
            if lo > hi:
                lo, hi = hi, lo
            out.append((lo, hi))
        return out

    def uids_of_uidset(self, seqset: SeqSet) -> list[int]:
        bounds = self.uid_bounds(seqset)
        if len(bounds) == 1:  # one range (e.g. 1:*): a slice is ascending and unique
            lo, hi = bounds[0]
            return self.uids[bisect.bisect_left(self.uids, lo) : bisect.bisect_right(self.uids, hi)]
        out: set[int] = set()
        for lo, hi in bounds:
            i = bisect.bisect_left(self.uids, lo)
            j = bisect.bisect_right(self.uids, hi)
            out.update(self.uids[i:j])
        return sorted(out)

    def remove(self, uid: int) -> int | None:
        """Drops a UID from the map; returns the sequence number it had."""
        seq = self.seq_of(uid)
        if seq is not None:
            del self.uids[seq - 1]
        self.ghosts.discard(uid)
        self.recent.discard(uid)
        self.reported.pop(uid, None)
        return seq

    def add(self, uids: Iterable[int]) -> int:
        """Appends new (higher) UIDs; returns how many were new."""
        top = self.uids[-1] if self.uids else 0
        new = sorted(u for u in set(uids) if u > top)
        self.uids.extend(new)
        return len(new)


def keyword_spellings(keyword: str, known: Collection[str]) -> list[str]:
    """Every spelling of `keyword` the mailbox is known to hold (keywords are case-insensitive,
    RFC 9051 2.3.2; metadata stores them as written): the known ones matching case-insensitively,
    sorted, or just `keyword` if none does."""
    folded = keyword.casefold()
    found = sorted(k for k in known if k.casefold() == folded)
    return found or [keyword]


def ranges(uids: list[int]) -> list[types_pb.UidRange]:
    """Sorted UIDs compressed into closed ranges for the metadata API."""
    out: list[types_pb.UidRange] = []
    start = prev = -1
    for u in uids:
        if u == prev + 1 and start >= 0:
            prev = u
            continue
        if start >= 0:
            out.append(types_pb.UidRange(lo=start, hi=prev))
        start = prev = u
    if start >= 0:
        out.append(types_pb.UidRange(lo=start, hi=prev))
    return out


def compress(nums: Iterable[int]) -> str:
    """Sorted numbers as an IMAP sequence set string ("1:3,7")."""
    parts: list[str] = []
    start = prev = -1
    for u in sorted(set(nums)):
        if u == prev + 1 and start >= 0:
            prev = u
            continue
        if start >= 0:
            parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = u
    if start >= 0:
        parts.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(parts)


def in_order(nums: Iterable[int]) -> str:
    """A sequence set listing `nums` in the given order (COPYUID pairs source and destination
    positionally; ESORT ALL keeps the sort order): only ascending runs of consecutive numbers
    become ranges, as a range carries no order."""
    ns = list(nums)
    parts: list[str] = []
    i = 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and ns[j + 1] == ns[j] + 1:
            j += 1
        parts.append(str(ns[i]) if i == j else f"{ns[i]}:{ns[j]}")
        i = j + 1
    return ",".join(parts)
