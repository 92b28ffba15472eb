"""Operator metrics."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import kopf
from prometheus_client import Counter, Histogram

RECONCILIATIONS = Counter(
    "kubemail_operator_reconciliations_total",
    "Reconciliations of MailDomain/MailUser resources by kind and result",
    ["kind", "result"],
)
DURATION = Histogram(
    "kubemail_operator_reconciliation_duration_seconds",
    "Duration of one reconciliation by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
KINDS = ("MailDomain", "MailUser")
RESULTS = ("success", "temporary_error", "permanent_error", "error")

for _kind in KINDS:
    DURATION.labels(_kind)
    for _result in RESULTS:
        RECONCILIATIONS.labels(_kind, _result)


@contextlib.contextmanager
def observe(kind: str) -> Iterator[None]:
    """Counts one reconciliation of `kind` with its result and records its duration."""
    start = time.perf_counter()
    result: str | None = "success"
    try:
        yield
    except asyncio.CancelledError:
        result = None  # shutdown, not a reconciliation outcome
        raise
    except kopf.TemporaryError:
        result = "temporary_error"
        raise
    except kopf.PermanentError:
        result = "permanent_error"
        raise
    except BaseException:
        result = "error"
        raise
    finally:
        if result is not None:
            RECONCILIATIONS.labels(kind, result).inc()
            DURATION.labels(kind).observe(time.perf_counter() - start)
