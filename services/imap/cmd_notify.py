"""NOTIFY (RFC 5465): NOTIFY SET [STATUS] event-groups / NOTIFY NONE, and `deliver`, which the
command loop (after every command) and IDLE (on every wake-up) call to send what changed in the
user's other mailboxes: STATUS for MessageNew / MessageExpunge / FlagChange, LIST for
MailboxName (OLDNAME on a rename, \\NonExistent on a delete) and SubscriptionChange. The selected
mailbox keeps its EXISTS / EXPUNGE / FETCH updates: with SELECTED its expunges follow RFC 3501
7.4.1 (not after FETCH / STORE / SEARCH), with SELECTED-DELAYED they wait for NOOP, CHECK, IDLE
or EXPUNGE (RFC 5465 5.2; notify.DELAYED_EXPUNGE). MessageNew with fetch attributes for the
selected mailbox sends a FETCH of them for every new message after its EXISTS (RFC 5465 5.2;
BODY[...] as BODY.PEEK[...]: a notification does not set \\Seen)."""

from __future__ import annotations

import asyncio
import dataclasses

from services.common.listing import all_mailboxes
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.imap import cmd_fetch, names, notify, wire
from services.imap.cursor import ParseError
from services.imap.errors import Result, bad, no
from services.imap.grammar import Command, FetchArgs, FetchAtt, parse_command
from services.imap.grammar_notify import NotifyArgs
from services.imap.session import Session

_STATUS_ITEMS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN")


def _render(s: Session, r: notify.Report, boxes: dict[str, mailboxes_pb.Mailbox]) -> bytes:
    name = wire.string(names.encode(r.name, s.utf8))
    if r.kind == "LIST":
        line = f'LIST ({" ".join(r.attrs)}) "/" '.encode() + name
        if r.old_name:
            line += b' ("OLDNAME" (' + wire.string(names.encode(r.old_name, s.utf8)) + b"))"
        return line
    mb = boxes[r.name]
    vals = [
        f"MESSAGES {mb.messages}",
        f"UIDNEXT {mb.uidnext}",
        f"UIDVALIDITY {mb.uidvalidity}",
        f"UNSEEN {mb.unseen}",
    ]
    if s.condstore:
        vals.append(f"HIGHESTMODSEQ {mb.highest_modseq}")
    return b"STATUS " + name + b" (" + " ".join(vals).encode() + b")"


async def _look(s: Session) -> tuple[notify.Snapshot, dict[str, mailboxes_pb.Mailbox]]:
    resp = await all_mailboxes(s.md, s.user_id)
    return notify.snapshot(list(resp.mailboxes)), {m.name: m for m in resp.mailboxes}


def _send(s: Session, reports: list[notify.Report], boxes: dict[str, mailboxes_pb.Mailbox]) -> None:
    for r in reports:
        if r.kind == "STATUS" and r.name not in boxes:
            continue
        s.untagged(_render(s, r, boxes))


def _fetch_atts(raw: bytes) -> tuple[FetchAtt, ...]:
    """MessageNew's "(fetch-att ...)" through the FETCH grammar; BODY[...] becomes BODY.PEEK."""
    try:
        cmd = parse_command([b"n FETCH 1 " + raw], [])
    except ParseError:
        raise bad("Bad MessageNew fetch attributes") from None
    a: FetchArgs = cmd.args
    if any(x.name in ("RFC822", "RFC822.TEXT") for x in a.atts):
        raise bad("MessageNew cannot ask for RFC822 / RFC822.TEXT (they set \\Seen): use BODY.PEEK")
    return tuple(dataclasses.replace(x, peek=True) if x.section is not None else x for x in a.atts)


async def _message_new(s: Session, atts: tuple[FetchAtt, ...]) -> None:
    """FETCH of the requested attributes for the messages the last syncs announced as new."""
    new, sel = s.notify_new, s.sel
    if not new or sel is None:
        return
    s.notify_new = []
    uids = [u for u in new if sel.contains(u)]
    if uids:
        args = FetchArgs(((min(uids), max(uids)),), atts)
        await cmd_fetch.fetch(s, Command("*", "FETCH", uid=True, args=args))


async def deliver(s: Session, force: bool = False) -> None:
    """Reports changes of the user's mailboxes since the last look, when the change feed woke the
    session (or the poll interval passed, or `force`)."""
    state = s.notify_state
    if state is None:
        return
    if state.fetch_atts:
        await _message_new(s, state.fetch_atts)
    ev = s.notify_changed
    now = asyncio.get_running_loop().time()
    due = now - s.notify_last >= s.cfg.poll_interval
    if not (force or due or ev is None or ev.is_set()):
        return
    if ev is not None:
        ev.clear()
    s.notify_last = now
    snap, boxes = await _look(s)
    reports = notify.diff(state, snap, s.sel.mailbox_id if s.sel is not None and not s.sel.rights else None)
    state.snap = snap
    _send(s, reports, boxes)


async def notify_(s: Session, cmd: Command) -> Result:
    a: NotifyArgs = cmd.args
    if not a.groups:
        s.stop_notify()
        return Result(text="NOTIFY completed")
    problem = notify.check(a.groups)
    if problem:
        raise bad(problem)
    unsupported = {e for g in a.groups for e in g.events} - notify.SUPPORTED
    if unsupported:
        raise no(f"Unsupported event {sorted(unsupported)[0]}", "BADEVENT")
    for g in a.groups:  # every group's MessageNew attributes must parse; the selected one's are sent
        if g.fetch:
            _fetch_atts(g.fetch)
    state = notify.NotifyState.of(a.groups, lambda raw: names.decode(raw, s.utf8))
    if state.fetch:
        state.fetch_atts = _fetch_atts(state.fetch)
    snap, boxes = await _look(s)
    state.snap = snap
    s.start_notify(state)
    if a.status:
        _send(s, notify.status_all(state, snap, s.sel.mailbox_id if s.sel is not None else None), boxes)
    return Result(text="NOTIFY completed")
