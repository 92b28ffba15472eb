"""Relay settings (KUBEMAIL_RELAY_*); the shared ones live in services.common.config.CommonConfig.

Retry defaults follow Postfix (minimal_backoff_time 300 s, maximal_backoff_time 4000 s,
maximal_queue_lifetime 5 d); timeouts follow RFC 5321 4.5.3.2.
"""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class RelayConfig:
    """Settings of the relay (outbound delivery)."""

    helo_name: str = setting(
        "KUBEMAIL_RELAY_HELO_NAME",
        "",
        "Name sent in EHLO/HELO; empty = KUBEMAIL_HOSTNAME. Must resolve to the egress IP.",
    )
    dns_servers: tuple[str, ...] = setting(
        "KUBEMAIL_RELAY_DNS_SERVERS",
        (),
        "Resolvers for MX/A/AAAA/TXT lookups, `host` or `host:port`, comma-separated; empty = /etc/resolv.conf.",
    )
    smtp_port: int = setting(
        "KUBEMAIL_RELAY_SMTP_PORT", 25, "Port of remote MX hosts (25; other values only for tests and labs)."
    )
    ipv6: bool = setting("KUBEMAIL_RELAY_IPV6", True, "Also try the AAAA addresses of MX hosts (IPv4 first).")
    lease_batch: int = setting("KUBEMAIL_RELAY_LEASE_BATCH", 50, "Queue entries leased per Lease call.")
    lease_seconds: int = setting(
        "KUBEMAIL_RELAY_LEASE_SECONDS",
        900,
        "Lease length; a relay killed mid-delivery leaves its entries to other pods after this. Keep it above "
        "the longest attempt (connect + data timeouts).",
    )
    poll_interval: float = setting(
        "KUBEMAIL_RELAY_POLL_INTERVAL", 1.0, "Seconds between Lease calls while the queue has nothing due."
    )
    concurrency: int = setting("KUBEMAIL_RELAY_CONCURRENCY", 50, "Queue entries delivered at once per pod.")
    destination_concurrency: int = setting(
        "KUBEMAIL_RELAY_DESTINATION_CONCURRENCY", 10, "Concurrent SMTP connections per destination domain per pod."
    )
    max_rcpt_per_transaction: int = setting(
        "KUBEMAIL_RELAY_MAX_RCPT", 100, "Recipients per SMTP transaction (RFC 5321 4.5.3.1.8: at least 100)."
    )
    connect_timeout: float = setting(
        "KUBEMAIL_RELAY_CONNECT_TIMEOUT", 30.0, "Seconds to open a TCP connection to one address."
    )
    command_timeout: float = setting(
        "KUBEMAIL_RELAY_COMMAND_TIMEOUT", 300.0, "Seconds to wait for the greeting and for MAIL/RCPT/EHLO replies."
    )
    data_timeout: float = setting(
        "KUBEMAIL_RELAY_DATA_TIMEOUT", 600.0, "Seconds to wait for the reply to the end of DATA (RFC 5321: 10 min)."
    )
    retry_schedule: tuple[str, ...] = setting(
        "KUBEMAIL_RELAY_RETRY_SCHEDULE",
        ("300", "600", "1200", "2400", "4000"),
        "Seconds before retry 1, 2, ...; the last value repeats until KUBEMAIL_RELAY_MAX_LIFETIME.",
    )
    max_lifetime: int = setting(
        "KUBEMAIL_RELAY_MAX_LIFETIME", 5 * 86400, "Seconds after queueing when a message still undelivered bounces."
    )
    delay_warning: int = setting(
        "KUBEMAIL_RELAY_DELAY_WARNING",
        4 * 3600,
        'Seconds after queueing when the sender gets a "delayed" notice (once); 0 = never.',
    )
    tls_ca_file: str = setting(
        "KUBEMAIL_RELAY_TLS_CA_FILE", "", "CA bundle for verifying MX and smarthost certificates; empty = system CAs."
    )
    mta_sts: bool = setting(
        "KUBEMAIL_RELAY_MTA_STS", True, "Honour MTA-STS policies (RFC 8461): enforce = verified TLS or defer."
    )
    mta_sts_port: int = setting(
        "KUBEMAIL_RELAY_MTA_STS_PORT", 443, "HTTPS port of mta-sts.<domain> policy hosts (443; others for tests)."
    )
    smarthost: str = setting(
        "KUBEMAIL_RELAY_SMARTHOST", "", "`host:port` to send all outbound mail through; empty = direct MX delivery."
    )
    smarthost_tls: str = setting(
        "KUBEMAIL_RELAY_SMARTHOST_TLS", "starttls", "`starttls` (required), `implicit` (port 465) or `none`."
    )
    smarthost_username: str = setting("KUBEMAIL_RELAY_SMARTHOST_USERNAME", "", "AUTH user at the smarthost.")
    smarthost_password_file: str = setting(
        "KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE", "", "File holding the smarthost password (a mounted Secret)."
    )
    smarthost_routes_file: str = setting(
        "KUBEMAIL_RELAY_SMARTHOST_ROUTES_FILE",
        "",
        "JSON object: sender domain -> {host, port, tls, username, password_file}; overrides the smarthost "
        "for mail from that domain (`*` = every other domain).",
    )
    dkim_keys_dir: str = setting(
        "KUBEMAIL_RELAY_DKIM_KEYS_DIR",
        "",
        "Directory of DKIM private keys named <selector>._domainkey.<domain>.pem (the operator's Secret); "
        "mail from a domain with a key is signed with each of its selectors.",
    )
    arc_seal: bool = setting(
        "KUBEMAIL_RELAY_ARC_SEAL",
        True,
        "ARC-seal (RFC 8617) what the relay forwards (forwardTo, catch-all and SRS bounces: entries without "
        "an authenticated submitter) with the DKIM key of KUBEMAIL_RELAY_ARC_DOMAIN, carrying the MX's "
        "Authentication-Results, so the next hop can trust checks that forwarding breaks.",
    )
    arc_domain: str = setting(
        "KUBEMAIL_RELAY_ARC_DOMAIN",
        "",
        "Domain whose DKIM key (KUBEMAIL_RELAY_DKIM_KEYS_DIR) seals forwards; empty = KUBEMAIL_SRS_DOMAIN, "
        "else KUBEMAIL_HOSTNAME. No key for it = no seal.",
    )
    authserv_id: str = setting(
        "KUBEMAIL_RELAY_AUTHSERV_ID",
        "",
        "The MX's authserv-id (KUBEMAIL_SMTP_AUTHSERV_ID) whose Authentication-Results the seal carries; "
        "empty = KUBEMAIL_HOSTNAME.",
    )
