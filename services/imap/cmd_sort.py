"""SORT and UID SORT (RFC 5256), with ESORT's RETURN options and CONTEXT=SORT's PARTIAL and
UPDATE (RFC 5267; updates in services.imap.contexts) and the DISPLAYFROM / DISPLAYTO keys (RFC 5957)."""

from __future__ import annotations

from services.imap import contexts
from services.imap.errors import Result, bad
from services.imap.grammar import Command, SortArgs
from services.imap.matching import matching_uids, metas_of
from services.imap.search import partial_item, translate
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
    ordered = sort_messages(metas, a.criteria)
    for m in ordered:
        n = m.uid if cmd.uid else sel.seq_of(m.uid)
        if n:
            nums.append(n)
    refused = False
    ret_opts = None if a.ret is None else tuple(r for r in a.ret if r != "CONTEXT")  # RFC 5267 4.2
    if ret_opts is not None and "UPDATE" in ret_opts:  # RFC 5267 4.3 (CONTEXT=SORT)
        if cmd.tag in sel.contexts:
            raise bad(f"Tag reuse: a search with tag {cmd.tag} is already being updated")
        key, _ = translate(a.key, sel, s.utf8 or a.charset != "US-ASCII")
        order = contexts.SortOrder(a.criteria)
        for m in ordered:
            order.order.append(m.uid)
            order.values[m.uid] = order.key_of(m)
        ctx = contexts.SearchContext(cmd.tag, cmd.uid, key, {m.uid for m in ordered}, order)
        refused = not contexts.keep(sel, ctx)
        ret_opts = tuple(r for r in ret_opts if r != "UPDATE") or ("ALL",)
    if a.ret is None:
        line = "SORT" + "".join(f" {n}" for n in nums)
        if modseq is not None and nums:
            line += f" (MODSEQ {modseq})"  # RFC 7162 3.1.5
        s.untagged(line)
        return Result(text="SORT completed")
    ret = ret_opts or ("ALL",)
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
    if refused:  # RFC 5267 4.3.1
        s.untagged(f'NO [NOUPDATE "{cmd.tag}"] Too many searches being updated')
    return Result(text="SORT completed")
