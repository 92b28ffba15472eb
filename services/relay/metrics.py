"""Relay metrics (kubemail_relay_*); every label takes a bounded set of values. Queue depth and
age come from the metadata service (kubemail_metadata_outbound_*) and, per relay pod, from
Stats (kubemail_relay_queue_*)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter(
    "kubemail_relay_deliveries_total",
    "Recipient outcomes of delivery attempts: delivered, deferred, bounced (5xx, no route, expired)",
    ["result"],
)
ATTEMPT_SECONDS = Histogram(
    "kubemail_relay_attempt_duration_seconds",
    "One SMTP transaction to one destination, connect to last reply",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TLS = Counter(
    "kubemail_relay_tls_total",
    "Transactions by TLS outcome: verified, opportunistic, none (peer offered no STARTTLS), failed",
    ["result"],
)
MTA_STS = Counter(
    "kubemail_relay_mta_sts_total",
    "Destinations by MTA-STS outcome: none (no policy), enforce, testing, mismatch (enforce: deferred)",
    ["result"],
)
DSNS = Counter("kubemail_relay_dsn_total", "Delivery status notifications generated, by action", ["action"])
INFLIGHT = Gauge("kubemail_relay_inflight_entries", "Queue entries this pod is delivering now")
QUEUE_DEPTH = Gauge("kubemail_relay_queue_messages", "Entries in the outbound queue (Stats, as this pod sees it)")
QUEUE_DUE = Gauge("kubemail_relay_queue_due_messages", "Entries due for delivery now (Stats)")
QUEUE_OLDEST = Gauge("kubemail_relay_queue_oldest_age_seconds", "Age of the oldest queue entry (Stats)")
LEASE_ERRORS = Counter("kubemail_relay_lease_errors_total", "Failed Lease/Complete/Defer/Bounce calls", ["call"])

RESULTS = ("delivered", "deferred", "bounced")
for _r in RESULTS:
    DELIVERIES.labels(_r)
for _r in ("verified", "opportunistic", "none", "failed"):
    TLS.labels(_r)
for _r in ("none", "enforce", "testing", "mismatch"):
    MTA_STS.labels(_r)
for _r in ("failed", "delayed", "relayed"):
    DSNS.labels(_r)
for _r in ("lease", "complete", "defer", "bounce", "stats"):
    LEASE_ERRORS.labels(_r)
