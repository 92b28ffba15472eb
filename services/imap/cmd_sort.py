"""SORT and UID SORT (RFC 5256), with ESORT's RETURN options (RFC 5267) and the DISPLAYFROM /
DISPLAYTO keys (RFC 5957)."""

from __future__ import annotations

from services.imap.errors import Result
from services.imap.grammar import Command, SortArgs
from services.imap.matching import matching_uids, metas_of
from services.imap.search import partial_item
from services.imap.selected import in_order
from services.imap.session import Session
from services.imap.sorting import NO_SUMMARY, sort_messages


async def sort(s: Session, cmd: Command) -> Result:
    a: SortArgs = cmd.args
    sel = s.sel
    assert sel is not None
    uids, modseq = await matching_uids(s, a.key, a.charset)
    need_summary = any(k not in NO_SUMMARY for k, _ in a.criteria)
    metas = await metas_of(s, uids, need_summary) if uids else []
    nums: list[int] = []
    for m in sort_messages(metas, a.criteria):
        n = m.uid if cmd.uid else sel.seq_of(m.uid)
        if n:
            nums.append(n)
    if a.ret is None:
        line = "SORT" + "".join(f" {n}" for n in nums)
        if modseq is not None and nums:
            line += f" (MODSEQ {modseq})"  # RFC 7162 3.1.5
        s.untagged(line)
        return Result(text="SORT completed")
    ret = a.ret or ("ALL",)
    parts = [f'ESEARCH (TAG "{cmd.tag}")']
    if cmd.uid:
        parts.append("UID")
    if nums:
        if "MIN" in ret:  # RFC 5267 3.2: the first and last in the sort order
            parts.append(f"MIN {nums[0]}")
        if "MAX" in ret:
            parts.append(f"MAX {nums[-1]}")
        if "ALL" in ret:
            parts.append(f"ALL {in_order(nums)}")
    if a.partial is not None:  # RFC 5267 4.4: positions in the sort order
        parts.append(partial_item(a.partial, in_order(nums[a.partial[0] - 1 : a.partial[1]])))
    if "COUNT" in ret:
        parts.append(f"COUNT {len(nums)}")
    if modseq is not None and nums:
        parts.append(f"MODSEQ {modseq}")
    s.untagged(" ".join(parts))
    return Result(text="SORT completed")
