"""Generates the Grafana dashboards in charts/kubemail/dashboards/*.json.

    python -m tests.observability.gen_dashboards          # rewrite the JSON files
    python -m tests.observability.gen_dashboards --check  # exit 1 if they are stale

The JSON is committed (the chart loads it with .Files.Get); tests/observability checks that
it is current and evaluates every query against a real Prometheus. Every dashboard has the
variables `datasource`, `namespace` and `pod`, and every selector is scoped by both.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "charts" / "kubemail" / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
SCOPE = 'namespace=~"$namespace", pod=~"$pod"'
RI = "$__rate_interval"


def s(metric: str, extra: str = "") -> str:
    """A selector scoped to the dashboard's namespace and pod variables."""
    return f"{metric}{{{SCOPE}{', ' + extra if extra else ''}}}"


def rate(metric: str, extra: str = "") -> str:
    return f"rate({s(metric, extra)}[{RI}])"


def sumby(by: str, inner: str) -> str:
    return f"sum by ({by}) ({inner})"


def quantile(q: float, hist: str, by: str = "", extra: str = "") -> str:
    group = f"le{', ' + by if by else ''}"
    return f"histogram_quantile({q}, sum by ({group}) ({rate(hist + '_bucket', extra)}))"


@dataclasses.dataclass
class Panel:
    title: str
    targets: list[tuple[str, str]]  # (expr, legend)
    unit: str = "short"
    kind: str = "timeseries"  # timeseries | stat
    description: str = ""
    width: int = 12
    stack: bool = False


@dataclasses.dataclass
class Row:
    title: str


Item = Panel | Row


def _panel_json(p: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    height = 4 if p.kind == "stat" else 8
    field_defaults: dict[str, Any] = {"unit": p.unit}
    options: dict[str, Any]
    if p.kind == "stat":
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        }
    else:
        field_defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10,
            "showPoints": "never",
            "stacking": {"mode": "normal" if p.stack else "none", "group": "A"},
        }
        options = {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    return {
        "id": pid,
        "type": p.kind,
        "title": p.title,
        "description": p.description,
        "datasource": DS,
        "gridPos": {"h": height, "w": p.width, "x": x, "y": y},
        "fieldConfig": {"defaults": field_defaults, "overrides": []},
        "options": options,
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend, "range": True}
            for i, (expr, legend) in enumerate(p.targets)
        ],
    }


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": {"query": query, "refId": f"{name}-query"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "allValue": ".*",
        "multi": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def dashboard(
    uid: str, title: str, anchor: str, items: list[Item], description: str, anchor_match: str = ""
) -> dict[str, Any]:
    """`anchor{anchor_match}` is a series every pod of this dashboard exposes (feeds the variables)."""
    ns_sel = f"{anchor}{{{anchor_match}}}" if anchor_match else anchor
    pod_sel = f'{anchor}{{{anchor_match + ", " if anchor_match else ""}namespace=~"$namespace"}}'
    panels: list[dict[str, Any]] = []
    x = y = 0
    row_height = 0
    pid = 1
    for item in items:
        if isinstance(item, Row):
            if x:
                y += row_height
                x = row_height = 0
            panels.append(
                {
                    "id": pid,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                    "panels": [],
                }
            )
            y += 1
        else:
            if x + item.width > 24:
                y += row_height
                x = row_height = 0
            pj = _panel_json(item, pid, x, y)
            panels.append(pj)
            x += item.width
            row_height = max(row_height, pj["gridPos"]["h"])
        pid += 1
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["kubemail"],
        "editable": True,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "browser",
        "graphTooltip": 1,
        "links": [{"type": "dashboards", "tags": ["kubemail"], "asDropdown": True, "title": "kubemail"}],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                },
                _variable("namespace", "Namespace", f"label_values({ns_sel}, namespace)"),
                _variable("pod", "Pod", f"label_values({pod_sel}, pod)"),
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


# --------------------------------------------------------------------------------------
# the dashboards
# --------------------------------------------------------------------------------------


def _process_panels() -> list[Item]:
    return [
        Row("Process"),
        Panel("CPU", [(sumby("pod", rate("process_cpu_seconds_total")), "{{pod}}")], "percentunit", width=8),
        Panel("Resident memory", [(sumby("pod", s("process_resident_memory_bytes")), "{{pod}}")], "bytes", width=8),
        Panel("Open file descriptors", [(sumby("pod", s("process_open_fds")), "{{pod}}")], width=8),
    ]


