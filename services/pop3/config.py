"""POP3 settings (KUBEMAIL_POP3_*); shared settings live in services.common.config.CommonConfig."""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class Pop3Config:
    host: str = setting(
        "KUBEMAIL_POP3_HOST", "::", "Address the POP3 listeners bind; `::` = every IPv6 and IPv4 address (dual stack)."
    )
    port: int = setting("KUBEMAIL_POP3_PORT", 1110, "Plain POP3 port (STLS upgrades); 0 = off. The chart maps 110.")
    tls_port: int = setting(
        "KUBEMAIL_POP3_TLS_PORT", 1995, "Implicit-TLS POP3 port (needs KUBEMAIL_TLS_CERT); 0 = off. The chart maps 995."
    )
    idle_timeout: float = setting(
        "KUBEMAIL_POP3_IDLE_TIMEOUT", 600.0, "Autologout after this many idle seconds (RFC 1939: at least 600)."
    )
    lock_ttl: int = setting(
        "KUBEMAIL_POP3_LOCK_TTL", 60, "TTL in seconds of the maildrop lock; refreshed every third of it."
    )
    max_connections: int = setting("KUBEMAIL_POP3_MAX_CONNECTIONS", 2000, "Concurrent connections per pod.")
    max_bad_commands: int = setting(
        "KUBEMAIL_POP3_MAX_BAD_COMMANDS", 20, "Unknown or malformed commands before the connection is closed."
    )
