"""Who may open a session: one admission rule for every front-end.

A new connection is refused when the pod is draining, when this pod already holds its maximum
of open sessions, when its client IP already holds `max_per_ip` of this pod's sessions (so one
address cannot take every slot; not for KUBEMAIL_AUTH_SHARED_NETWORKS), or when its client IP
opened more than KUBEMAIL_CONN_PER_IP connections within
KUBEMAIL_CONN_WINDOW across every pod and protocol (the metadata service's "conn-ip" limit,
which fails open while the metadata service is unreachable). Each front-end turns the verdict
into its protocol's greeting-time refusal (SMTP 421, IMAP BYE, POP3 -ERR [SYS/TEMP]).
"""

from __future__ import annotations

import enum

from prometheus_client import Counter

from services.common.auth import AuthLimits, connection_allowed
from services.common.grpcclient import MetadataClient

ADMISSIONS = Counter(
    "kubemail_admissions_total",
    "New connections by protocol and admission verdict (admitted, busy, rate_limited)",
    ["protocol", "verdict"],
)


class Verdict(enum.Enum):
    ADMITTED = "admitted"
    BUSY = "busy"  # draining, or this pod's session limit reached
    RATE_LIMITED = "rate_limited"  # too many new (all pods) or open (this pod) connections from the client IP


class Admission:
    def __init__(
        self, client: MetadataClient, limits: AuthLimits, service: str, max_sessions: int, max_per_ip: int = 0
    ) -> None:
        self.client = client
        self.limits = limits
        self.service = service
        self.max_sessions = max_sessions
        self.max_per_ip = max_per_ip  # 0 = no per-IP cap
        self.draining = False
        for verdict in Verdict:
            ADMISSIONS.labels(service, verdict.value)

    async def check(self, open_sessions: int, remote_ip: str, from_ip: int = 0) -> Verdict:
        """`open_sessions` counts the sessions open on this pod, `from_ip` those of `remote_ip`,
        the new one included in both."""
        if self.draining or open_sessions > self.max_sessions:
            verdict = Verdict.BUSY
        elif 0 < self.max_per_ip < from_ip and not self.limits.shared(remote_ip):
            verdict = Verdict.RATE_LIMITED
        else:
            allowed, _ = await connection_allowed(self.client, self.limits, remote_ip, self.service)
            verdict = Verdict.ADMITTED if allowed else Verdict.RATE_LIMITED
        ADMISSIONS.labels(self.service, verdict.value).inc()
        return verdict
