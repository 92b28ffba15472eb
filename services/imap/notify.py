"""NOTIFY (RFC 5465) state of a session and the sans-I/O part: which mailboxes an event group
covers, and the untagged responses that tell a client how its mailboxes changed between two
snapshots of the mailbox list. A wake-up from the change feed (services.common.watch) or the poll
tick takes a new snapshot and reports the difference, so a lost notification only delays a
report, never loses it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.imap import names
from services.imap.grammar_notify import SELECTED_KINDS, EventGroup

MESSAGE_EVENTS = frozenset({"MESSAGENEW", "MESSAGEEXPUNGE", "FLAGCHANGE"})
MAILBOX_EVENTS = frozenset({"MAILBOXNAME", "SUBSCRIPTIONCHANGE"})
SUPPORTED = MESSAGE_EVENTS | MAILBOX_EVENTS
# SELECTED-DELAYED (RFC 5465 5.2) holds the selected mailbox's expunges "until the client issues a
# command that allows returning information about expunged messages, e.g. NOOP or IDLE": the
# commands whose purpose is to learn of changes (and EXPUNGE, which reports expunges anyway).
# Without it (SELECTED) they follow RFC 3501 7.4.1 (any command but FETCH / STORE / SEARCH).
DELAYED_EXPUNGE = frozenset({"NOOP", "CHECK", "IDLE", "EXPUNGE"})


@dataclass(frozen=True, slots=True)
class Box:
    """What NOTIFY compares of one mailbox."""

    name: str
    messages: int
    uidnext: int
    uidvalidity: int
    unseen: int
    modseq: int
    subscribed: bool

    @classmethod
    def of(cls, mb: mailboxes_pb.Mailbox) -> Box:
        return cls(mb.name, mb.messages, mb.uidnext, mb.uidvalidity, mb.unseen, mb.highest_modseq, mb.subscribed)


Snapshot = dict[str, Box]  # mailbox id -> Box


def snapshot(mailboxes: list[mailboxes_pb.Mailbox]) -> Snapshot:
    return {mb.id: Box.of(mb) for mb in mailboxes}


@dataclass
class Filter:
    kind: str
    names: tuple[str, ...]  # SUBTREE / MAILBOXES, normalized
    events: frozenset[str]

    def covers(self, name: str, subscribed: bool) -> bool:
        if self.kind == "PERSONAL":
            return True
        if self.kind == "INBOXES":  # where new mail is delivered: INBOX (no delivery rules)
            return name == "INBOX"
        if self.kind == "SUBSCRIBED":
            return subscribed
        if self.kind == "MAILBOXES":
            return name in self.names
        if self.kind == "SUBTREE":
            return any(name == n or name.startswith(n + names.DELIM) for n in self.names)
        return False


def check(groups: tuple[EventGroup, ...]) -> str | None:
    """The BAD text for an event set RFC 5465 forbids, or None. Unsupported events are the
    handler's [BADEVENT], not checked here."""
    for g in groups:
        ev = set(g.events)
        if ("MESSAGENEW" in ev) != ("MESSAGEEXPUNGE" in ev):
            return "MessageNew and MessageExpunge go together"
        if "FLAGCHANGE" in ev and "MESSAGENEW" not in ev:
            return "FlagChange needs MessageNew and MessageExpunge"
        if g.kind in SELECTED_KINDS and ev & MAILBOX_EVENTS:
            return "Mailbox events cannot be asked for the selected mailbox"
    kinds = [g.kind for g in groups if g.kind in SELECTED_KINDS]
    if len(kinds) > 1:
        return "Only one of SELECTED and SELECTED-DELAYED"
    return None


