"""Mailbox commands: SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB STATUS
GETQUOTA GETQUOTAROOT SETQUOTA (APPEND: services.imap.cmd_append)."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from services.common.grpcclient import reason_of
from services.common.listing import all_changes, all_mailboxes
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.imap import names, shared, wire
from services.imap.errors import Result, bad, no
from services.imap.grammar import AUTH, SELECTED, Command, CreateArgs, ListArgs, RenameArgs, SelectArgs
from services.imap.selected import Selected, compress
from services.imap.session import Session

SPECIAL_USES = ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")
_SPECIAL_BY_UPPER = {u.upper(): u for u in SPECIAL_USES}


def _name(s: Session, raw: bytes) -> str:
    return names.decode(raw, s.utf8)


def _wire_name(s: Session, name: str) -> bytes:
    return wire.string(names.encode(name, s.utf8), s.utf8)


# SELECT / EXAMINE ------------------------------------------------------------------
async def select(s: Session, cmd: Command) -> Result:
    args: SelectArgs = cmd.args
    readonly = cmd.name == "EXAMINE"
    if args.qresync and not s.qresync:
        raise bad("QRESYNC is not enabled")
    if s.sel is not None:
        s.sel = None
        s.state = AUTH
        s.untagged("OK [CLOSED] Previous mailbox closed")
    where = await shared.locate(s, _name(s, args.mailbox))
    uid = where.owner
    req = mailboxes_pb.SelectMailboxRequest(user_id=uid, name=where.name, claim_recent=not readonly)
    view = await s.md.mailboxes.SelectMailbox(req)
    mb = view.mailbox
    rights = ""
    if where.shared:
        rights = (await s.md.mailboxes.MyRights(mailboxes_pb.MyRightsRequest(user_id=uid, mailbox=where.name))).rights
        # RFC 4314 4: without a right to change anything the mailbox is read-only
        readonly = readonly or not any(r in rights for r in "stwe")
    sel = Selected(
        mb.id,
        where.display if where.shared else mb.name,
        readonly,
        mb.uidvalidity,
        mb.uidnext,
        mb.highest_modseq,
        list(view.uids),
        owner=uid,
        rights=rights,
        special_use=mb.special_use,
    )
    sel.recent = set(view.recent)
    attrs = (await _attributes(s, mb) if not where.shared else ["\\HasNoChildren"]) if s.rev2 else []
    if args.condstore or args.qresync:
        s.condstore = True
    # the mailbox's keyword list (RFC 3501 7.1, 7.2.6); `\*` only while new ones fit
    sel.keywords.update(mb.keywords)
    sel.keywords_full = mb.keywords_full
    s.sel = sel
    s.announce_flags(permanent=False)
    s.untagged(f"{sel.exists} EXISTS")
    if not s.rev2:
        s.untagged(f"{len(sel.recent)} RECENT")
        first = sel.seq_of(view.first_unseen) if view.first_unseen else None
        if first:
            s.untagged(f"OK [UNSEEN {first}] First unseen")
    s.untagged(f"OK [UIDVALIDITY {sel.uidvalidity}] UIDs valid")
    s.untagged(f"OK [UIDNEXT {sel.uidnext}] Predicted next UID")
    s.announce_flags(flags=False)
    s.untagged(f"OK [HIGHESTMODSEQ {sel.highest_modseq}] Highest")
    s.untagged(f"OK [MAILBOXID ({mb.id})] Ok")  # RFC 8474 4.2
    if s.rev2:
        # RFC 9051 7.3.1: the mailbox's name with its real attributes
        s.untagged(f'LIST ({" ".join(attrs)}) "/" '.encode() + _wire_name(s, sel.name))
    s.state = SELECTED
    if args.qresync:
        await _qresync(s, sel, args)
    return Result(text=f"{cmd.name} completed", code="READ-ONLY" if readonly else "READ-WRITE")


async def _attributes(s: Session, mb: mailboxes_pb.Mailbox) -> list[str]:
    """Attributes of a LIST response for one existing mailbox: children and special use."""
    resp = await all_mailboxes(s.md, s.user_id)
    prefix = names.normalize(mb.name) + names.DELIM
    children = any(names.normalize(m.name).startswith(prefix) for m in resp.mailboxes)
    attrs = ["\\HasChildren" if children else "\\HasNoChildren"]
    if mb.special_use:
        attrs.append(mb.special_use)
    return attrs


async def _qresync(s: Session, sel: Selected, args: SelectArgs) -> None:
    assert args.qresync is not None
    q = args.qresync
    uidvalidity, modseq, known = q.uidvalidity, q.modseq, q.known_uids
    if uidvalidity != sel.uidvalidity or modseq == 0:
        return
    resp = await all_changes(s.md, sel.owner, sel.mailbox_id, modseq)
    vanished = [u for u in resp.expunged if not sel.contains(u)]
    if known is not None:
        bounds = [(a or 0xFFFFFFFF, b or 0xFFFFFFFF) for a, b in known]
        vanished = [u for u in vanished if any(min(a, b) <= u <= max(a, b) for a, b in bounds)]
    if not resp.expunged_complete and known is not None:
        # history trimmed: report every known UID that is gone
        extra: set[int] = set()
        for a, b in known:
            lo, hi = min(a or 0, b or 0), max(a or 0, b or 0)
            if hi - lo > 100000:
                continue
            extra.update(u for u in range(lo, hi + 1) if not sel.contains(u))
        vanished = sorted(set(vanished) | extra)
    if vanished:
        s.untagged(f"VANISHED (EARLIER) {compress(vanished)}")
    for m in resp.changed:
        seq = sel.seq_of(m.uid)
        if seq is not None:
            sel.reported[m.uid] = m.modseq
            s.send_flags(seq, m.uid, list(m.flags), m.modseq)


# CREATE / DELETE / RENAME / SUBSCRIBE ----------------------------------------------
async def create(s: Session, cmd: Command) -> Result:
    a: CreateArgs = cmd.args
    raw, use = a.mailbox, a.use
    name = _name(s, raw)
    if name.endswith(names.DELIM):
        name = name.rstrip(names.DELIM)
    names.check_new(name)
    shared.check_own(name)
    if name == "INBOX":
        raise no("INBOX always exists", "ALREADYEXISTS")
    special = ""
    if use:
        if len(use) > 1:
            raise no("Only one special use per mailbox", "USEATTR")
        special = _SPECIAL_BY_UPPER.get(use[0].upper(), "")
        if not special:
            raise no("Unsupported special use", "USEATTR")
    for parent in names.parents(name):
        try:
            await s.md.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=s.user_id, name=parent))
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) != er.ERROR_REASON_MAILBOX_EXISTS:
                raise
    made = await s.md.mailboxes.CreateMailbox(
        mailboxes_pb.CreateMailboxRequest(user_id=s.user_id, name=name, special_use=special)
    )
    return Result(text="CREATE completed", code=f"MAILBOXID ({made.mailbox.id})")  # RFC 8474 4.1


async def delete(s: Session, cmd: Command) -> Result:
    name = _name(s, cmd.args)
    if name == "INBOX":
        raise no("INBOX cannot be deleted", "CANNOT")
    await s.md.mailboxes.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=s.user_id, name=name))
    if s.sel is not None and names.normalize(s.sel.name) == names.normalize(name):
        # the session's own mailbox: it becomes unselected, the connection stays (decision 0005)
        s.sel = None
        s.state = AUTH
        return Result(text="DELETE completed, mailbox closed")
    return Result(text="DELETE completed")


async def rename(s: Session, cmd: Command) -> Result:
    a: RenameArgs = cmd.args
    old, new = _name(s, a.old), _name(s, a.new)
    names.check_new(new)
    shared.check_own(new)
    if new == "INBOX":
        raise no("Cannot rename to INBOX", "ALREADYEXISTS")
    for parent in names.parents(new):
        if parent == old or parent.startswith(old + "/"):
            raise no("Cannot rename a mailbox below itself", "CANNOT")
        try:
            await s.md.mailboxes.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=s.user_id, name=parent))
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) != er.ERROR_REASON_MAILBOX_EXISTS:
                raise
    await s.md.mailboxes.RenameMailbox(mailboxes_pb.RenameMailboxRequest(user_id=s.user_id, old_name=old, new_name=new))
    if s.sel is not None and (s.sel.name == old or s.sel.name.startswith(old + "/")) and old != "INBOX":
        s.sel.name = new + s.sel.name[len(old) :]
    return Result(text="RENAME completed")


async def subscribe(s: Session, cmd: Command) -> Result:
    name = _name(s, cmd.args)
    await s.md.mailboxes.SetSubscribed(
        mailboxes_pb.SetSubscribedRequest(user_id=s.user_id, name=name, subscribed=cmd.name == "SUBSCRIBE")
    )
    return Result(text=f"{cmd.name} completed")


# LIST / LSUB -----------------------------------------------------------------------
_STATUS_ITEMS = (
    "MESSAGES",
    "RECENT",
    "UIDNEXT",
    "UIDVALIDITY",
    "UNSEEN",
    "SIZE",
    "HIGHESTMODSEQ",
    "DELETED",
    "APPENDLIMIT",
    "MAILBOXID",
)


def _status_line(s: Session, mb: mailboxes_pb.Mailbox, items: Sequence[str]) -> bytes:
    vals: list[str] = []
    for it in items:
        v = {
            "MESSAGES": mb.messages,
            "RECENT": mb.recent,
            "UIDNEXT": mb.uidnext,
            "UIDVALIDITY": mb.uidvalidity,
            "UNSEEN": mb.unseen,
            "SIZE": mb.size_bytes,
            "HIGHESTMODSEQ": mb.highest_modseq,
            "DELETED": mb.deleted,
            "APPENDLIMIT": s.cfg.append_limit,
            "MAILBOXID": f"({mb.id})",  # RFC 8474 4.3: the mailbox id is its objectid
        }[it]
        vals.append(f"{it} {v}")
    return b"STATUS " + _wire_name(s, mb.name) + b" (" + " ".join(vals).encode() + b")"


def _check_status_items(items: Sequence[str]) -> None:
    for it in items:
        if it not in _STATUS_ITEMS:
            raise bad(f"Unknown STATUS item {it}")


async def list_(s: Session, cmd: Command) -> Result:
    a: ListArgs = cmd.args
    for opt in a.select:
        if opt not in ("SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"):
            raise bad(f"Unknown LIST selection option {opt}")
    if "RECURSIVEMATCH" in a.select and len(set(a.select) - {"REMOTE"}) < 2:
        raise bad("RECURSIVEMATCH needs another selection option")
    for opt in a.ret:
        if opt not in ("SUBSCRIBED", "CHILDREN", "STATUS", "SPECIAL-USE"):
            raise bad(f"Unknown LIST return option {opt}")
    _check_status_items(a.status_items)
    ref = _name(s, a.ref) if a.ref else ""
    pats = [names.pattern_of(ref, names.decode(p, s.utf8) if p else "") for p in a.patterns]
    if not a.lsub and not a.extended and a.patterns == (b"",):
        s.untagged(b'LIST (\\Noselect) "/" ""')
        return Result(text="LIST completed")
    pats = [p for p in pats if p or a.lsub]
    want_sub = a.lsub or "SUBSCRIBED" in a.select or "SUBSCRIBED" in a.ret
    resp = await all_mailboxes(s.md, s.user_id, include_shared=True)
    boxes = {names.normalize(m.name): m for m in resp.mailboxes}
    boxes.update(_shared_boxes(resp.shared))
    subscribed: set[str] = set()
    if want_sub:
        sub = await all_mailboxes(s.md, s.user_id, subscribed_only=True)
        subscribed = {names.normalize(m.name) for m in sub.mailboxes} | {
            names.normalize(n) for n in sub.subscribed_nonexistent
        }
    if a.lsub or "SUBSCRIBED" in a.select:
        pool = set(subscribed)
    else:
        pool = set(boxes)
    implied: set[str] = set()
    for n in list(pool):
        implied.update(p for p in names.parents(n) if p not in pool)
    everything = set(boxes) | set(subscribed)
    has_children = {p for n in everything for p in names.parents(n)}
    verb = "LSUB" if a.lsub else "LIST"
    status_lines = "STATUS" in a.ret
    out: list[tuple[str, list[str], bool]] = []
    for n in sorted(pool | implied, key=lambda x: (x != "INBOX", x)):
        if not any(names.matches(p, n) for p in pats):
            continue
        attrs: list[str] = []
        if n in implied:
            # only when none of its descendants in the pool matched too
            # plain LIST keeps it as \Noselect (RFC 3501 6.3.4: a deleted parent with children)
            if (a.lsub or a.extended) and any(names.matches(p, d) for p in pats for d in pool if d.startswith(n + "/")):
                if "RECURSIVEMATCH" not in a.select:
                    continue
            if a.lsub:
                attrs.append("\\Noselect")
            elif "SUBSCRIBED" in a.select:
                if "RECURSIVEMATCH" not in a.select:
                    continue
                attrs.append("\\NonExistent" if n not in boxes else "")
            else:
                attrs.append("\\NonExistent" if a.extended else "\\Noselect")
        mb = boxes.get(n)
        if mb is None and n not in implied:
            attrs.append("\\Noselect" if a.lsub else "\\NonExistent")
        if not a.lsub:
            attrs.append("\\HasChildren" if n in has_children else "\\HasNoChildren")
            if mb is not None and mb.special_use:
                attrs.append(mb.special_use)
        if "SPECIAL-USE" in a.select and (mb is None or not mb.special_use):
            continue
        if (("SUBSCRIBED" in a.ret) or ("SUBSCRIBED" in a.select)) and n in subscribed and not a.lsub:
            attrs.append("\\Subscribed")
        childinfo = "RECURSIVEMATCH" in a.select and n not in subscribed and n in implied
        out.append((n, [x for x in attrs if x], childinfo))
    for n, attrs, childinfo in out:
        line = f'{verb} ({" ".join(attrs)}) "/" '.encode() + _wire_name(s, n)
        if childinfo:
            line += b' ("CHILDINFO" ("SUBSCRIBED"))'
        s.untagged(line)
        mb = boxes.get(n)
        if status_lines and mb is not None:
            s.untagged(_status_line(s, mb, a.status_items))
    return Result(text=f"{verb} completed")


def _shared_boxes(listed: Sequence[mailboxes_pb.SharedMailbox]) -> dict[str, mailboxes_pb.Mailbox]:
    """Other users' mailboxes the user may see ('l'), under their Other Users names."""
    out: dict[str, mailboxes_pb.Mailbox] = {}
    for sm in listed:
        mb = mailboxes_pb.Mailbox()
        mb.CopyFrom(sm.mailbox)
        mb.name = shared.display(sm.owner_address, sm.mailbox.name)
        mb.special_use = ""
        out[mb.name] = mb
    return out


