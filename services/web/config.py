"""Web front-end settings (KUBEMAIL_WEB_*): its listener and what it tells mail clients.

The published names and ports are what clients outside the cluster use (the chart fills them
from the mail Service and its TLS settings), not the pods' own ports.
"""

from __future__ import annotations

import dataclasses

from services.common.config import register, setting


@register
@dataclasses.dataclass(frozen=True)
class WebConfig:
    host: str = setting(
        "KUBEMAIL_WEB_HOST", "::", "Address the HTTP listener binds; `::` = every IPv6 and IPv4 address (dual stack)."
    )
    port: int = setting("KUBEMAIL_WEB_PORT", 8080, "HTTP port (TLS ends at the Ingress); 0 = off.")
    max_body_bytes: int = setting("KUBEMAIL_WEB_MAX_BODY_BYTES", 64 * 1024, "Largest request body accepted (413).")
    mail_host: str = setting(
        "KUBEMAIL_WEB_MAIL_HOST", "", "Host name clients connect to for IMAP/POP3/SMTP; empty = KUBEMAIL_HOSTNAME."
    )
    imaps_port: int = setting("KUBEMAIL_WEB_IMAPS_PORT", 993, "Published IMAP implicit-TLS port; 0 = not offered.")
    imap_port: int = setting("KUBEMAIL_WEB_IMAP_PORT", 143, "Published IMAP STARTTLS port; 0 = not offered.")
    pop3s_port: int = setting("KUBEMAIL_WEB_POP3S_PORT", 995, "Published POP3 implicit-TLS port; 0 = not offered.")
    pop3_port: int = setting("KUBEMAIL_WEB_POP3_PORT", 0, "Published POP3 STARTTLS port; 0 = not offered.")
    submissions_port: int = setting(
        "KUBEMAIL_WEB_SUBMISSIONS_PORT", 465, "Published submission implicit-TLS port; 0 = not offered."
    )
    submission_port: int = setting(
        "KUBEMAIL_WEB_SUBMISSION_PORT", 587, "Published submission STARTTLS port; 0 = not offered."
    )
    public_url: str = setting(
        "KUBEMAIL_WEB_PUBLIC_URL", "", "https:// base URL of this front-end (ActiveSync); empty = https://<mail host>."
    )
    mta_sts_mode: str = setting(
        "KUBEMAIL_WEB_MTA_STS_MODE", "testing", "MTA-STS policy mode served: `enforce`, `testing` or `none`."
    )
    mta_sts_mx: tuple[str, ...] = setting(
        "KUBEMAIL_WEB_MTA_STS_MX", (), "MX patterns of the MTA-STS policy; empty = the mail host."
    )
    mta_sts_max_age: int = setting(
        "KUBEMAIL_WEB_MTA_STS_MAX_AGE", 604800, "max_age of the MTA-STS policy in seconds (RFC 8461: up to a year)."
    )
    eas_require_password: bool = setting(
        "KUBEMAIL_WEB_EAS_REQUIRE_PASSWORD", False, "ActiveSync policy: devices must have a lock-screen password."
    )
    eas_min_password_length: int = setting(
        "KUBEMAIL_WEB_EAS_MIN_PASSWORD_LENGTH", 6, "ActiveSync policy: shortest device password (when required)."
    )
    eas_max_inactivity: int = setting(
        "KUBEMAIL_WEB_EAS_MAX_INACTIVITY_SECONDS", 900, "ActiveSync policy: seconds before the device locks."
    )
    eas_max_message_bytes: int = setting(
        "KUBEMAIL_WEB_EAS_MAX_MESSAGE_BYTES",
        25 * 1024 * 1024,
        "Largest SendMail/SmartReply/SmartForward request (other ActiveSync commands: KUBEMAIL_WEB_MAX_BODY_BYTES).",
    )
    eas_ping_min_heartbeat: int = setting(
        "KUBEMAIL_WEB_EAS_PING_MIN_HEARTBEAT_SECONDS", 60, "Shortest Ping HeartbeatInterval accepted (Status 5 below)."
    )
    eas_ping_max_heartbeat: int = setting(
        "KUBEMAIL_WEB_EAS_PING_MAX_HEARTBEAT_SECONDS",
        3540,
        "Longest Ping HeartbeatInterval accepted (Status 5 above); keep it below the Ingress read timeout.",
    )
    eas_ping_recheck: float = setting(
        "KUBEMAIL_WEB_EAS_PING_RECHECK_SECONDS",
        30.0,
        "A waiting Ping re-reads its folders this often even without a change-feed event (events may be lost).",
    )
    eas_msg_rate_limit: int = setting(
        "KUBEMAIL_WEB_EAS_MSG_RATE_LIMIT",
        300,
        "Messages per user per window sent over ActiveSync, counted with SMTP submission in one bucket "
        "(keep it equal to KUBEMAIL_SMTP_MSG_RATE_LIMIT); SendMail Status 115 past it; 0 = off.",
    )
    eas_msg_rate_window: int = setting(
        "KUBEMAIL_WEB_EAS_MSG_RATE_WINDOW", 3600, "Window of KUBEMAIL_WEB_EAS_MSG_RATE_LIMIT, seconds."
    )
    eas_search_max_results: int = setting(
        "KUBEMAIL_WEB_EAS_SEARCH_MAX_RESULTS",
        100,
        "Most results one ActiveSync Search (mailbox or GAL) or ResolveRecipients answer carries, whatever Range asks.",
    )
    eas_gal_scan_limit: int = setting(
        "KUBEMAIL_WEB_EAS_GAL_SCAN_LIMIT",
        10000,
        "Most directory entries of the user's domain a GAL search or ResolveRecipients looks through (past it: "
        "Search Store Status 12, results so far).",
    )
