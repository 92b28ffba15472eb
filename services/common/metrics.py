"""Small instrumentation helpers shared by every process.

This module registers no metric: whatever it defined would be exposed by every process that
imports it. Each metric lives with the code that observes it and is documented in
docs/metrics.md (tests/observability keeps the two in step). Labels carry bounded values only:
never addresses, message or user ids, IPs.
"""

from __future__ import annotations

from typing import Any


class Children(dict[Any, Any]):
    """A labelled metric's children by label value (a tuple for several labels), each made with
    .labels() once: hot paths index this instead of calling .labels() on every observation."""

    def __init__(self, metric: Any) -> None:
        super().__init__()
        self.metric = metric

    def __missing__(self, key: Any) -> Any:
        child = self[key] = self.metric.labels(*key) if isinstance(key, tuple) else self.metric.labels(key)
        return child
