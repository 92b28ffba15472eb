"""Web front-end metrics (kubemail_web_*); labels take bounded values."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.web.eas.protocol import COMMANDS

ENDPOINTS = ("activesync", "autoconfig", "autodiscover_xml", "autodiscover_json", "mobileconfig", "mta_sts", "other")

REQUESTS = Counter("kubemail_web_requests_total", "HTTP requests by endpoint and status class", ["endpoint", "status"])
DURATION = Histogram(
    "kubemail_web_request_duration_seconds",
    "Request handling time by endpoint",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
for _e in ENDPOINTS:
    for _s in ("2xx", "4xx", "5xx"):
        REQUESTS.labels(_e, _s)

# ActiveSync: every command name of services.web.eas.protocol.COMMANDS, plus "other"
EAS_COMMANDS = Counter(
    "kubemail_web_eas_commands_total",
    "ActiveSync commands by command and HTTP status class",
    ["command", "status"],
)
PING_SESSIONS = Gauge("kubemail_web_eas_ping_sessions", "ActiveSync Ping requests waiting now")
SYNC_DURATION = Histogram(
    "kubemail_web_eas_sync_duration_seconds",
    "Time to answer one ActiveSync Sync request",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
for _c in (*COMMANDS, "other"):
    for _s in ("2xx", "4xx", "5xx"):
        EAS_COMMANDS.labels(_c, _s)
EAS_REMOTE_WIPES = Counter(
    "kubemail_web_eas_remote_wipes_total",
    "ActiveSync remote wipes by event: requested (a wipe sent to a device), acknowledged (the device confirmed)",
    ["event"],
)
for _w in ("requested", "acknowledged"):
    EAS_REMOTE_WIPES.labels(_w)
