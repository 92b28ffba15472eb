"""Server metrics of the metadata service (names documented in docs/metrics.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RPC_TOTAL = Counter(
    "kubemail_metadata_rpc_total", "Metadata RPCs answered, by method and status code", ["method", "code"]
)
RPC_DURATION = Histogram(
    "kubemail_metadata_rpc_duration_seconds",
    "Latency of metadata RPCs",
    ["method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REDIS_DURATION = Histogram(
    "kubemail_metadata_redis_op_duration_seconds",
    "Latency of Redis operations (scripts and pipelines) by operation",
    ["op"],
    buckets=(0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
REDIS_ERRORS = Counter("kubemail_metadata_redis_errors_total", "Redis operations that failed, by operation", ["op"])
BLOB_REFS = Counter(
    "kubemail_metadata_blob_ref_changes_total", "Blob reference count changes (incr, decr) applied", ["op"]
)
GC_DELETED = Counter("kubemail_metadata_gc_blobs_deleted_total", "Unreferenced blobs deleted by the blob GC")
GC_RUNS = Counter("kubemail_metadata_gc_runs_total", "Blob GC passes, by result (ok, error)", ["result"])
SWEEP_DELETED = Counter(
    "kubemail_metadata_gc_sweep_blobs_deleted_total", "Blobs no reference count knew of, deleted by the reconcile sweep"
)
SWEEP_RUNS = Counter(
    "kubemail_metadata_gc_sweep_runs_total", "Reconcile sweeps of the blob store, by result (ok, error)", ["result"]
)
GC_INTENTS_RESOLVED = Counter(
    "kubemail_metadata_gc_intents_resolved_total",
    "Users' shares of blob reference intents left open by a crash, resolved by the GC pass: committed "
    "(kept), released (the commit never happened or a retry's did), unknown (older than the idempotency TTL: kept)",
    ["result"],
)
OUTBOUND_DEPTH = Gauge("kubemail_metadata_outbound_queue_messages", "Entries in the outbound queue (leased or not)")
OUTBOUND_OLDEST = Gauge(
    "kubemail_metadata_outbound_oldest_age_seconds", "Age of the oldest entry in the outbound queue (0 = empty)"
)
WATCHERS = Gauge("kubemail_metadata_watch_streams", "Open Watch streams")
