"""Shared Prometheus metrics and small instrumentation helpers.

Every metric name is documented in docs/metrics.md (tests/observability keeps the two in
step). Labels carry bounded values only: never addresses, message or user ids, IPs.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge

TLS_CERT_EXPIRY = Gauge(
    "kubemail_tls_certificate_expiry_timestamp_seconds",
    "notAfter of the TLS certificate currently served (unix seconds); 0 when TLS is off",
)
TLS_CERT_RELOADS = Counter(
    "kubemail_tls_certificate_reloads_total",
    "Loads of the TLS certificate files (start and every change), by result",
    ["result"],
)

for _result in ("ok", "error"):
    TLS_CERT_RELOADS.labels(_result)


class Children(dict[Any, Any]):
    """A labelled metric's children by label value (a tuple for several labels), each made with
    .labels() once: hot paths index this instead of calling .labels() on every observation."""

    def __init__(self, metric: Any) -> None:
        super().__init__()
        self.metric = metric

    def __missing__(self, key: Any) -> Any:
        child = self[key] = self.metric.labels(*key) if isinstance(key, tuple) else self.metric.labels(key)
        return child


def certificate_not_after(cert_path: str) -> float:
    """notAfter (unix seconds) of the first certificate in a PEM file."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    not_after: datetime.datetime = cert.not_valid_after_utc
    return not_after.timestamp()


def observe_certificate(cert_path: str) -> None:
    """Sets kubemail_tls_certificate_expiry_timestamp_seconds from a loaded certificate file."""
    try:
        TLS_CERT_EXPIRY.set(certificate_not_after(cert_path))
        TLS_CERT_RELOADS.labels("ok").inc()
    except (OSError, ValueError):
        TLS_CERT_RELOADS.labels("error").inc()
