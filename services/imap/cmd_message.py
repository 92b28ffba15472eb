"""Selected-state commands: CLOSE UNSELECT EXPUNGE STORE COPY MOVE SEARCH."""

from __future__ import annotations

import grpc

from services.common.mailstore import KeywordLimit, MailStoreError, new_key
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap import contexts, names, reasons, shared
from services.imap.errors import Result, bad, no
from services.imap.flags import norm_flags
from services.imap.grammar import AUTH, Command, CopyArgs, SearchArgs, StoreArgs
from services.imap.search import partial_item, translate
from services.imap.selected import Selected, compress, in_order, keyword_spellings, ranges
from services.imap.session import Session, store_result


def _sel(s: Session) -> Selected:
    assert s.sel is not None
    return s.sel


def target_uids(s: Session, cmd: Command, seqset: object) -> list[int]:
    sel = _sel(s)
    if cmd.uid:
        return sel.uids_of_uidset(seqset)  # type: ignore[arg-type]
    return sel.uids_of_seqs(seqset)  # type: ignore[arg-type]


def _writable(s: Session) -> None:
    if _sel(s).readonly:
        raise no("Mailbox is read-only")


async def close(s: Session, cmd: Command) -> Result:
    sel = _sel(s)
    if not sel.readonly and sel.may("e"):
        try:
            await s.md.messages.Expunge(messages_pb.ExpungeRequest(user_id=sel.owner, mailbox_id=sel.mailbox_id))
        except grpc.aio.AioRpcError:
            pass
    s.sel = None
    s.state = AUTH
    return Result(text=f"{cmd.name} completed")


async def unselect(s: Session, cmd: Command) -> Result:
    s.sel = None
    s.state = AUTH
    return Result(text="UNSELECT completed")


async def expunge(s: Session, cmd: Command) -> Result:
    sel = _sel(s)
    _writable(s)
    req = messages_pb.ExpungeRequest(user_id=sel.owner, mailbox_id=sel.mailbox_id)
    if cmd.uid:
        uids = sel.uids_of_uidset(cmd.args)
        if not uids:
            return Result(text="EXPUNGE completed")
        req.uids.extend(ranges(uids))
        req.only_deleted = True
    resp = await s.md.messages.Expunge(req)
    gone = sorted(u for u in resp.expunged if sel.contains(u))
    s.announce_expunges(gone)
    s.caught_up(sel.mailbox_id, resp.prior_modseq, resp.modseq)
    code = None
    if s.condstore and resp.modseq:
        code = f"HIGHESTMODSEQ {resp.modseq}"
    return Result(text="EXPUNGE completed", code=code)


async def store(s: Session, cmd: Command) -> Result:
    a: StoreArgs = cmd.args
    sel = _sel(s)
    _writable(s)
    flags = norm_flags(a.flags, sel.keywords)
    if a.mode == "REMOVE":  # every spelling the mailbox holds (keywords are case-insensitive)
        flags = [x for f in flags for x in (keyword_spellings(f, sel.keywords) if f[:1] != "\\" else [f])]
    if a.unchanged_since is not None:
        s.enable_condstore()
    uids = target_uids(s, cmd, a.seqset)
    uids = [u for u in uids if u not in sel.ghosts]
    if not uids:
        return Result(text="STORE completed")
    if a.unchanged_since == 0:
        # every message has a MODSEQ above 0: nothing may be changed
        nums0 = uids if cmd.uid else [sel.seq_of(u) or 0 for u in uids]
        return Result(text="Conditional STORE failed", code=f"MODIFIED {compress(nums0)}")
    mode = {
        "REPLACE": messages_pb.StoreFlagsRequest.MODE_REPLACE,
        "ADD": messages_pb.StoreFlagsRequest.MODE_ADD,
        "REMOVE": messages_pb.StoreFlagsRequest.MODE_REMOVE,
    }[a.mode]
    try:
        resp = await s.ctx.mail.store_flags(
            sel.owner, sel.mailbox_id, ranges(uids), mode, flags, unchanged_since=a.unchanged_since or 0
        )
    except KeywordLimit:
        if not sel.keywords_full:
            sel.keywords_full = True  # tell the client `\*` no longer holds (RFC 3501 7.1)
            s.announce_flags(flags=False)
        raise
    modified = set(resp.modified)
    for m in resp.updated:
        if m.uid in modified:
            continue
        seq = sel.seq_of(m.uid)
        if seq is None:
            continue
        sel.reported[m.uid] = max(sel.reported.get(m.uid, 0), m.modseq)
        if not a.silent or (s.condstore and a.unchanged_since is not None):
            items = []
            if cmd.uid or s.qresync:
                items.append(f"UID {m.uid}")
            if not a.silent:
                items.append("FLAGS (" + " ".join(s.visible_flags(m.uid, list(m.flags))) + ")")
            if s.condstore:
                items.append(f"MODSEQ ({m.modseq})")
            s.untagged(f"{seq} FETCH (" + " ".join(items) + ")")
        await s.maybe_flush()
    s.caught_up(sel.mailbox_id, resp.prior_modseq, resp.modseq)
    if modified:
        nums = modified if cmd.uid else {sel.seq_of(u) or 0 for u in modified} - {0}
        return Result(text="Conditional STORE failed", code=f"MODIFIED {compress(nums)}")
    return Result(text="STORE completed")


