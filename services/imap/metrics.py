"""IMAP metrics (kubemail_imap_*); labels are bounded (command names from the table)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("kubemail_imap_connections", "Open IMAP connections")
COMMANDS = Counter("kubemail_imap_commands_total", "IMAP commands by command and result", ["command", "result"])
COMMAND_DURATION = Histogram(
    "kubemail_imap_command_duration_seconds",
    "Time to execute one IMAP command",
    ["command"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IDLE_SESSIONS = Gauge("kubemail_imap_idle_sessions", "Sessions currently in IDLE")
