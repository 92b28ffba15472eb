"""SMTP settings (KUBEMAIL_SMTP_*); the shared ones live in services.common.config.CommonConfig."""

from __future__ import annotations

import dataclasses

from services.common.config import ConfigError, register, setting
from services.smtp import addresses


@register
@dataclasses.dataclass(frozen=True)
class SmtpConfig:
    """Settings of the SMTP front-end (MX ingress and submission)."""

    host: str = setting(
        "KUBEMAIL_SMTP_HOST", "::", "Address the SMTP listeners bind; `::` = every IPv6 and IPv4 address (dual stack)."
    )
    mx_port: int = setting("KUBEMAIL_SMTP_MX_PORT", 2525, "MX (inbound, no AUTH) listener port; 0 = off.")
    submission_port: int = setting(
        "KUBEMAIL_SMTP_SUBMISSION_PORT", 2587, "Submission listener port (STARTTLS, AUTH required); 0 = off."
    )
    submissions_port: int = setting(
        "KUBEMAIL_SMTP_SUBMISSIONS_PORT", 2465, "Submission with implicit TLS port (needs a certificate); 0 = off."
    )
    max_message_bytes: int = setting(
        "KUBEMAIL_SMTP_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, "Largest accepted message (SIZE), in octets."
    )
    max_recipients: int = setting("KUBEMAIL_SMTP_MAX_RECIPIENTS", 100, "Recipients per transaction (452 4.5.3).")
    timeout: float = setting(
        "KUBEMAIL_SMTP_TIMEOUT", 300.0, "Seconds a client may stay idle between commands (RFC 5321 4.5.3.2)."
    )
    data_timeout: float = setting(
        "KUBEMAIL_SMTP_DATA_TIMEOUT", 600.0, "Seconds a client may take to send one message body (DATA phase)."
    )
    proxy_timeout: float = setting(
        "KUBEMAIL_SMTP_PROXY_TIMEOUT", 5.0, "Seconds to wait for a PROXY header from KUBEMAIL_PROXY_NETWORKS."
    )
    session_timeout: float = setting(
        "KUBEMAIL_SMTP_SESSION_TIMEOUT",
        1800.0,
        "Seconds one session may last in all (421 4.4.2 after the command in progress); 0 = no limit.",
    )
    msg_rate_limit: int = setting(
        "KUBEMAIL_SMTP_MSG_RATE_LIMIT",
        300,
        "Messages per authenticated user per window, from all pods (451 4.7.1); 0 = off.",
    )
    mx_msg_rate_limit: int = setting(
        "KUBEMAIL_SMTP_MX_MSG_RATE_LIMIT",
        1000,
        "Messages per window without AUTH per client address (IPv4 address, IPv6 /64), from all pods "
        "(451 4.7.1); never keyed by the envelope sender, which anyone can forge; trusted and shared "
        "networks are exempt; 0 = off.",
    )
    msg_rate_window: int = setting("KUBEMAIL_SMTP_MSG_RATE_WINDOW", 3600, "Window of the message limits, seconds.")
    postmaster: str = setting(
        "KUBEMAIL_SMTP_POSTMASTER",
        "",
        "Address of a local user that receives mail for `<Postmaster>` and for postmaster@ of every "
        "local domain where no user, alias or catch-all takes it (RFC 5321 4.5.1); empty = such mail "
        "is refused with 550 5.1.1 (and a warning is logged at startup).",
    )
    max_sessions: int = setting(
        "KUBEMAIL_SMTP_MAX_SESSIONS", 1000, "Concurrent sessions per process; more get 421 4.3.2 and are closed."
    )
    max_sessions_per_ip: int = setting(
        "KUBEMAIL_SMTP_MAX_SESSIONS_PER_IP",
        20,
        "Concurrent sessions per process from one client IP (421 4.7.0), so one address cannot take "
        "every session; KUBEMAIL_TRUSTED_NETWORKS and KUBEMAIL_AUTH_SHARED_NETWORKS are exempt; 0 = off.",
    )

    trust: bool = setting(
        "KUBEMAIL_SMTP_TRUST",
        True,
        "Verify SPF, DKIM, DMARC and ARC of MX mail at the end of DATA and record one "
        "Authentication-Results header (issue 15); clients in KUBEMAIL_TRUSTED_NETWORKS are not checked.",
    )
    authserv_id: str = setting(
        "KUBEMAIL_SMTP_AUTHSERV_ID",
        "",
        "authserv-id of the Authentication-Results header (RFC 8601); incoming headers naming it are "
        "removed; empty = KUBEMAIL_HOSTNAME.",
    )
    dns_servers: tuple[str, ...] = setting(
        "KUBEMAIL_SMTP_DNS_SERVERS",
        (),
        "Resolvers for SPF/DKIM/DMARC lookups, `host` or `host:port`, comma-separated; empty = /etc/resolv.conf.",
    )
    dns_timeout: float = setting(
        "KUBEMAIL_SMTP_DNS_TIMEOUT", 5.0, "Seconds one DNS question may take (then temperror, never a reject)."
    )
    trust_timeout: float = setting(
        "KUBEMAIL_SMTP_TRUST_TIMEOUT",
        20.0,
        "Seconds SPF (each identity), DKIM/ARC and DMARC may each take in all; what does not finish is a "
        "temperror (delivered, never refused).",
    )
    dmarc_reject_action: str = setting(
        "KUBEMAIL_SMTP_DMARC_REJECT_ACTION",
        "reject",
        "DMARC fails and the sender domain says p=reject: `reject` (550 5.7.1), `junk` or `deliver`; "
        "MailDomain spec.inbound.dmarcReject overrides it per domain.",
    )
    dmarc_quarantine_action: str = setting(
        "KUBEMAIL_SMTP_DMARC_QUARANTINE_ACTION",
        "junk",
        "DMARC fails and the sender domain says p=quarantine: `junk` (the user's Junk mailbox), `reject` "
        "or `deliver`; MailDomain spec.inbound.dmarcQuarantine overrides it per domain.",
    )
    local_spoof_action: str = setting(
        "KUBEMAIL_SMTP_LOCAL_SPOOF_ACTION",
        "reject",
        "From: names a local domain but neither SPF nor DKIM authenticates it, from outside the trusted "
        "networks: `reject`, `junk` or `deliver`; MailDomain spec.inbound.localSpoof overrides it.",
    )

    rspamd_fail_open: bool = setting(
        "KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN",
        True,
        "When Rspamd (KUBEMAIL_RSPAMD_URL) is down, slow or answers garbage: true = deliver unscanned, "
        "with an `X-Spamd-Result: unscanned` header saying so; false = 451 4.7.1 (the sender retries).",
    )
    spam_action: str = setting(
        "KUBEMAIL_SMTP_SPAM_ACTION",
        "junk",
        "Where Rspamd's `add header` and `rewrite subject` verdicts go: `junk` (the recipients' Junk "
        "mailbox) or `inbox` (only the headers/subject tell). `reject` is always 550, `soft reject` 451.",
    )

    def __post_init__(self) -> None:
        if self.spam_action not in ("junk", "inbox"):
            raise ConfigError(f"KUBEMAIL_SMTP_SPAM_ACTION: {self.spam_action!r} is not junk or inbox")
        for env, value in (
            ("KUBEMAIL_SMTP_DMARC_REJECT_ACTION", self.dmarc_reject_action),
            ("KUBEMAIL_SMTP_DMARC_QUARANTINE_ACTION", self.dmarc_quarantine_action),
            ("KUBEMAIL_SMTP_LOCAL_SPOOF_ACTION", self.local_spoof_action),
        ):
            if value not in ("reject", "junk", "deliver"):
                raise ConfigError(f"{env}: {value!r} is not reject, junk or deliver")
        if self.postmaster:
            checked = addresses.check(self.postmaster)
            if checked.verdict is not addresses.Verdict.OK:
                raise ConfigError(f"KUBEMAIL_SMTP_POSTMASTER: not a mailbox address: {self.postmaster!r}")
            object.__setattr__(self, "postmaster", checked.address)
