"""Sync for the Email class ([MS-ASCMD] 2.2.1.21).

A collection's state (state.Collection) says what the device holds: every message with a UID
below `next_uid`, with flags as of `modseq`. From there one Sync is:

1. the server's changes since `modseq` (Messages.GetChanges): flag changes and expunges of
   UIDs below `next_uid` become Change and Delete;
2. the device's own commands: Read and Flag changes, Deletes (moved to the Deleted Items
   folder, or expunged when DeletesAsMoves is 0 or the folder is Deleted Items itself), with
   conflicts decided by Options/Conflict (1, the default: the server's newer state wins and is
   sent back; 0: the device's change is applied);
3. new messages from `next_uid` on (Messages.FetchMessages, WindowSize of them; MoreAvailable
   when more wait), as Add with the body the device prefers.

The device's own changes are not echoed back: after applying them the changes are read again
from the first read's modseq and the device's own writes left out. A SyncKey the device does
not hold gets Status 3; the previous key is answered again (a retry after a lost response).

Options/FilterType (1 day ... 6 months; 0 = everything) is honoured by the initial sync (SyncKey
0): the collection starts at the first UID received within the window, and later new messages
older than the window are not sent. It is kept with the collection: a later request without it
keeps it, and one with a different FilterType gets Status 3 so that the device starts over
with SyncKey 0, as [MS-ASCMD] has a changed filter begin a new synchronization. Messages that
age out of the window are left on the device (no SoftDelete).

A Sync request with no body, or with no Collections, repeats the collections and options of
the device's last Sync request with their current keys ([MS-ASCMD] 2.2.1.21, "empty Sync
request"); with nothing to repeat it gets Status 13.

A Sync with Wait (minutes) or HeartbeatInterval (seconds) and nothing to report waits for the
change feed like Ping (the Ping bounds apply, Status 14 outside them) and is answered with an
empty response when the time runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from typing import Any

from services.common.mailstore import MailStoreError, new_key
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.web.eas import mailitem
from services.web.eas.ping import Bounds, Pinger
from services.web.eas.state import Collection, DeviceState, Window
from services.web.eas.store import Changes, HistoryLostError, Store
from services.web.wbxml.codec import Element, el

log = logging.getLogger("kubemail.web.eas.sync")

S, E = "AirSync", "Email"
OK, INVALID_KEY, PROTOCOL_ERROR, SERVER_ERROR, CONVERSION, CONFLICT, NOT_FOUND = 1, 3, 4, 5, 6, 7, 8
HIERARCHY_CHANGED, INCOMPLETE, BAD_WAIT = 12, 13, 14
DEFAULT_WINDOW, MAX_WINDOW = 100, 512
MAX_COLLECTIONS = 64
DAY = 86400
# FilterType -> the window's age in seconds ([MS-ASCMD] 2.2.3.68.2)
FILTER_AGES = {1: DAY, 2: 3 * DAY, 3: 7 * DAY, 4: 14 * DAY, 5: 30 * DAY, 6: 91 * DAY, 7: 182 * DAY}


@dataclasses.dataclass
class Command:
    kind: str  # Change, Delete, Fetch, Add
    server_id: str
    read: bool | None = None
    flagged: bool | None = None
    client_id: str = ""


@dataclasses.dataclass
class Request:
    key: str
    collection_id: str
    window: int
    get_changes: bool
    deletes_as_moves: bool
    conflict_server_wins: bool
    prefs: list[mailitem.BodyPreference]
    commands: list[Command]
    filter_type: int | None = None  # None: the request has no FilterType

    def cached(self) -> list[Any]:
        """What an empty Sync request repeats (everything but the key and the commands)."""
        prefs = [[p.type, p.truncation, p.all_or_none] for p in self.prefs]
        ftype = -1 if self.filter_type is None else self.filter_type
        return [self.collection_id, self.window, self.get_changes, self.deletes_as_moves,
                self.conflict_server_wins, prefs, ftype]  # fmt: skip

    @classmethod
    def repeat(cls, raw: list[Any], key: int) -> Request:
        cid, window, gc, dam, csw, prefs, ftype = raw
        bp = [mailitem.BodyPreference(int(t), None if n is None else int(n), bool(a)) for t, n, a in prefs]
        return cls(str(key), str(cid), int(window), bool(gc), bool(dam), bool(csw), bp, [],
                   None if ftype < 0 else int(ftype))  # fmt: skip


def _flag(value: Element) -> bool:
    status = value.find(E, "FlagStatus")
    return status is not None and status.value() == "2"


def _command(c: Element) -> Command:
    sid = c.find(S, "ServerId")
    cmd = Command(c.tag, sid.value() if sid is not None else "")
    cid = c.find(S, "ClientId")
    cmd.client_id = cid.value()[:64] if cid is not None else ""
    data = c.find(S, "ApplicationData")
    if data is not None:
        read = data.find(E, "Read")
        if read is not None:
            cmd.read = read.value() == "1"
        flag = data.find(E, "Flag")
        if flag is not None:
            cmd.flagged = _flag(flag)
    return cmd


def _int(e: Element | None, default: int) -> int:
    return int(e.value()) if e is not None and e.value().isdigit() and len(e.value()) < 10 else default


def _filter_type(options: Element | None) -> int | None:
    f = options.find(S, "FilterType") if options is not None else None
    if f is None:
        return None
    if f.value() not in ("0", *map(str, FILTER_AGES)):
        raise ValueError(f.value()[:10])
    return int(f.value())


def parse(body: Element | None) -> list[Request] | int:
    """The collections of a Sync request, or the Sync Status that answers it."""
    if body is None or (body.ns, body.tag) != (S, "Sync"):
        return INCOMPLETE if body is None else PROTOCOL_ERROR
    cols = body.find(S, "Collections")
    if cols is None or not cols.findall(S, "Collection"):
        return INCOMPLETE
    if len(cols.findall(S, "Collection")) > MAX_COLLECTIONS:
        return PROTOCOL_ERROR
    top_window = _int(body.find(S, "WindowSize"), DEFAULT_WINDOW)
    out = []
    for c in cols.findall(S, "Collection"):
        key, cid = c.find(S, "SyncKey"), c.find(S, "CollectionId")
        if key is None or cid is None or not cid.value():
            return PROTOCOL_ERROR
        options = c.find(S, "Options")
        conflict = options.find(S, "Conflict") if options is not None else None
        dam, gc = c.find(S, "DeletesAsMoves"), c.find(S, "GetChanges")
        commands = c.find(S, "Commands")
        try:
            ftype = _filter_type(options)
        except ValueError:
            return PROTOCOL_ERROR
        out.append(
            Request(
                key=key.value(),
                collection_id=cid.value(),
                window=max(1, min(_int(c.find(S, "WindowSize"), top_window), MAX_WINDOW)),
                get_changes=gc is None or gc.value() != "0",
                deletes_as_moves=dam is None or dam.value() != "0",
                conflict_server_wins=conflict is None or conflict.value() != "0",
                prefs=mailitem.preferences(options),
                commands=[_command(x) for x in commands.children] if commands is not None else [],
                filter_type=ftype,
            )
        )
    return out


def _collection(req: Request, status: int, *rest: Element, key: str | None = None) -> Element:
    return el(S, "Collection", el(S, "SyncKey", key if key is not None else req.key),
              el(S, "CollectionId", req.collection_id), el(S, "Status", status), *rest)  # fmt: skip


def wait_seconds(body: Element | None, bounds: Bounds) -> int | Element:
    """How long a Sync may wait for changes (Wait in minutes or HeartbeatInterval in seconds;
    0 = answer at once), or the Status 14 answer with the bound it broke."""
    if body is None:
        return 0
    wait, hb = body.find(S, "Wait"), body.find(S, "HeartbeatInterval")
    if wait is None and hb is None:
        return 0
    raw = (wait or hb).value()  # type: ignore[union-attr]
    seconds = int(raw) * (60 if wait is not None else 1) if raw.isdigit() and len(raw) < 7 else -1
    if seconds < bounds.min_heartbeat or seconds > bounds.max_heartbeat:
        limit = bounds.min_heartbeat if seconds < bounds.min_heartbeat else bounds.max_heartbeat
        return el(S, "Sync", el(S, "Status", BAD_WAIT), el(S, "Limit", limit // 60 if wait is not None else limit))
    return seconds


def _quiet(c: Element, req: Request) -> bool:
    """The collection's answer has nothing for the device (a Sync that waits may keep waiting)."""
    key = c.find(S, "SyncKey")
    return (
        c.find(S, "Status") is not None
        and c.find(S, "Status").value() == str(OK)  # type: ignore[union-attr]
        and key is not None
        and key.value() == req.key
        and all(c.find(S, t) is None for t in ("Commands", "Responses", "MoreAvailable"))
    )