async def status(s: Session, cmd: Command) -> Result:
    where = await shared.locate(s, _name(s, cmd.args.mailbox))
    _check_status_items(cmd.args.items)
    mb = (await s.md.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=where.owner, name=where.name))).mailbox
    if where.shared:
        mb.name = where.display
    s.untagged(_status_line(s, mb, cmd.args.items))
    return Result(text="STATUS completed")


# QUOTA -----------------------------------------------------------------------------
async def getquotaroot(s: Session, cmd: Command) -> Result:
    name = _name(s, cmd.args)
    await s.md.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=s.user_id, name=name))
    q = await s.md.mailboxes.GetQuota(mailboxes_pb.GetQuotaRequest(user_id=s.user_id))
    if not q.limit_bytes:
        s.untagged(b"QUOTAROOT " + _wire_name(s, name))
        return Result(text="GETQUOTAROOT completed")
    s.untagged(b"QUOTAROOT " + _wire_name(s, name) + b' ""')
    s.untagged(f'QUOTA "" (STORAGE {q.used_bytes // 1024} {q.limit_bytes // 1024})')
    return Result(text="GETQUOTAROOT completed")


async def getquota(s: Session, cmd: Command) -> Result:
    if cmd.args != b"":
        raise no("No such quota root", "NONEXISTENT")
    q = await s.md.mailboxes.GetQuota(mailboxes_pb.GetQuotaRequest(user_id=s.user_id))
    if not q.limit_bytes:
        raise no("No quota on this account", "NONEXISTENT")
    s.untagged(f'QUOTA "" (STORAGE {q.used_bytes // 1024} {q.limit_bytes // 1024})')
    return Result(text="GETQUOTA completed")


async def setquota(s: Session, cmd: Command) -> Result:
    raise no("Quotas are managed by the administrator", "NOPERM")
