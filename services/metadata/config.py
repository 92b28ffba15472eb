"""Settings of the metadata service (KUBEMAIL_REDIS_*, KUBEMAIL_METADATA_*)."""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class MetadataConfig:
    """Settings of `python -m services.metadata`."""

    redis_url: str = setting("KUBEMAIL_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis URL (a seed node for a cluster).")
    redis_cluster: bool = setting("KUBEMAIL_REDIS_CLUSTER", False, "Talk to Redis Cluster instead of one server.")
    redis_timeout: float = setting("KUBEMAIL_REDIS_TIMEOUT", 5.0, "Socket timeout in seconds of one Redis call.")
    redis_pool_size: int = setting("KUBEMAIL_REDIS_POOL_SIZE", 128, "Most Redis connections per process (per node).")
    listen: str = setting(
        "KUBEMAIL_METADATA_LISTEN",
        "[::]:50051",
        "host:port the metadata gRPC server binds; `[::]` = every IPv6 and IPv4 address (dual stack).",
    )
    max_connection_age_seconds: float = setting(
        "KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS",
        300.0,
        "Seconds after which the server asks a client connection to go away (GOAWAY), so clients "
        "resolve DNS again and spread over pods the HPA added; 0 = connections live forever.",
    )
    max_connection_age_grace_seconds: float = setting(
        "KUBEMAIL_METADATA_MAX_CONNECTION_AGE_GRACE_SECONDS",
        30.0,
        "Seconds calls still in flight (e.g. Watch streams) may run on a connection told to go away "
        "before it is closed; the client then reconnects.",
    )
    gc_grace_seconds: int = setting(
        "KUBEMAIL_METADATA_GC_GRACE_SECONDS", 3600, "Seconds a blob stays unreferenced before GC deletes it."
    )
    gc_interval_seconds: int = setting(
        "KUBEMAIL_METADATA_GC_INTERVAL_SECONDS", 300, "Seconds between blob GC passes; 0 = no background GC."
    )
    gc_sweep_interval_seconds: int = setting(
        "KUBEMAIL_METADATA_GC_SWEEP_INTERVAL_SECONDS",
        3600,
        "Seconds between reconcile sweeps, which page through the blob store and delete blobs that no "
        "count references (left by a failed DATA/APPEND) once older than the grace period; 0 = off.",
    )
    gc_sweep_batch: int = setting(
        "KUBEMAIL_METADATA_GC_SWEEP_BATCH",
        1000,
        "Blobs one reconcile sweep looks at (it goes on where the last stopped).",
    )
    auth_cache_ttl_seconds: float = setting(
        "KUBEMAIL_METADATA_AUTH_CACHE_TTL_SECONDS",
        300.0,
        "Seconds a verified password is remembered, so a repeated login skips argon2; keyed by the user's "
        "current password hash (a changed password never matches) and checked for a disabled user or "
        "domain every time; 0 = off.",
    )
    auth_cache_size: int = setting(
        "KUBEMAIL_METADATA_AUTH_CACHE_SIZE",
        100_000,
        "Verified credentials remembered per metadata pod (~150 bytes each); 0 = off.",
    )
    hash_workers: int = setting(
        "KUBEMAIL_METADATA_HASH_WORKERS",
        2,
        "Password hashes (argon2) verified at once; memory is bounded by this times the hash's memory cost.",
    )
    hash_queue_per_source: int = setting(
        "KUBEMAIL_METADATA_HASH_QUEUE_PER_SOURCE",
        4,
        "Logins from one client IP that may wait for a hashing worker (workers go to the IPs in turn); "
        "more are answered as temporarily unavailable at once.",
    )
    hash_queue: int = setting(
        "KUBEMAIL_METADATA_HASH_QUEUE", 64, "Logins from all sources that may wait for a hashing worker."
    )
    max_message_bytes: int = setting(
        "KUBEMAIL_METADATA_MAX_MESSAGE_BYTES", 50 * 1024 * 1024, "Largest message accepted (a domain may set less)."
    )
    max_summary_bytes: int = setting(
        "KUBEMAIL_METADATA_MAX_SUMMARY_BYTES", 4 * 1024 * 1024, "Largest serialized MessageSummary accepted."
    )
    store_imap_renderings: bool = setting(
        "KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS",
        True,
        "Keep the ENVELOPE and BODYSTRUCTURE renderings the front-ends make at ingest in each stored "
        "summary, so IMAP FETCH sends them without rendering (about 2x faster header sync of a mailbox), "
        "at 0.5-1 KB more Redis memory per stored copy (docs/operations.md). Off: they are dropped "
        "before storing and IMAP renders on demand; messages stored meanwhile keep theirs.",
    )
    special_use_mailboxes: tuple[str, ...] = setting(
        "KUBEMAIL_METADATA_SPECIAL_USE_MAILBOXES",
        ["Drafts:\\Drafts", "Sent:\\Sent", "Trash:\\Trash", "Junk:\\Junk", "Archive:\\Archive"],
        "Mailboxes (name:special-use) created with INBOX for every new user.",
    )
    idempotency_ttl_seconds: int = setting(
        "KUBEMAIL_METADATA_IDEMPOTENCY_TTL_SECONDS", 86400, "How long Deliver/Append idempotency keys are remembered."
    )
    expunge_history: int = setting(
        "KUBEMAIL_METADATA_EXPUNGE_HISTORY", 10000, "Expunged UIDs remembered per mailbox for QRESYNC/GetChanges."
    )
    max_uid_ranges: int = setting("KUBEMAIL_METADATA_MAX_UID_RANGES", 10000, "Most UID ranges accepted in one request.")
    fetch_limit: int = setting(
        "KUBEMAIL_METADATA_FETCH_LIMIT", 5000, "Most messages one FetchMessages returns (a request may ask for fewer)."
    )