class Syncer:
    """One Sync request's work for one user (the I/O is in `store`)."""

    def __init__(self, store: Store, user_id: str, state: DeviceState, pinger: Pinger | None = None) -> None:
        self.store = store
        self.user_id = user_id
        self.state = state
        self.pinger = pinger

    async def run(self, body: Element | None) -> Element | None:
        """The Sync response; None (an empty response) when a waiting Sync saw no change."""
        wait = wait_seconds(body, self.pinger.bounds) if self.pinger is not None else 0
        if isinstance(wait, Element):
            return wait
        reqs = parse(body)
        if reqs == INCOMPLETE and (body is None or (body.ns, body.tag) == (S, "Sync")):
            reqs = self._repeat()  # an empty Sync request: the last one again
            wait = wait if body is not None and body.children else self.state.last_sync_wait
        elif not isinstance(reqs, int):
            self.state.last_sync = [r.cached() for r in reqs]
            self.state.last_sync_wait = wait
        if isinstance(reqs, int):
            return el(S, "Sync", el(S, "Status", reqs))
        if any(r.key == "0" or r.commands for r in reqs):
            wait = 0
        deadline = time.monotonic() + wait
        event = self.pinger.hub.subscribe(self.user_id) if wait and self.pinger is not None else None
        try:
            while True:
                if event is not None:
                    event.clear()  # before reading: a change during the reads wakes the next wait
                cols = [await self.collection(r) for r in reqs]
                if not all(_quiet(c, r) for c, r in zip(cols, reqs, strict=True)):
                    return el(S, "Sync", el(S, "Collections", *cols))
                left = deadline - time.monotonic()
                if event is None or self.pinger is None or left <= 0 or self.pinger.stopping:
                    return None if wait else el(S, "Sync", el(S, "Collections", *cols))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(left, self.pinger.bounds.recheck))
        finally:
            if event is not None and self.pinger is not None:
                self.pinger.hub.unsubscribe(self.user_id, event)

    def _repeat(self) -> list[Request] | int:
        reqs = []
        for raw in self.state.last_sync:
            col = self.state.collections.get(str(raw[0]))
            if col is not None:
                reqs.append(Request.repeat(raw, col.current.key))
        return reqs or INCOMPLETE

    async def _floor(self, mailbox_id: str, uidnext: int, filter_type: int) -> int:
        """The first UID received within the FilterType's window (uidnext when none is)."""
        since = int(time.time()) - FILTER_AGES[filter_type]
        resp = await self.store.client.messages.Search(
            messages_pb.SearchRequest(
                user_id=self.user_id, mailbox_id=mailbox_id, key=messages_pb.SearchKey(internal_date_since=since)
            )
        )
        return int(resp.uids[0]) if resp.uids else max(uidnext, 1)

    async def collection(self, req: Request) -> Element:
        mbox = await self.store.mailbox(self.user_id, req.collection_id)
        if mbox is None:
            return _collection(req, HIERARCHY_CHANGED)
        if req.key == "0":
            ftype = req.filter_type or 0
            floor = await self._floor(mbox.id, mbox.uidnext, ftype) if ftype else 1
            col = Collection(mbox.uidvalidity, Window(1, mbox.highest_modseq, floor), filter_type=ftype, floor=floor)
            self.state.collections[req.collection_id] = col
            return _collection(req, OK, key="1")
        col0 = self.state.collections.get(req.collection_id)
        base = col0.window(int(req.key)) if col0 is not None and req.key.isdigit() and len(req.key) < 12 else None
        if col0 is None or base is None or col0.uidvalidity != mbox.uidvalidity:
            log.info("Sync: SyncKey %s of collection %s is not current", req.key[:12], req.collection_id[:40])
            return _collection(req, INVALID_KEY)
        if req.filter_type is not None and req.filter_type != col0.filter_type:
            log.info("Sync: FilterType of collection %s changed: starting over", req.collection_id[:40])
            return _collection(req, INVALID_KEY)
        try:
            return await self._sync(req, col0, base)
        except HistoryLostError:
            del self.state.collections[req.collection_id]
            return _collection(req, INVALID_KEY)

    async def _sync(self, req: Request, col: Collection, base: Window) -> Element:
        mbid = req.collection_id
        server = await self.store.changes(self.user_id, mbid, base.modseq)
        for uid, modseq in base.own.items():  # written by the device itself before
            if modseq == 0:
                server.expunged.discard(uid)
            elif uid in server.changed and server.changed[uid].modseq == modseq:
                del server.changed[uid]
        responses, own_writes, own_deletes, touched = await self._apply(req, base, server)
        if own_writes or own_deletes:
            again = await self.store.changes(self.user_id, mbid, server.highest_modseq)
            for uid, meta in again.changed.items():
                if own_writes.get(uid) != meta.modseq:
                    server.changed[uid] = meta
            server.expunged |= again.expunged - own_deletes
            server.highest_modseq = again.highest_modseq
        commands: list[Element] = []
        more = False
        next_uid = base.next_uid
        if req.get_changes:
            for uid in sorted(server.expunged):
                if col.floor <= uid < base.next_uid and uid not in own_deletes:
                    commands.append(el(S, "Delete", el(S, "ServerId", mailitem.server_id(mbid, uid))))
            for uid, meta in sorted(server.changed.items()):
                if col.floor <= uid < base.next_uid and uid not in server.expunged and uid not in touched:
                    sid = mailitem.server_id(mbid, uid)
                    data = el(S, "ApplicationData", *mailitem.flag_elements(list(meta.flags)))
                    commands.append(el(S, "Change", el(S, "ServerId", sid), data))
            room = max(req.window - len(commands), 0)
            new, more = await self.store.messages(self.user_id, mbid, base.next_uid, max(room, 1))
            if room == 0 and new:
                new, more = [], True
            age = FILTER_AGES.get(col.filter_type)
            since = int(time.time()) - age if age else None
            for meta in new:
                if since is None or meta.internal_date >= since:  # older ones stay out of the window
                    commands.append(await self._add(mbid, meta, req.prefs))
                next_uid = meta.uid + 1
        own: dict[int, int] = {}
        if req.get_changes:
            modseq = server.highest_modseq
        else:  # nothing was sent: the server's changes wait, the device's own are remembered
            modseq = base.modseq
            own = {**base.own, **own_writes, **dict.fromkeys(own_deletes, 0)}
        same = modseq == base.modseq and own == base.own and next_uid == base.next_uid
        if not commands and not responses and base is col.current and same:
            return _collection(req, OK)  # nothing new: the same key stays valid
        win = col.advance(base, modseq, next_uid, own)
        rest: list[Element] = []
        if more:
            rest.append(Element(S, "MoreAvailable"))
        if commands:
            rest.append(el(S, "Commands", *commands))
        if responses:
            rest.append(el(S, "Responses", *responses))
        return _collection(req, OK, *rest, key=str(win.key))

    async def _add(self, mbid: str, meta: messages_pb.MessageMeta, prefs: list[mailitem.BodyPreference]) -> Element:
        data = await self.store.item(mbid, meta, prefs)
        return el(S, "Add", el(S, "ServerId", mailitem.server_id(mbid, meta.uid)), data)

    async def _apply(
        self, req: Request, base: Window, server: Changes
    ) -> tuple[list[Element], dict[int, int], set[int], set[int]]:
        """Applies the device's commands: (Responses entries, uid -> modseq of our flag writes,
        UIDs we removed, UIDs the device changed or removed)."""
        responses: list[Element] = []
        writes: dict[int, int] = {}
        removed: set[int] = set()
        touched: set[int] = set()
        deletes: list[int] = []
        mbid = req.collection_id
        for cmd in req.commands:
            parsed = mailitem.parse_server_id(cmd.server_id, mbid)
            if cmd.kind == "Add":  # new mail is sent with SendMail, not created by Sync
                responses.append(el(S, "Add", el(S, "ClientId", cmd.client_id), el(S, "Status", CONVERSION)))
                continue
            if parsed is None or parsed[1] >= base.next_uid:
                responses.append(el(S, cmd.kind, el(S, "ServerId", cmd.server_id[:200]), el(S, "Status", NOT_FOUND)))
                continue
            uid = parsed[1]
            if cmd.kind == "Delete":
                deletes.append(uid)
                touched.add(uid)
            elif cmd.kind == "Change":
                if uid in server.changed and req.conflict_server_wins:
                    continue  # the server's newer state is sent back as a Change
                touched.add(uid)
                ok = await self._change(mbid, uid, cmd, writes)
                if not ok:
                    responses.append(el(S, "Change", el(S, "ServerId", cmd.server_id), el(S, "Status", NOT_FOUND)))
            elif cmd.kind == "Fetch":
                responses.append(await self._fetch(mbid, uid, cmd.server_id, req.prefs))
        if deletes:
            removed = await self._delete(req, deletes)
            for uid in sorted(set(deletes) - removed):
                sid = mailitem.server_id(mbid, uid)
                responses.append(el(S, "Delete", el(S, "ServerId", sid), el(S, "Status", NOT_FOUND)))
        return responses, writes, removed, touched

    async def _change(self, mbid: str, uid: int, cmd: Command, writes: dict[int, int]) -> bool:
        for flag, on in ((mailitem.SEEN, cmd.read), (mailitem.FLAGGED, cmd.flagged)):
            if on is None:
                continue
            modseq = await self.store.set_flag(self.user_id, mbid, uid, flag, on)
            if modseq is None:
                return False
            writes[uid] = modseq
        return True

    async def _delete(self, req: Request, uids: list[int]) -> set[int]:
        mbid = req.collection_id
        trash = await self.store.special(self.user_id, "\\Trash") if req.deletes_as_moves else None
        if trash is not None and trash.id != mbid:
            ranges = [types_pb.UidRange(lo=u, hi=u) for u in uids]
            try:
                resp = await self.store.mail.move(self.user_id, mbid, ranges, trash.name, new_key("eas-delete"))
            except MailStoreError as exc:
                log.warning("Sync: moving deleted items to %s failed: %s", trash.name, exc)
                return set()
            return set(resp.source_uids)
        return set(await self.store.expunge(self.user_id, mbid, uids))

    async def _fetch(self, mbid: str, uid: int, sid: str, prefs: list[mailitem.BodyPreference]) -> Element:
        meta = await self.store.message(self.user_id, mbid, uid)
        if meta is None:
            return el(S, "Fetch", el(S, "ServerId", sid), el(S, "Status", NOT_FOUND))
        data = await self.store.item(mbid, meta, prefs)
        return el(S, "Fetch", el(S, "ServerId", sid), el(S, "Status", OK), data)
