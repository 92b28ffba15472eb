"""FETCH and UID FETCH: metadata from the summary, body sections from the blob store."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Iterable
from typing import Any

from services.common import bodystructure, mime
from services.common.listing import all_changes
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap import sections, wire
from services.imap.errors import Result, no
from services.imap.grammar import Command, FetchArgs, FetchAtt
from services.imap.selected import compress, ranges
from services.imap.session import Session

_SUMMARY_ATTS = {
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "BODY[]",
    "BINARY[]",
    "BINARY.SIZE",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
    "PREVIEW",
}
# attributes answered from uid/modseq/flags alone: FetchMessages(flags_only), big batches
_FLAGS_ONLY_ATTS = {"UID", "FLAGS", "MODSEQ"}
# attributes rendered without any await (no blob, no summary)
_SIMPLE_ATTS = _FLAGS_ONLY_ATTS | {"INTERNALDATE", "RFC822.SIZE", "EMAILID", "THREADID", "SAVEDATE"}
FLAGS_BATCH = 5000  # the metadata service's default FetchMessages limit
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


Cache = dict[str, bytes]
PREFETCH_MAX = 1 << 20  # whole blobs up to this size are read in parallel for a FETCH batch
PREFETCH_PARALLEL = 16
PREFETCH_BUDGET = 8 << 20  # bytes held per batch at most


def _needs_blob(att: FetchAtt) -> bool:
    if att.name in ("RFC822", "RFC822.TEXT", "BINARY[]", "BINARY.SIZE"):
        return True
    if att.name == "BODY[]":
        sec = att.section
        return sec is None or bool(sec.part) or not sec.kind.startswith("HEADER")
    return False


async def _prefetch(s: Session, metas: list[messages_pb.MessageMeta]) -> dict[str, bytes]:
    """Reads the blobs of a batch concurrently (bounded), so that many small bodies do not
    cost one round trip each."""
    out: dict[str, bytes] = {}
    sem = asyncio.Semaphore(PREFETCH_PARALLEL)

    async def one(blob_id: str) -> None:
        async with sem:
            out[blob_id] = await s.ctx.blobs.get(blob_id)

    wanted: set[str] = set()
    budget = PREFETCH_BUDGET
    for m in metas:
        if 0 < m.size <= PREFETCH_MAX and m.size <= budget and m.blob_id not in wanted:
            wanted.add(m.blob_id)
            budget -= m.size
    await asyncio.gather(*(one(b) for b in wanted))
    return out


def internal_date(ts: int) -> str:
    t = time.gmtime(ts)
    return (
        f'"{t.tm_mday:02d}-{_MONTHS[t.tm_mon - 1]}-{t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"'
    )


def _sets_seen(att: FetchAtt) -> bool:
    if att.name in ("RFC822", "RFC822.TEXT"):
        return True
    return att.name in ("BODY[]", "BINARY[]") and not att.peek


async def fetch(s: Session, cmd: Command) -> Result:
    a: FetchArgs = cmd.args
    sel = s.sel
    assert sel is not None
    if a.vanished and (not cmd.uid or not s.qresync):
        return Result("BAD", "VANISHED needs UID FETCH and QRESYNC")
    if a.changed_since is not None or any(x.name == "MODSEQ" for x in a.atts):
        s.enable_condstore()
    uids = sel.uids_of_uidset(a.seqset) if cmd.uid else sel.uids_of_seqs(a.seqset)
    atts = list(a.atts)
    names = {x.name for x in atts}
    if cmd.uid and "UID" not in names:
        atts.insert(0, FetchAtt("UID"))
    if a.changed_since is not None and "MODSEQ" not in names:
        atts.append(FetchAtt("MODSEQ"))
    need_summary = any(x.name in _SUMMARY_ATTS for x in atts)
    need_blob = any(_needs_blob(x) for x in atts)
    # without the 's' right (RFC 4314) on another user's mailbox, \Seen is not set implicitly
    mark_seen = not sel.readonly and sel.may("s") and any(_sets_seen(x) for x in atts)
    if a.vanished and a.changed_since is not None:
        await _vanished(s, a, sel.uid_bounds(a.seqset))
    flags_only = all(x.name in _FLAGS_ONLY_ATTS for x in atts)
    if flags_only:
        batch = max(s.cfg.fetch_batch, FLAGS_BATCH)
    else:
        batch = max(1, s.cfg.fetch_batch if not need_summary else min(s.cfg.fetch_batch, 100))
    ghosts = sel.ghosts
    # RFC 2180 4.1.2: a FETCH by sequence number of a message expunged elsewhere (a ghost, or
    # gone from the metadata already) answers the others, then a tagged NO [EXPUNGEISSUED]
    check_gone = not cmd.uid and a.changed_since is None
    gone = check_gone and bool(ghosts) and any(u in ghosts for u in uids)
    chunks = [
        c
        for c in (
            [u for u in uids[i : i + batch] if u not in ghosts] if ghosts else uids[i : i + batch]
            for i in range(0, len(uids), batch)
        )
        if c
    ]

    def req(chunk: list[int]) -> messages_pb.FetchMessagesRequest:
        return messages_pb.FetchMessagesRequest(
            user_id=sel.owner,
            mailbox_id=sel.mailbox_id,
            uids=ranges(chunk),
            include_summary=need_summary,
            changed_since=a.changed_since or 0,
            flags_only=flags_only,
            columns=flags_only,  # (no UID/FLAGS/MODSEQ item sets \\Seen)
        )

    def request(chunk: list[int]) -> asyncio.Future[messages_pb.FetchMessagesResponse]:
        return asyncio.ensure_future(s.md.messages.FetchMessages(req(chunk)))

    # one batch in flight ahead of the one being written out
    pending = request(chunks[0]) if chunks else None
    for k in range(len(chunks)):
        assert pending is not None
        try:
            resp = await pending
        finally:
            pending = None
        pending = request(chunks[k + 1]) if k + 1 < len(chunks) else None
        try:
            replies = [resp]
            while resp.next_uid:  # the service capped the batch: read the rest of this chunk
                rest = [u for u in chunks[k] if u >= resp.next_uid]
                if not rest:
                    break
                resp = await s.md.messages.FetchMessages(req(rest))
                replies.append(resp)
            if flags_only:
                got = sum(len(r.columns.uids) for r in replies)
                for r in replies:
                    _write_flag_columns(s, [x.name for x in atts], r.columns)
                await s.maybe_flush()
            else:
                metas = [m for r in replies for m in r.messages]
                got = len(metas)
                await _write_batch(s, atts, metas, need_blob, mark_seen)
            gone = gone or (check_gone and got < len(chunks[k]))
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
    if gone:
        return Result("NO", "Some of the requested messages no longer exist", "EXPUNGEISSUED")
    return Result(text="FETCH completed")


async def _write_batch(
    s: Session,
    atts: list[FetchAtt],
    metas: list[messages_pb.MessageMeta],
    need_blob: bool,
    mark_seen: bool,
) -> None:
    sel = s.sel
    assert sel is not None
    seen_changed: set[int] = set()
    if mark_seen:
        unseen = [m.uid for m in metas if "\\Seen" not in m.flags]
        if unseen:
            r = await s.ctx.mail.store_flags(
                sel.owner, sel.mailbox_id, ranges(unseen), messages_pb.StoreFlagsRequest.MODE_ADD, ["\\Seen"]
            )
            upd = {m.uid: m for m in r.updated}
            for m in metas:
                if m.uid in upd:
                    del m.flags[:]
                    m.flags.extend(upd[m.uid].flags)
                    m.modseq = upd[m.uid].modseq
                    seen_changed.add(m.uid)
                    sel.reported[m.uid] = max(sel.reported.get(m.uid, 0), m.modseq)
            s.caught_up(sel.mailbox_id, r.prior_modseq, r.modseq)
    if all(x.name in _SIMPLE_ATTS for x in atts):
        # no await per message: format the whole batch, then flush once
        seq_of = sel.seq_of
        for m in metas:
            seq = seq_of(m.uid)
            if seq is not None:
                items = _render_simple(s, m, atts, m.uid in seen_changed)
                s.send(b"* %d FETCH (" % seq + b" ".join(items) + b")\r\n")
        await s.maybe_flush()
        return
    cache: Cache = await _prefetch(s, metas) if need_blob and len(metas) > 1 else {}
    for m in metas:
        seq = sel.seq_of(m.uid)
        if seq is None:
            continue
        items = await _render(s, m, atts, m.uid in seen_changed, cache)
        s.send(b"* %d FETCH (" % seq + b" ".join(items) + b")\r\n")
        await s.maybe_flush()


async def _vanished(s: Session, a: FetchArgs, bounds: list[tuple[int, int]]) -> None:
    sel = s.sel
    assert sel is not None and a.changed_since is not None
    resp = await all_changes(s.md, sel.owner, sel.mailbox_id, a.changed_since)
    gone = [u for u in resp.expunged if not sel.contains(u) and any(lo <= u <= hi for lo, hi in bounds)]
    if gone:
        s.untagged(f"VANISHED (EARLIER) {compress(gone)}")


_COLUMN_ITEM = {"UID": b"UID %d", "FLAGS": b"%s", "MODSEQ": b"MODSEQ (%d)"}


def _write_flag_columns(s: Session, names: list[str], cols: messages_pb.FlagColumns) -> None:
    """FETCH of UID/FLAGS/MODSEQ from the service's columns (the hot path of `FETCH 1:* (FLAGS)`),
    column by column: sequence numbers from the view (a slice when the UIDs are a run of it, as
    for 1:*), each flag list formatted once (and once with \\Recent), one format per line."""
    sel = s.sel
    assert sel is not None
    uids, modseqs, sets = list(cols.uids), list(cols.modseqs), list(cols.flag_set)
    if not uids:
        return
    view = sel.uids
    first = bisect.bisect_left(view, uids[0])
    if view[first : first + len(uids)] == uids:
        seqs: Iterable[int] = range(first + 1, first + 1 + len(uids))
    else:  # messages expunged here meanwhile (not in the view): skipped, the others numbered
        held = sel.known(uids)
        if len(held) != len(uids):
            keep = set(held)
            rows = [(u, m, x) for u, m, x in zip(uids, modseqs, sets, strict=True) if u in keep]
            uids, modseqs, sets = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        seqs = sel.seqs_of(uids)
    if s.condstore and "FLAGS" in names and "MODSEQ" not in names:
        names = [*names, "MODSEQ"]
    columns: dict[str, Iterable[Any]] = {"UID": uids, "MODSEQ": modseqs}
    if "FLAGS" in names:
        lists = [list(fs.flags) for fs in cols.sets]
        for flags in lists:  # new keywords are announced before the first line that has them
            s.announce_keywords(flags)
        plain = [b"FLAGS (" + " ".join(f).encode() + b")" for f in lists]
        recent = sel.recent if not s.rev2 else set()
        if recent:
            marked = [b"FLAGS (" + " ".join([*f, "\\Recent"]).encode() + b")" for f in lists]
            columns["FLAGS"] = [marked[x] if u in recent else plain[x] for u, x in zip(uids, sets, strict=True)]
        else:
            columns["FLAGS"] = [plain[x] for x in sets]
    line = b"* %d FETCH (" + b" ".join(_COLUMN_ITEM[n] for n in names) + b")\r\n"
    s.send(b"".join([line % row for row in zip(seqs, *(columns[n] for n in names), strict=True)]))


def _simple_item(s: Session, m: messages_pb.MessageMeta, n: str) -> bytes:
    """One attribute of _SIMPLE_ATTS: needs neither the summary nor the blob."""
    if n == "UID":
        return b"UID %d" % m.uid
    if n == "FLAGS":
        return b"FLAGS (" + " ".join(s.visible_flags(m.uid, list(m.flags))).encode() + b")"
    if n == "MODSEQ":
        return b"MODSEQ (%d)" % m.modseq
    if n == "INTERNALDATE":
        return b"INTERNALDATE " + internal_date(m.internal_date).encode()
    if n == "RFC822.SIZE":
        return b"RFC822.SIZE %d" % m.size
    if n == "SAVEDATE":  # RFC 8514 4.1; a message stored before save dates: its internal date
        return b"SAVEDATE " + internal_date(m.save_date or m.internal_date).encode()
    if n == "EMAILID" and m.email_id:  # RFC 8474 5.1: parenthesised objectid
        return b"EMAILID (" + m.email_id.encode() + b")"
    if n == "THREADID" and m.thread_id:  # RFC 8474 5.2
        return b"THREADID (" + m.thread_id.encode() + b")"
    return n.encode() + b" NIL"  # EMAILID/THREADID of a message stored before ids


def _implied(s: Session, m: messages_pb.MessageMeta, atts: list[FetchAtt], seen_changed: bool) -> list[bytes]:
    """FLAGS after an implicit \\Seen, and MODSEQ with FLAGS once CONDSTORE is on (RFC 7162 3.2.4)."""
    has_flags = any(a.name == "FLAGS" for a in atts)
    out = [_simple_item(s, m, "FLAGS")] if seen_changed and not has_flags else []
    if s.condstore and (seen_changed or has_flags) and not any(a.name == "MODSEQ" for a in atts):
        out.append(_simple_item(s, m, "MODSEQ"))
    return out


def _render_simple(s: Session, m: messages_pb.MessageMeta, atts: list[FetchAtt], seen_changed: bool) -> list[bytes]:
    """_render for attributes that need neither the summary nor the blob (see _SIMPLE_ATTS)."""
    return [_simple_item(s, m, a.name) for a in atts] + _implied(s, m, atts, seen_changed)


async def _render(
    s: Session, m: messages_pb.MessageMeta, atts: list[FetchAtt], seen_changed: bool, cache: Cache
) -> list[bytes]:
    out: list[bytes] = []
    for att in atts:
        n = att.name
        if n in _SIMPLE_ATTS:
            out.append(_simple_item(s, m, n))
        elif n == "ENVELOPE":
            out.append(b"ENVELOPE " + bodystructure.stored_envelope(m.summary))
        elif n == "BODYSTRUCTURE":
            out.append(b"BODYSTRUCTURE " + bodystructure.stored_bodystructure(m.summary))
        elif n == "BODY":
            out.append(b"BODY " + bodystructure.body(m.summary.body, False))
        elif n == "RFC822":
            out.append(b"RFC822 " + wire.literal(await _section_bytes(s, m, sections.Section(), cache)))
        elif n == "RFC822.HEADER":
            out.append(
                b"RFC822.HEADER " + wire.literal(await _section_bytes(s, m, sections.Section(kind="HEADER"), cache))
            )
        elif n == "RFC822.TEXT":
            out.append(b"RFC822.TEXT " + wire.literal(await _section_bytes(s, m, sections.Section(kind="TEXT"), cache)))
        elif n == "BODY[]":
            out.append(await _body_section(s, m, att, cache))
        elif n == "BINARY[]":
            out.append(await _binary(s, m, att, size_only=False, cache=cache))
        elif n == "BINARY.SIZE":
            out.append(await _binary(s, m, att, size_only=True, cache=cache))
        elif n == "PREVIEW":
            out.append(await _preview(s, m, att))
    return out + _implied(s, m, atts, seen_changed)


async def _preview(s: Session, m: messages_pb.MessageMeta, att: FetchAtt) -> bytes:
    """RFC 8970: the preview made at ingest; for a message stored before previews, made now
    from at most mime.PREVIEW_SOURCE_BYTES of its first text part (one ranged blob read), or
    NIL when the client said LAZY (it may ask again without)."""
    if m.summary.HasField("preview"):
        return b"PREVIEW " + wire.string(m.summary.preview)
    if att.lazy:
        return b"PREVIEW NIL"
    part = mime.preview_part(m.summary.body)
    text = ""
    if part is not None and part.end_offset > part.body_offset:
        length = min(part.end_offset - part.body_offset, mime.PREVIEW_SOURCE_BYTES)
        text = mime.preview_text(await s.ctx.blobs.get(m.blob_id, part.body_offset, length), part)
    return b"PREVIEW " + wire.string(text)


async def _read(
    s: Session, m: messages_pb.MessageMeta, src: sections.Source, partial: tuple[int, int] | None, cache: Cache
) -> bytes | None:
    if src.nil:
        return None
    if src.data is not None:
        data = src.data
        if partial:
            data = data[partial[0] : partial[0] + partial[1]]
        return data
    start, end = src.start, max(src.start, src.end)
    if partial:
        start = min(end, start + partial[0])
        end = min(end, start + partial[1])
    if end <= start:
        return b""
    whole = cache.get(m.blob_id)
    if whole is not None:
        return whole[start:end]
    return await s.ctx.blobs.get(m.blob_id, start, end - start)


async def _section_bytes(s: Session, m: messages_pb.MessageMeta, sec: sections.Section, cache: Cache) -> bytes:
    src = sections.locate(m.summary, m.size, sec)
    data = await _read(s, m, src, None, cache)
    return sections.apply_filter(sec, data or b"")


async def _body_section(s: Session, m: messages_pb.MessageMeta, att: FetchAtt, cache: Cache) -> bytes:
    sec = att.section or sections.Section()
    name = b"BODY[" + sec.render().encode() + b"]"
    src = sections.locate(m.summary, m.size, sec)
    if sec.kind.startswith("HEADER.FIELDS"):
        data = await _read(s, m, src, None, cache)
        if data is not None:
            data = sections.apply_filter(sec, data)
            if att.partial:
                data = data[att.partial[0] : att.partial[0] + att.partial[1]]
    else:
        data = await _read(s, m, src, att.partial, cache)
    if att.partial:
        name += b"<%d>" % att.partial[0]
    if data is None:
        return name + b" NIL"
    return name + b" " + wire.literal(data)


async def _binary(s: Session, m: messages_pb.MessageMeta, att: FetchAtt, size_only: bool, cache: Cache) -> bytes:
    sec = att.section or sections.Section()
    label = ("BINARY.SIZE[" if size_only else "BINARY[") + sec.render() + "]"
    if not sec.part:
        data = await _read(s, m, sections.Source(start=0, end=m.size), None, cache) or b""
    else:
        part = sections.binary_part(m.summary, sec)
        if part is None:
            return label.encode() + b" NIL"
        # a composite part (message/rfc822, multipart) has an identity encoding (RFC 2045
        # 6.4): its decoded content is its body as it stands (RFC 3516 4.2)
        raw = await _read(s, m, sections.Source(start=part.body_offset, end=part.end_offset), None, cache) or b""
        try:
            data = sections.decode_binary(raw, part.encoding)
        except sections.UnknownCteError:
            raise no("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE") from None
    if size_only:
        return label.encode() + b" %d" % len(data)
    if att.partial:
        data = data[att.partial[0] : att.partial[0] + att.partial[1]]
        label += f"<{att.partial[0]}>"
    lit = wire.literal8(data) if b"\x00" in data else wire.literal(data)
    return label.encode() + b" " + lit