async def copy(s: Session, cmd: Command) -> Result:
    a: CopyArgs = cmd.args
    sel = _sel(s)
    # either side may be another user's mailbox (ACL): the metadata service checks r (and t e
    # for MOVE) on the source and i on the destination
    where = await shared.locate(s, names.decode(a.mailbox, s.utf8))
    dest, dest_owner = where.name, ("" if where.owner == sel.owner else where.owner)
    move = cmd.name == "MOVE"
    if move:
        _writable(s)
    wanted = target_uids(s, cmd, a.seqset)
    if wanted:
        # learn of expunges by other sessions first (announced after the command, not now)
        await s.sync(allow_expunge=False, force=True)
    if any(u in sel.ghosts for u in wanted):
        # RFC 2180 4.4.1: refuse rather than copy a subset; nothing was copied
        raise no("Some of the requested messages no longer exist", "EXPUNGEISSUED")
    uids = wanted
    if not uids:
        return Result(text=f"{cmd.name} completed")
    # one key per command, reused by every retry of its commit: never copied or moved twice
    key = new_key(cmd.name.lower())
    resp: messages_pb.CopyMessagesResponse | messages_pb.MoveMessagesResponse
    try:
        if move:
            resp = await s.ctx.mail.move(sel.owner, sel.mailbox_id, ranges(uids), dest, key, dest_owner)
        else:
            resp = await s.ctx.mail.copy(sel.owner, sel.mailbox_id, ranges(uids), dest, key, dest_owner)
    except MailStoreError as exc:
        r = store_result(exc, reasons.MOVE if move else reasons.COPY)
        raise no(r.text, r.code) from None
    if not resp.source_uids:  # all of them expunged after the sync above
        raise no("Some of the requested messages no longer exist", "EXPUNGEISSUED")
    code = None
    if resp.source_uids:
        code = f"COPYUID {resp.uidvalidity} {in_order(resp.source_uids)} {in_order(resp.destination_uids)}"
    s.resync()
    if s.ctx.learner is not None and sel.owner == s.user_id and not dest_owner:
        # into or out of Junk (the user's own mailboxes): train the spam filter, in the background
        s.ctx.learner.moved(s.user_id, sel.special_use, dest, list(resp.destination_uids))
    if move:
        if code:
            s.untagged(f"OK [{code}] Moved")
        s.announce_expunges(sorted(u for u in resp.source_uids if sel.contains(u)))
        return Result(text="MOVE completed")
    return Result(text="COPY completed", code=code)


