"""status.conditions: the Ready condition with reason, message and transition time."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

MAX_MESSAGE = 1024


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready(
    old_status: Mapping[str, Any] | None, ok: bool, reason: str, message: str, generation: int | None
) -> dict[str, Any]:
    """A status patch with the Ready condition and observedGeneration.

    lastTransitionTime changes only when the condition's status flips.
    """
    status = "True" if ok else "False"
    previous = None
    for c in (old_status or {}).get("conditions") or []:
        if isinstance(c, Mapping) and c.get("type") == "Ready":
            previous = c
    since = previous.get("lastTransitionTime") if previous and previous.get("status") == status else None
    cond: dict[str, Any] = {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "lastTransitionTime": since or now(),
    }
    patch: dict[str, Any] = {"conditions": [cond]}
    if generation is not None:
        cond["observedGeneration"] = generation
        patch["observedGeneration"] = generation
    return patch