def _grpc_client_panels() -> list[Item]:
    return [
        Row("Metadata gRPC client"),
        Panel(
            "Calls by code",
            [(sumby("code", rate("kubemail_grpc_client_calls_total")), "{{code}}")],
            "reqps",
            stack=True,
            width=8,
        ),
        Panel(
            "Calls by method",
            [(sumby("method", rate("kubemail_grpc_client_calls_total")), "{{method}}")],
            "reqps",
            stack=True,
            width=8,
        ),
        Panel(
            "Call latency p50 / p99",
            [
                (quantile(0.5, "kubemail_grpc_client_call_duration_seconds"), "p50"),
                (quantile(0.99, "kubemail_grpc_client_call_duration_seconds"), "p99"),
            ],
            "s",
            width=8,
        ),
    ]


def _tls_panel() -> Panel:
    return Panel(
        "TLS certificate expires in",
        [(f"min by (pod) ({s('kubemail_tls_certificate_expiry_timestamp_seconds')} > 0) - time()", "{{pod}}")],
        "s",
        kind="stat",
        width=8,
        description="Time until notAfter of the served certificate (alerts at 14 and 3 days).",
    )


def _logins() -> list[tuple[str, str]]:
    """Failed and successful logins of each protocol, from each front-end's own counter."""
    return [
        (sumby("result", rate("kubemail_smtp_commands_total", 'command="AUTH"')), "smtp {{result}}"),
        (sumby("protocol, result", rate("kubemail_auth_attempts_total")), "{{protocol}} {{result}}"),
    ]


UP = 'job=~".*kubemail.*"'


def overview() -> dict[str, Any]:
    items: list[Item] = [
        Row("Health"),
        Panel(
            "Targets up",
            [(sumby("job", s("up", UP)), "{{job}}")],
            kind="stat",
            width=8,
            description="kubemail pods that answer /metrics, by job.",
        ),
        Panel(
            "Open connections",
            [
                (f"sum({s('kubemail_smtp_connections')})", "smtp"),
                (f"sum({s('kubemail_imap_connections')})", "imap"),
                (f"sum({s('kubemail_pop3_connections')})", "pop3"),
            ],
            kind="stat",
            width=8,
        ),
        _tls_panel(),
        Row("Traffic"),
        Panel(
            "Messages at end of DATA by result",
            [(sumby("result", rate("kubemail_smtp_messages_total")), "{{result}}")],
            "ops",
            stack=True,
        ),
        Panel(
            "Commands per second",
            [
                (f"sum({rate('kubemail_smtp_commands_total')})", "smtp"),
                (f"sum({rate('kubemail_imap_commands_total')})", "imap"),
                (f"sum({rate('kubemail_pop3_commands_total')})", "pop3"),
            ],
            "ops",
        ),
        Panel("Logins by protocol and result", _logins(), "ops"),
        Panel(
            "Metadata RPCs by code",
            [(sumby("code", rate("kubemail_metadata_rpc_total")), "{{code}}")],
            "reqps",
            stack=True,
        ),
        Row("Errors"),
        Panel(
            "Metadata calls not OK (front-ends)",
            [(sumby("job, code", rate("kubemail_grpc_client_calls_total", 'code!="OK"')), "{{job}} {{code}}")],
            "reqps",
            description="UNAVAILABLE/DEADLINE_EXCEEDED: metadata, Redis or S3 down. NOT_FOUND is normal.",
        ),
        Panel(
            "Redis errors by operation", [(sumby("op", rate("kubemail_metadata_redis_errors_total")), "{{op}}")], "ops"
        ),
        Panel(
            "Blob store calls by result",
            [(sumby("op, result", rate("kubemail_blob_operations_total")), "{{op}} {{result}}")],
            "ops",
        ),
        Panel(
            "SMTP temporary failures by reason",
            [(sumby("reason", rate("kubemail_smtp_messages_total", 'result="tempfail"')), "{{reason}}")],
            "ops",
        ),
    ]
    return dashboard(
        "kubemail-overview",
        "kubemail / Overview",
        "up",
        items,
        "The whole suite at a glance: health, traffic, errors.",
        anchor_match=UP,
    )