async def search(s: Session, cmd: Command) -> Result:
    a: SearchArgs = cmd.args
    sel = _sel(s)
    if a.charset is not None and s.utf8_accept:  # RFC 6855 3 (SHOULD): conflicting charset labels
        raise bad("No CHARSET in SEARCH after ENABLE UTF8=ACCEPT")
    charset = a.charset or "US-ASCII"
    if charset not in ("UTF-8", "US-ASCII", "UTF8"):
        raise no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)")
    key, uses_modseq = translate(a.key, sel, s.utf8 or charset != "US-ASCII")
    if uses_modseq:
        s.enable_condstore()
    req = messages_pb.SearchRequest(
        user_id=sel.owner, mailbox_id=sel.mailbox_id, key=key, skip_highest_modseq=not uses_modseq
    )
    resp = await s.md.messages.Search(req)
    uids = sel.known(resp.uids)  # ascending
    nums = uids if cmd.uid else sel.seqs_of(uids)
    ret: list[str] | None = None if a.ret is None else [r for r in a.ret if r != "CONTEXT"]  # RFC 5267 4.2
    refused = False  # UPDATE refused (4.3.1): NO [NOUPDATE] after the results, as in RFC 5267
    if ret is not None and "UPDATE" in ret:
        ret, refused = _update(sel, cmd, key, ret, uids)
    if ret is not None and "SAVE" in ret:
        ret = [r for r in ret if r != "SAVE"]
        if ret and set(ret) <= {"MIN", "MAX", "PARTIAL"}:  # RFC 5182 2.1: what is returned
            keep = ([uids[0]] if "MIN" in ret and uids else []) + ([uids[-1]] if "MAX" in ret and uids else [])
            if a.partial is not None:
                keep += uids[a.partial[0] - 1 : a.partial[1]]
            sel.saved = sorted(set(keep))
        else:
            sel.saved = list(uids)
        if not ret:
            if refused:
                s.untagged(f'NO [NOUPDATE "{cmd.tag}"] Too many searches being updated')
            return Result(text="SEARCH completed, result saved")
    if ret is None and s.rev2:
        ret = ["ALL"]
    if ret is None:
        line = " ".join(["SEARCH", *map(str, nums)])
        if uses_modseq and nums:
            line += f" (MODSEQ {resp.highest_modseq})"
        s.untagged(line)
        return Result(text="SEARCH completed")
    if not ret:
        ret = ["ALL"]
    parts = [f'ESEARCH (TAG "{cmd.tag}")']
    if cmd.uid:
        parts.append("UID")
    if nums:
        if "MIN" in ret:
            parts.append(f"MIN {nums[0]}")
        if "MAX" in ret:
            parts.append(f"MAX {nums[-1]}")
        if "ALL" in ret:
            parts.append(f"ALL {compress(nums)}")
    if a.partial is not None:
        parts.append(partial_item(a.partial, compress(nums[a.partial[0] - 1 : a.partial[1]])))
    if "COUNT" in ret:
        parts.append(f"COUNT {len(nums)}")
    if uses_modseq and nums:
        parts.append(f"MODSEQ {await _esearch_modseq(s, sel, uids, ret, resp.highest_modseq)}")
    s.untagged(" ".join(parts))
    if refused:
        s.untagged(f'NO [NOUPDATE "{cmd.tag}"] Too many searches being updated')
    return Result(text="SEARCH completed")


def _update(
    sel: Selected, cmd: Command, key: messages_pb.SearchKey, ret: list[str], uids: list[int]
) -> tuple[list[str], bool]:
    """SEARCH RETURN (UPDATE) (RFC 5267 4.3): the result is kept and its changes reported as
    ADDTO / REMOVEFROM (services.imap.contexts); the other options answer as usual (no
    interaction), UPDATE alone as ALL. True when refused (too many: NO [NOUPDATE], 4.3.1)."""
    if cmd.tag in sel.contexts:
        raise bad(f"Tag reuse: a SEARCH with tag {cmd.tag} is already being updated")
    kept = contexts.keep(sel, contexts.SearchContext(cmd.tag, cmd.uid, key, set(uids)))
    return [r for r in ret if r != "UPDATE"] or ["ALL"], not kept


async def cancelupdate(s: Session, cmd: Command) -> Result:
    """CANCELUPDATE (RFC 5267 4.3): no more updates for those searches."""
    sel = _sel(s)
    for t in cmd.args:  # a tag with no updates (ended, refused with NOUPDATE) is no error
        sel.contexts.pop(t, None)
    return Result(text="CANCELUPDATE completed")


async def _esearch_modseq(s: Session, sel: Selected, uids: list[int], ret: list[str], highest: int) -> int:
    """ESEARCH MODSEQ (RFC 7162 3.1.5, RFC 4731 3.2): the highest MODSEQ of the messages the
    response reports: with MIN and/or MAX alone those one or two, else every match."""
    if {"ALL", "COUNT", "PARTIAL"} & set(ret) or not {"MIN", "MAX"} & set(ret):
        return highest
    picked = sorted({uids[0] if r == "MIN" else uids[-1] for r in ret if r in ("MIN", "MAX")})
    resp = await s.md.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=sel.owner, mailbox_id=sel.mailbox_id, uids=ranges(picked), flags_only=True
        )
    )
    return max((m.modseq for m in resp.messages), default=highest)
