"""Argument grammar of NOTIFY (RFC 5465 8); the table that names it is
services.imap.grammar.COMMANDS. Unsupported events are kept (the handler answers [BADEVENT]).
MessageNew's fetch attributes are kept as their raw text; the handler parses them with the
FETCH grammar (services.imap.cmd_notify), which this module cannot import (grammar imports it)."""

from __future__ import annotations

from dataclasses import dataclass

from services.imap.cursor import Cursor, ParseError

MAX_GROUPS = 32
MAX_MAILBOXES = 1000

SELECTED_KINDS = ("SELECTED", "SELECTED-DELAYED")
OTHER_KINDS = ("INBOXES", "PERSONAL", "SUBSCRIBED", "SUBTREE", "MAILBOXES")


@dataclass(frozen=True, slots=True)
class EventGroup:
    kind: str  # one of SELECTED_KINDS + OTHER_KINDS (upper case)
    mailboxes: tuple[bytes, ...] = ()  # SUBTREE / MAILBOXES
    events: tuple[str, ...] = ()  # upper case; () = NONE
    fetch: bytes = b""  # MessageNew's "(fetch-att ...)" as sent, b"" = none


@dataclass(frozen=True, slots=True)
class NotifyArgs:
    groups: tuple[EventGroup, ...] = ()  # () = NOTIFY NONE
    status: bool = False


def _event(c: Cursor, fetch: list[bytes]) -> str:
    name = c.atom_upper()
    if name == "MESSAGENEW" and c.peek() == ord(" ") and c.seg[c.p + 1 : c.p + 2] == b"(":
        c.sp()  # MessageNew (fetch-att ...): the raw text, parsed by the handler
        start = c.p
        depth = 0
        while True:
            b = c.peek()
            if b is None:
                raise ParseError("Unterminated MessageNew attributes")
            c.p += 1
            depth += {ord("("): 1, ord(")"): -1}.get(b, 0)
            if depth == 0:
                break
        fetch.append(c.seg[start : c.p])
    return name


def _group(c: Cursor) -> EventGroup:
    c.char("(")
    kind = c.atom_upper()
    if kind not in SELECTED_KINDS + OTHER_KINDS:
        raise ParseError(f"Unknown NOTIFY filter {kind[:20]}")
    boxes: list[bytes] = []
    if kind in ("SUBTREE", "MAILBOXES"):
        c.sp()
        if c.peek() == ord("("):
            boxes = [b for b in c.paren_list(c.astring, allow_empty=False) if isinstance(b, bytes)]
        else:
            boxes = [c.astring()]
        if len(boxes) > MAX_MAILBOXES:
            raise ParseError("Too many mailboxes")
    c.sp()
    events: list[str] = []
    fetch: list[bytes] = []
    if not c.keyword("NONE"):
        events = [str(e) for e in c.paren_list(lambda: _event(c, fetch), allow_empty=False)]
    c.char(")")
    return EventGroup(kind, tuple(boxes), tuple(events), fetch[-1] if fetch else b"")


def _notify(c: Cursor) -> NotifyArgs:
    c.sp()
    if c.keyword("NONE"):
        return NotifyArgs()
    if not c.keyword("SET"):
        raise ParseError("NOTIFY SET or NOTIFY NONE")
    c.sp()
    status = False
    if c.keyword("STATUS"):
        status = True
        c.sp()
    groups = [_group(c)]
    while c.maybe_sp():
        groups.append(_group(c))
        if len(groups) > MAX_GROUPS:
            raise ParseError("Too many event groups")
    return NotifyArgs(tuple(groups), status)
