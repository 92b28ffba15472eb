"""Ping ([MS-ASCMD] 2.2.1.13): a long poll over the device's folders, woken by the user's change
feed (Changes.Watch through services.common.watch, so a change made on any pod or over IMAP
wakes it) and re-checked on every wake-up against what the device last synced. The feed may
lose events; a check also runs every `recheck` seconds.

Status 1: the heartbeat ran out with no change; 2: changes, with the folders; 3: no folders
given and none remembered; 5: HeartbeatInterval out of bounds (with the bound); 6: too many
folders; 7: a folder is not in the hierarchy (FolderSync first)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

from services.common.watch import WatchHub
from services.web.eas.state import DeviceState
from services.web.eas.store import Store
from services.web.wbxml.codec import Element, el

P = "Ping"
EXPIRED, CHANGES, MISSING, BAD_HEARTBEAT, TOO_MANY, HIERARCHY = 1, 2, 3, 5, 6, 7
PROTOCOL_ERROR = 4
MAX_FOLDERS = 200


@dataclasses.dataclass(frozen=True)
class Bounds:
    min_heartbeat: int = 60
    max_heartbeat: int = 3540
    recheck: float = 30.0


def parse(body: Element | None, state: DeviceState, bounds: Bounds) -> tuple[int, list[str]] | Element:
    """(heartbeat, folder ids) of a Ping, or the answer when it cannot run."""
    if body is not None and (body.ns, body.tag) != (P, "Ping"):
        return el(P, "Ping", el(P, "Status", PROTOCOL_ERROR))
    hb_el = body.find(P, "HeartbeatInterval") if body is not None else None
    folders_el = body.find(P, "Folders") if body is not None else None
    if hb_el is not None:
        if not hb_el.value().isdigit() or len(hb_el.value()) > 6:
            return el(P, "Ping", el(P, "Status", PROTOCOL_ERROR))
        heartbeat = int(hb_el.value())
    else:
        heartbeat = state.ping_heartbeat
    if heartbeat < bounds.min_heartbeat:
        return el(P, "Ping", el(P, "Status", BAD_HEARTBEAT), el(P, "HeartbeatInterval", bounds.min_heartbeat))
    if heartbeat > bounds.max_heartbeat:
        return el(P, "Ping", el(P, "Status", BAD_HEARTBEAT), el(P, "HeartbeatInterval", bounds.max_heartbeat))
    if folders_el is not None:
        ids = [f.find(P, "Id") for f in folders_el.findall(P, "Folder")]
        folders = [i.value() for i in ids if i is not None and i.value()]
    else:
        folders = list(state.ping_folders)
    if not folders:
        return el(P, "Ping", el(P, "Status", MISSING))
    if len(folders) > MAX_FOLDERS:
        return el(P, "Ping", el(P, "Status", TOO_MANY), el(P, "MaxFolders", MAX_FOLDERS))
    return heartbeat, list(dict.fromkeys(folders))


class Pinger:
    def __init__(self, store: Store, hub: WatchHub, bounds: Bounds) -> None:
        self.store = store
        self.hub = hub
        self.bounds = bounds
        self.stopping = False

    def stop(self) -> None:
        """Ends every waiting Ping now with Status 1 (the device pings again, on another pod)."""
        self.stopping = True
        self.hub.wake_all()

    async def _marks(self, user_id: str, folders: list[str]) -> dict[str, tuple[int, int]] | None:
        """folder -> (highest modseq, uidnext) now; None when a folder is gone."""
        out = {}
        for f in folders:
            mbox = await self.store.mailbox(user_id, f)
            if mbox is None:
                return None
            out[f] = (mbox.highest_modseq, mbox.uidnext)
        return out

    async def wait(self, user_id: str, state: DeviceState, heartbeat: int, folders: list[str]) -> Element:
        if any(f not in state.folders for f in folders):
            return el(P, "Ping", el(P, "Status", HIERARCHY))
        # the baseline: what the device last synced, or the state now for a folder never synced
        event = self.hub.subscribe(user_id)
        try:
            now = await self._marks(user_id, folders)
            if now is None:
                return el(P, "Ping", el(P, "Status", HIERARCHY))
            base = {}
            for f in folders:
                col = state.collections.get(f)
                base[f] = (col.current.modseq, col.current.next_uid) if col is not None else now[f]
            deadline = time.monotonic() + heartbeat
            while True:
                changed = [f for f in folders if _newer(now[f], base[f])]
                if changed:
                    found = el(P, "Folders", *(el(P, "Folder", f) for f in changed))
                    return el(P, "Ping", el(P, "Status", CHANGES), found)
                left = deadline - time.monotonic()
                if left <= 0 or self.stopping:
                    return el(P, "Ping", el(P, "Status", EXPIRED))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(left, self.bounds.recheck))
                event.clear()  # before reading: a change during the reads wakes the next wait
                got = await self._marks(user_id, folders)
                if got is None:
                    return el(P, "Ping", el(P, "Status", HIERARCHY))
                now = got
        finally:
            self.hub.unsubscribe(user_id, event)


def _newer(now: tuple[int, int], base: tuple[int, int]) -> bool:
    return now[0] > base[0] or now[1] > base[1]
