"""What the web front-end keeps per device (DevicesService.state, JSON): policy keys and the
folder hierarchy last sent, so any web pod can answer the device's next request."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


@dataclasses.dataclass
class DeviceState:
    policy_key: int = 0  # acknowledged (final) policy key; 0 = not provisioned
    pending_key: int = 0  # handed out in phase 1, not yet acknowledged
    folder_key: int = 0  # FolderSync SyncKey last handed out
    folders: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # id -> [name, parent, type]
    wipe_sent: bool = False

    def dumps(self) -> bytes:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":")).encode()

    @classmethod
    def loads(cls, raw: bytes) -> DeviceState:
        if not raw:
            return cls()
        data: dict[str, Any] = json.loads(raw)
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