def smtp() -> dict[str, Any]:
    items: list[Item] = [
        Row("Sessions"),
        Panel(
            "Open sessions by listener", [(sumby("listener", s("kubemail_smtp_connections")), "{{listener}}")], width=8
        ),
        Panel(
            "Connection attempts by listener and result",
            [(sumby("listener, result", rate("kubemail_smtp_connection_attempts_total")), "{{listener}} {{result}}")],
            "ops",
            width=8,
        ),
        _tls_panel(),
        Row("Messages"),
        Panel(
            "Messages by result",
            [(sumby("result", rate("kubemail_smtp_messages_total")), "{{result}}")],
            "ops",
            stack=True,
        ),
        Panel(
            "Rejections and failures by reason",
            [
                (
                    sumby("result, reason", rate("kubemail_smtp_messages_total", 'result!="accepted"')),
                    "{{result}} {{reason}}",
                )
            ],
            "ops",
        ),
        Panel(
            "Delivery latency (end of DATA to reply)",
            [
                (quantile(0.5, "kubemail_smtp_delivery_duration_seconds"), "p50"),
                (quantile(0.9, "kubemail_smtp_delivery_duration_seconds"), "p90"),
                (quantile(0.99, "kubemail_smtp_delivery_duration_seconds"), "p99"),
            ],
            "s",
        ),
        Panel("Received bytes", [(sumby("pod", rate("kubemail_smtp_bytes_received_total")), "{{pod}}")], "Bps"),
        Row("Spam filter and sender authentication"),
        Panel(
            "Rspamd verdicts by action",
            [(sumby("action", rate("kubemail_smtp_spam_verdicts_total")), "{{action}}")],
            "ops",
            stack=True,
            description="unscanned: the scanner failed; delivered (fail-open) or deferred (fail-closed).",
            width=8,
        ),
        Panel(
            "Rspamd latency (check)",
            [
                (quantile(0.5, "kubemail_rspamd_request_duration_seconds", extra='op="check"'), "p50"),
                (quantile(0.99, "kubemail_rspamd_request_duration_seconds", extra='op="check"'), "p99"),
            ],
            "s",
            width=8,
        ),
        Panel(
            "Rspamd requests failing",
            [(sumby("op, result", rate("kubemail_rspamd_requests_total", 'result!="ok"')), "{{op}} {{result}}")],
            "reqps",
            description="error: refused, HTTP error or garbage; timeout: KUBEMAIL_RSPAMD_TIMEOUT passed.",
            width=8,
        ),
        Panel(
            "SPF / DKIM / DMARC / ARC results",
            [(sumby("method, result", rate("kubemail_smtp_auth_results_total")), "{{method}} {{result}}")],
            "ops",
        ),
        Panel(
            "Trust rules applied",
            [(sumby("rule, action", rate("kubemail_smtp_trust_actions_total")), "{{rule}} -> {{action}}")],
            "ops",
        ),
        Row("Commands"),
        Panel(
            "Commands by command",
            [(sumby("command", rate("kubemail_smtp_commands_total")), "{{command}}")],
            "ops",
            stack=True,
        ),
        Panel(
            "Replies by class",
            [(sumby("result", rate("kubemail_smtp_commands_total")), "{{result}}")],
            "ops",
            description="ok = 2xx/3xx, tempfail = 4xx, permfail = 5xx.",
        ),
        Panel(
            "AUTH by result",
            [(sumby("result", rate("kubemail_smtp_commands_total", 'command="AUTH"')), "{{result}}")],
            "ops",
            width=24,
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-smtp",
        "kubemail / SMTP",
        "kubemail_smtp_connections",
        items,
        "SMTP ingress (MX) and submission: sessions, messages, delivery latency, AUTH.",
    )


def imap() -> dict[str, Any]:
    items: list[Item] = [
        Row("Sessions"),
        Panel("Open connections", [(sumby("pod", s("kubemail_imap_connections")), "{{pod}}")], width=8),
        Panel("IDLE sessions", [(sumby("pod", s("kubemail_imap_idle_sessions")), "{{pod}}")], width=8),
        _tls_panel(),
        Row("Commands"),
        Panel(
            "Commands by command",
            [(sumby("command", rate("kubemail_imap_commands_total")), "{{command}}")],
            "ops",
            stack=True,
        ),
        Panel(
            "Commands by result",
            [(sumby("result", rate("kubemail_imap_commands_total")), "{{result}}")],
            "ops",
            description="ok, no (NO), bad (BAD).",
        ),
        Panel(
            "Latency p99 by command",
            [(quantile(0.99, "kubemail_imap_command_duration_seconds", by="command"), "{{command}}")],
            "s",
        ),
        Panel(
            "Latency p50 / p99",
            [
                (quantile(0.5, "kubemail_imap_command_duration_seconds"), "p50"),
                (quantile(0.99, "kubemail_imap_command_duration_seconds"), "p99"),
            ],
            "s",
        ),
        Row("Authentication"),
        Panel(
            "LOGIN / AUTHENTICATE by result",
            [
                (
                    sumby("mechanism, result", rate("kubemail_auth_attempts_total", 'protocol="imap"')),
                    "{{mechanism}} {{result}}",
                )
            ],
            "ops",
        ),
        Panel(
            "Accepted connections by listener",
            [(sumby("listener", rate("kubemail_listener_connections_total")), "{{listener}}")],
            "ops",
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-imap",
        "kubemail / IMAP",
        "kubemail_imap_connections",
        items,
        "IMAP front-ends: sessions, IDLE, commands and latency, logins.",
    )


def pop3() -> dict[str, Any]:
    items: list[Item] = [
        Row("Sessions"),
        Panel("Open connections", [(sumby("pod", s("kubemail_pop3_connections")), "{{pod}}")], width=8),
        Panel(
            "Accepted connections by listener",
            [(sumby("listener", rate("kubemail_pop3_connections_accepted_total")), "{{listener}}")],
            "ops",
            width=8,
        ),
        _tls_panel(),
        Panel(
            "Sessions ended by reason",
            [(sumby("reason", rate("kubemail_pop3_sessions_ended_total")), "{{reason}}")],
            "ops",
        ),
        Panel("Bytes sent", [(sumby("pod", rate("kubemail_pop3_bytes_sent_total")), "{{pod}}")], "Bps"),
        Row("Commands"),
        Panel(
            "Commands by command",
            [(sumby("command", rate("kubemail_pop3_commands_total")), "{{command}}")],
            "ops",
            stack=True,
        ),
        Panel("Commands by result", [(sumby("result", rate("kubemail_pop3_commands_total")), "{{result}}")], "ops"),
        Panel(
            "Latency p99 by command",
            [(quantile(0.99, "kubemail_pop3_command_duration_seconds", by="command"), "{{command}}")],
            "s",
        ),
        Panel(
            "Messages retrieved / deleted",
            [
                (f"sum({rate('kubemail_pop3_messages_retrieved_total')})", "retrieved"),
                (f"sum({rate('kubemail_pop3_messages_deleted_total')})", "deleted"),
            ],
            "ops",
        ),
        Row("Authentication"),
        Panel(
            "Logins by mechanism and result",
            [
                (
                    sumby("mechanism, result", rate("kubemail_auth_attempts_total", 'protocol="pop3"')),
                    "{{mechanism}} {{result}}",
                )
            ],
            "ops",
            width=24,
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-pop3",
        "kubemail / POP3",
        "kubemail_pop3_connections",
        items,
        "POP3 front-ends: sessions, commands, bytes, logins.",
    )


def storage() -> dict[str, Any]:
    items: list[Item] = [
        Row("Metadata service"),
        Panel(
            "RPCs by method",
            [(sumby("method", rate("kubemail_metadata_rpc_total")), "{{method}}")],
            "reqps",
            stack=True,
        ),
        Panel("RPCs by code", [(sumby("code", rate("kubemail_metadata_rpc_total")), "{{code}}")], "reqps"),
        Panel(
            "RPC latency p99 by method",
            [(quantile(0.99, "kubemail_metadata_rpc_duration_seconds", by="method"), "{{method}}")],
            "s",
        ),
        Panel(
            "RPC latency p50 / p99",
            [
                (quantile(0.5, "kubemail_metadata_rpc_duration_seconds"), "p50"),
                (quantile(0.99, "kubemail_metadata_rpc_duration_seconds"), "p99"),
            ],
            "s",
        ),
        Panel("Open Watch streams", [(sumby("pod", s("kubemail_metadata_watch_streams")), "{{pod}}")], width=12),
        Panel("Outbound queue", [(f"max({s('kubemail_metadata_outbound_queue_messages')})", "messages")], width=12),
        Row("Redis"),
        Panel(
            "Redis latency p99 by operation",
            [(quantile(0.99, "kubemail_metadata_redis_op_duration_seconds", by="op"), "{{op}}")],
            "s",
            width=8,
        ),
        Panel(
            "Redis operations per second",
            [(sumby("op", rate("kubemail_metadata_redis_op_duration_seconds_count")), "{{op}}")],
            "ops",
            width=8,
        ),
        Panel(
            "Redis errors by operation",
            [(sumby("op", rate("kubemail_metadata_redis_errors_total")), "{{op}}")],
            "ops",
            width=8,
        ),
        Row("Blob store (S3 / MinIO)"),
        Panel(
            "Blob calls by op and result",
            [(sumby("op, result", rate("kubemail_blob_operations_total")), "{{op}} {{result}}")],
            "ops",
            width=8,
        ),
        Panel(
            "Blob references",
            [(sumby("op", rate("kubemail_metadata_blob_ref_changes_total")), "{{op}}")],
            "ops",
            width=8,
        ),
        Panel(
            "Garbage collection",
            [
                (sumby("result", rate("kubemail_metadata_gc_runs_total")), "passes {{result}}"),
                (f"sum({rate('kubemail_metadata_gc_blobs_deleted_total')})", "blobs deleted"),
            ],
            "ops",
            width=8,
        ),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-storage",
        "kubemail / Storage",
        "kubemail_metadata_rpc_total",
        items,
        "The metadata gRPC service, its Redis and the S3 blob store.",
    )


def operator() -> dict[str, Any]:
    items: list[Item] = [
        Row("Reconciliation"),
        Panel(
            "Reconciliations by kind and result",
            [(sumby("kind, result", rate("kubemail_operator_reconciliations_total")), "{{kind}} {{result}}")],
            "ops",
        ),
        Panel(
            "Reconciliation latency p99 by kind",
            [(quantile(0.99, "kubemail_operator_reconciliation_duration_seconds", by="kind"), "{{kind}}")],
            "s",
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-operator",
        "kubemail / Operator",
        "kubemail_operator_reconciliations_total",
        items,
        "The kopf operator: MailDomain / MailUser reconciliation.",
    )


def relay() -> dict[str, Any]:
    queue = "kubemail_metadata_outbound_queue_messages"
    delivered = rate("kubemail_relay_deliveries_total")
    bounced = rate("kubemail_relay_deliveries_total", 'result="bounced"')
    items: list[Item] = [
        Row("Queue"),
        Panel(
            "Queue depth",
            [
                (f"max({s(queue)})", "entries (metadata)"),
                (f"max({s('kubemail_relay_queue_due_messages')})", "due now"),
                (f"sum({s('kubemail_relay_inflight_entries')})", "in flight"),
            ],
            width=8,
            description="Entries queued (leased or not), due for an attempt now, and being delivered by relay pods.",
        ),
        Panel(
            "Oldest entry",
            [(f"max({s('kubemail_metadata_outbound_oldest_age_seconds')})", "age")],
            "s",
            width=8,
            description="Age of the oldest undelivered entry; alert above 4 hours (Postfix's delay warning).",
        ),
        Panel(
            "Bounce ratio",
            [(f"sum({bounced}) / clamp_min(sum({delivered}), 1e-9)", "bounced / all outcomes")],
            "percentunit",
            width=8,
            description="Recipients bounced among all recipient outcomes (alert above 20% for 30 minutes).",
        ),
        Row("Delivery"),
        Panel(
            "Recipient outcomes",
            [(sumby("result", delivered), "{{result}}")],
            "ops",
            stack=True,
        ),
        Panel(
            "Attempt latency p50 / p99",
            [
                (quantile(0.5, "kubemail_relay_attempt_duration_seconds"), "p50"),
                (quantile(0.99, "kubemail_relay_attempt_duration_seconds"), "p99"),
            ],
            "s",
            description="One SMTP transaction to one destination, connect to the last reply.",
        ),
        Panel("TLS outcomes", [(sumby("result", rate("kubemail_relay_tls_total")), "{{result}}")], "ops", width=8),
        Panel(
            "MTA-STS outcomes",
            [(sumby("result", rate("kubemail_relay_mta_sts_total")), "{{result}}")],
            "ops",
            width=8,
            description="mismatch: an enforce policy the destination did not meet; the entry was deferred.",
        ),
        Panel(
            "Notifications (DSN) by action",
            [(sumby("action", rate("kubemail_relay_dsn_total")), "{{action}}")],
            "ops",
            width=8,
        ),
        Panel(
            "Queue calls failed",
            [(sumby("call", rate("kubemail_relay_lease_errors_total")), "{{call}}")],
            "ops",
            width=24,
            description="Lease / Complete / Defer / Bounce / Stats calls to the metadata service that failed.",
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-relay",
        "kubemail / Relay",
        "kubemail_relay_inflight_entries",
        items,
        "Outbound delivery: the queue, recipient outcomes, TLS and MTA-STS, notifications.",
    )


def web() -> dict[str, Any]:
    requests = rate("kubemail_web_requests_total")
    errors = rate("kubemail_web_requests_total", 'status="5xx"')
    items: list[Item] = [
        Row("HTTP"),
        Panel(
            "Requests by endpoint",
            [(sumby("endpoint", requests), "{{endpoint}}")],
            "reqps",
            stack=True,
            width=8,
        ),
        Panel("Requests by status class", [(sumby("status", requests), "{{status}}")], "reqps", stack=True, width=8),
        Panel(
            "Server errors (5xx) ratio",
            [(f"sum({errors}) / clamp_min(sum({requests}), 1e-9)", "5xx / all")],
            "percentunit",
            width=8,
            description="503: the metadata service or the blob store failed. Alert above 5% for 10 minutes.",
        ),
        Panel(
            "Latency p99 by endpoint",
            [(quantile(0.99, "kubemail_web_request_duration_seconds", by="endpoint"), "{{endpoint}}")],
            "s",
            width=24,
            description="ActiveSync includes Ping and waiting Sync, which last up to their heartbeat.",
        ),
        Row("Exchange ActiveSync"),
        Panel(
            "Commands by command",
            [(sumby("command", rate("kubemail_web_eas_commands_total")), "{{command}}")],
            "reqps",
            stack=True,
            width=8,
        ),
        Panel(
            "Commands by status class",
            [(sumby("status", rate("kubemail_web_eas_commands_total")), "{{status}}")],
            "reqps",
            width=8,
            description="4xx includes 401 (credentials) and 449 (device not provisioned yet).",
        ),
        Panel(
            "Ping sessions waiting",
            [(sumby("pod", s("kubemail_web_eas_ping_sessions")), "{{pod}}")],
            width=8,
            description="Devices holding a Ping open for push; each costs one connection and a change-feed wait.",
        ),
        Panel(
            "Sync latency p50 / p99",
            [
                (quantile(0.5, "kubemail_web_eas_sync_duration_seconds"), "p50"),
                (quantile(0.99, "kubemail_web_eas_sync_duration_seconds"), "p99"),
            ],
            "s",
            width=24,
        ),
        *_grpc_client_panels(),
        *_process_panels(),
    ]
    return dashboard(
        "kubemail-web",
        "kubemail / Web",
        "kubemail_web_eas_ping_sessions",
        items,
        "The HTTP front-end: autoconfiguration, Autodiscover, MTA-STS policy and Exchange ActiveSync.",
    )


DASHBOARDS = {
    "overview": overview,
    "smtp": smtp,
    "imap": imap,
    "pop3": pop3,
    "storage": storage,
    "operator": operator,
    "relay": relay,
    "web": web,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {f"{name}.json": json.dumps(fn(), indent=2, sort_keys=False) + "\n" for name, fn in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [n for n, text in files.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
        extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in files)
        if stale or extra:
            print(f"stale dashboards: {stale}, unexpected: {extra}; run python -m tests.observability.gen_dashboards")
            return 1
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text)
    print(f"wrote {len(files)} dashboards to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
