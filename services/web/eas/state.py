"""What the web front-end keeps per device (DevicesService.state, JSON): policy keys, the
folder hierarchy last sent and one small record per synced collection, so any web pod can
answer the device's next request. Nothing here grows with the mailbox: a collection's record
is a few numbers (decision 0016)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


@dataclasses.dataclass
class Window:
    """What the device holds of one mailbox after a Sync response: every message with a UID
    below `next_uid`, with flags as of `modseq`."""

    key: int  # the SyncKey this state answers to
    modseq: int
    next_uid: int
    # the device's own writes after `modseq` (uid -> modseq; 0 = it deleted the message), not
    # to be echoed back when the device asked for no server changes (GetChanges 0)
    own: dict[int, int] = dataclasses.field(default_factory=dict)

    def dump(self) -> list[Any]:
        return [self.key, self.modseq, self.next_uid, [[u, m] for u, m in self.own.items()]]

    @classmethod
    def load(cls, raw: list[Any]) -> Window:
        own = {int(u): int(m) for u, m in raw[3]} if len(raw) > 3 else {}
        return cls(int(raw[0]), int(raw[1]), int(raw[2]), own)


@dataclasses.dataclass
class Collection:
    uidvalidity: int
    current: Window
    previous: Window | None = None  # answered again when the device retries a lost response
    filter_type: int = 0  # the Sync FilterType of the initial sync (0 = every message)
    floor: int = 1  # the lowest UID the initial sync could send (with a FilterType: the first in its window)

    def window(self, key: int) -> Window | None:
        if key == self.current.key:
            return self.current
        if self.previous is not None and key == self.previous.key:
            return self.previous
        return None

    def advance(self, base: Window, modseq: int, next_uid: int, own: dict[int, int] | None = None) -> Window:
        """The state after answering a request made with `base`'s key."""
        new = Window(base.key + 1, modseq, next_uid, own or {})
        self.previous, self.current = base, new
        return new

    def dump(self) -> dict[str, Any]:
        return {
            "v": self.uidvalidity,
            "c": self.current.dump(),
            "p": self.previous.dump() if self.previous is not None else None,
            "f": self.filter_type,
            "lo": self.floor,
        }

    @classmethod
    def load(cls, raw: dict[str, Any]) -> Collection:
        prev = raw.get("p")
        return cls(
            int(raw["v"]),
            Window.load(raw["c"]),
            Window.load(prev) if prev else None,
            int(raw.get("f", 0)),
            int(raw.get("lo", 1)),
        )


@dataclasses.dataclass
class DeviceState:
    policy_key: int = 0  # acknowledged (final) policy key; 0 = not provisioned
    pending_key: int = 0  # handed out in phase 1, not yet acknowledged
    folder_key: int = 0  # FolderSync SyncKey last handed out
    folders: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # id -> [name, parent, type]
    wipe_sent: bool = False
    collections: dict[str, Collection] = dataclasses.field(default_factory=dict)  # mailbox id -> sync state
    ping_folders: list[str] = dataclasses.field(default_factory=list)  # the last Ping's folders
    ping_heartbeat: int = 0
    # the last Sync request with collections, without its commands and keys (an empty Sync
    # request repeats it, [MS-ASCMD] 2.2.1.21): services.web.eas.sync.Request.cached()
    last_sync: list[list[Any]] = dataclasses.field(default_factory=list)
    last_sync_wait: int = 0

    def dumps(self) -> bytes:
        data = dataclasses.asdict(self)
        data["collections"] = {k: c.dump() for k, c in self.collections.items()}
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def loads(cls, raw: bytes) -> DeviceState:
        if not raw:
            return cls()
        data: dict[str, Any] = json.loads(raw)
        known = {f.name for f in dataclasses.fields(cls)}
        state = cls(**{k: v for k, v in data.items() if k in known and k != "collections"})
        state.collections = {k: Collection.load(v) for k, v in data.get("collections", {}).items()}
        return state