@dataclass
class NotifyState:
    filters: list[Filter]
    selected: frozenset[str] | None  # events for the selected mailbox; None = no SELECTED filter
    snap: Snapshot = field(default_factory=dict)
    # SELECTED-DELAYED (RFC 5465 5.2): the selected mailbox's expunges wait for DELAYED_EXPUNGE
    delayed: bool = False
    # MessageNew's fetch attributes for the selected mailbox (raw "(...)"; b"" = EXISTS only)
    fetch: bytes = b""
    fetch_atts: tuple[Any, ...] = ()  # the same, parsed (grammar.FetchAtt) by the handler

    @classmethod
    def of(cls, groups: tuple[EventGroup, ...], decode: Callable[[bytes], str]) -> NotifyState:
        filters: list[Filter] = []
        selected: frozenset[str] | None = None
        delayed, fetch = False, b""
        for g in groups:
            if g.kind in SELECTED_KINDS:
                selected = frozenset(g.events)
                delayed, fetch = g.kind == "SELECTED-DELAYED", g.fetch
            else:
                boxes = tuple(names.normalize(decode(b)) for b in g.mailboxes)
                filters.append(Filter(g.kind, boxes, frozenset(g.events)))
        return cls(filters, selected, delayed=delayed, fetch=fetch)

    def allows_expunge(self, command: str) -> bool:
        """Whether the selected mailbox's expunges may be reported after `command` (upper case):
        with SELECTED-DELAYED only after the commands of DELAYED_EXPUNGE."""
        return not self.delayed or command in DELAYED_EXPUNGE

    def events_for(self, name: str, subscribed: bool) -> frozenset[str]:
        """The events asked for a mailbox: the first filter that covers it decides (RFC 5465 6)."""
        for f in self.filters:
            if f.covers(name, subscribed):
                return f.events
        return frozenset()


@dataclass(frozen=True, slots=True)
class Report:
    """One untagged response to send: STATUS of a mailbox, or LIST for a name or subscription change."""

    kind: str  # STATUS or LIST
    name: str
    attrs: tuple[str, ...] = ()
    old_name: str = ""


def diff(state: NotifyState, new: Snapshot, selected_id: str | None) -> list[Report]:
    """What changed from state.snap to `new`, as far as the event groups ask (the selected
    mailbox is reported by the usual EXISTS / EXPUNGE / FETCH, never by STATUS)."""
    out: list[Report] = []
    old = state.snap
    for mbid, box in new.items():
        before = old.get(mbid)
        events = state.events_for(box.name, box.subscribed)
        if before is not None and before.name != box.name:
            ev_old = state.events_for(before.name, before.subscribed)
            if "MAILBOXNAME" in events | ev_old:
                out.append(Report("LIST", box.name, old_name=before.name))
        elif before is None and "MAILBOXNAME" in events:
            out.append(Report("LIST", box.name))
        if before is not None and before.subscribed != box.subscribed and "SUBSCRIPTIONCHANGE" in events:
            out.append(Report("LIST", box.name, ("\\Subscribed",) if box.subscribed else ()))
        if mbid == selected_id or before is None:
            continue
        counted = (before.messages, before.uidnext, before.uidvalidity) != (box.messages, box.uidnext, box.uidvalidity)
        flagged = before.modseq != box.modseq or before.unseen != box.unseen
        if (counted and "MESSAGENEW" in events) or (flagged and "FLAGCHANGE" in events):
            out.append(Report("STATUS", box.name))
    for mbid, before in old.items():
        if mbid not in new and "MAILBOXNAME" in state.events_for(before.name, before.subscribed):
            out.append(Report("LIST", before.name, ("\\NonExistent",)))
    return out


def status_all(state: NotifyState, new: Snapshot, selected_id: str | None) -> list[Report]:
    """NOTIFY SET STATUS: a STATUS of every mailbox a message event is asked for."""
    return [
        Report("STATUS", box.name)
        for mbid, box in sorted(new.items(), key=lambda kv: kv[1].name)
        if mbid != selected_id and state.events_for(box.name, box.subscribed) & MESSAGE_EVENTS
    ]
