"""IMAP settings (KUBEMAIL_IMAP_*); shared settings live in services.common.config.CommonConfig."""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class ImapConfig:
    host: str = setting(
        "KUBEMAIL_IMAP_HOST", "::", "Address the IMAP listeners bind; `::` = every IPv6 and IPv4 address (dual stack)."
    )
    port: int = setting("KUBEMAIL_IMAP_PORT", 1143, "Plain IMAP port (STARTTLS upgrades); 0 = off. The chart maps 143.")
    tls_port: int = setting(
        "KUBEMAIL_IMAP_TLS_PORT", 1993, "Implicit-TLS IMAP port (needs KUBEMAIL_TLS_CERT); 0 = off. The chart maps 993."
    )
    append_limit: int = setting(
        "KUBEMAIL_IMAP_APPEND_LIMIT", 50 * 1024 * 1024, "Largest message APPEND accepts, in octets (APPENDLIMIT)."
    )
    max_line: int = setting("KUBEMAIL_IMAP_MAX_LINE", 65536, "Longest command line, in octets.")
    auth_timeout: float = setting(
        "KUBEMAIL_IMAP_PREAUTH_TIMEOUT", 60.0, "Autologout in seconds before a successful login."
    )
    idle_timeout: float = setting(
        "KUBEMAIL_IMAP_IDLE_TIMEOUT", 1800.0, "Autologout in seconds when authenticated (RFC 3501: at least 30 min)."
    )
    keepalive: float = setting(
        "KUBEMAIL_IMAP_KEEPALIVE",
        120.0,
        "Seconds between '* OK Still here' lines during IDLE (also while the metadata service is"
        " unreachable); keep it below the idle timeouts of carrier-grade NATs and load balancers"
        " (often 5-15 min) so an idling connection is not dropped silently.",
    )
    idle_outage_limit: float = setting(
        "KUBEMAIL_IMAP_IDLE_OUTAGE_LIMIT",
        300.0,
        "Seconds an IDLE stays open while the metadata service is unreachable (it resumes, watch"
        " reconnected, when the service is back); then '* BYE' so the client reconnects. 0 = no limit.",
    )
    poll_interval: float = setting(
        "KUBEMAIL_IMAP_POLL_INTERVAL", 10.0, "Seconds between change re-reads of an idle session without events."
    )
    max_connections: int = setting("KUBEMAIL_IMAP_MAX_CONNECTIONS", 5000, "Concurrent connections per pod.")
    max_bad_commands: int = setting(
        "KUBEMAIL_IMAP_MAX_BAD_COMMANDS", 50, "Malformed commands in a row before the connection is closed."
    )
    fetch_batch: int = setting("KUBEMAIL_IMAP_FETCH_BATCH", 500, "Messages per metadata round trip in FETCH.")
    literal_minus: bool = setting(
        "KUBEMAIL_IMAP_LITERAL_MINUS",
        False,
        "Advertise LITERAL- instead of LITERAL+ (RFC 7888): non-synchronising literals of at most 4096 octets.",
    )
