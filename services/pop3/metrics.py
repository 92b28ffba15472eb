"""POP3 metrics (kubemail_pop3_*). Labels carry bounded values only."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.pop3.protocol import COMMANDS

CONNECTIONS = Gauge("kubemail_pop3_connections", "Open POP3 connections")
CONNECTIONS_TOTAL = Counter(
    "kubemail_pop3_connections_accepted_total", "POP3 connections accepted, by listener (plain, tls)", ["listener"]
)
COMMANDS_TOTAL = Counter(
    "kubemail_pop3_commands_total", "POP3 commands by command and result (ok, err)", ["command", "result"]
)
COMMAND_DURATION = Histogram(
    "kubemail_pop3_command_duration_seconds",
    "Time to answer a POP3 command (RETR/TOP include streaming the message)",
    ["command"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BYTES_SENT = Counter("kubemail_pop3_bytes_sent_total", "Octets sent to POP3 clients")
MAILDROP_OPEN = Counter(
    "kubemail_pop3_maildrop_open_total",
    "Maildrop opens after a successful login, by result (ok, in_use, unavailable)",
    ["result"],
)
MESSAGES_RETRIEVED = Counter("kubemail_pop3_messages_retrieved_total", "Messages sent by RETR")
MESSAGES_DELETED = Counter("kubemail_pop3_messages_deleted_total", "Messages expunged at QUIT (UPDATE state)")
SESSIONS_ENDED = Counter(
    "kubemail_pop3_sessions_ended_total",
    "POP3 sessions ended, by reason (quit, update_failed, disconnect, timeout, protocol_error, shutdown, blob_error)",
    ["reason"],
)

COMMAND_LABELS = (*COMMANDS, "unknown")


def command_label(name: str) -> str:
    return name if name in COMMANDS else "unknown"


def _prime() -> None:
    """Exports every series at 0 so that rates and alerts work from the first scrape."""
    for c in COMMAND_LABELS:
        for r in ("ok", "err"):
            COMMANDS_TOTAL.labels(c, r)
    for r in ("ok", "in_use", "unavailable"):
        MAILDROP_OPEN.labels(r)
    for reason in ("quit", "update_failed", "disconnect", "timeout", "protocol_error", "shutdown", "blob_error"):
        SESSIONS_ENDED.labels(reason)
    for listener in ("plain", "tls"):
        CONNECTIONS_TOTAL.labels(listener)


_prime()
