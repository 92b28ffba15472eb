"""Operator settings (KUBEMAIL_OPERATOR_*); the shared ones come from CommonConfig."""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class OperatorConfig:
    namespaces: tuple[str, ...] = setting(
        "KUBEMAIL_OPERATOR_NAMESPACES", [], "Namespaces (or globs) the operator watches; empty = all namespaces."
    )
    peering_name: str = setting(
        "KUBEMAIL_OPERATOR_PEERING_NAME", "kubemail", "kopf peering object shared by the operator replicas."
    )
    standalone: bool = setting(
        "KUBEMAIL_OPERATOR_STANDALONE", False, "Run without peering (a single replica; no kopf peering CRDs)."
    )
    priority: int = setting(
        "KUBEMAIL_OPERATOR_PRIORITY", 0, "Peering priority; 0 = random, so exactly one replica is active."
    )
    resync_seconds: float = setting(
        "KUBEMAIL_OPERATOR_RESYNC_SECONDS", 60.0, "Drift repair: how often every resource is re-applied."
    )
    backoff_max_seconds: float = setting(
        "KUBEMAIL_OPERATOR_BACKOFF_MAX_SECONDS", 120.0, "Longest retry delay while the metadata service is down."
    )
    argon2_time_cost: int = setting("KUBEMAIL_OPERATOR_ARGON2_TIME_COST", 3, "argon2id iterations of password hashes.")
    argon2_memory_kib: int = setting(
        "KUBEMAIL_OPERATOR_ARGON2_MEMORY_KIB",
        65536,
        "argon2id memory cost in KiB of new hashes: every verification of such a hash in the metadata service "
        "takes this much memory, so KUBEMAIL_METADATA_HASH_WORKERS times it must fit the metadata pod's limit "
        "(64 MiB x 2 workers by default; repeated logins hit the auth cache instead).",
    )
    argon2_parallelism: int = setting("KUBEMAIL_OPERATOR_ARGON2_PARALLELISM", 4, "argon2id lanes.")
    dkim_keys_secret: str = setting(
        "KUBEMAIL_OPERATOR_DKIM_KEYS_SECRET",
        "",
        "Secret the operator keeps the private key of every MailDomain's DKIM selector in (keys "
        "<selector>._domainkey.<domain>.pem), mounted by the relay for signing; empty = not kept.",
    )
    dkim_keys_namespace: str = setting(
        "KUBEMAIL_OPERATOR_DKIM_KEYS_NAMESPACE", "", "Namespace of KUBEMAIL_OPERATOR_DKIM_KEYS_SECRET (the release's)."
    )
