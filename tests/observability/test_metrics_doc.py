"""docs/metrics.md documents exactly the metrics the code registers, with their type and labels."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from typing import Any

from tests.observability import helpers

RUNTIME_PREFIXES = ("process_", "python_")
# Label names that would carry unbounded values (addresses, ids, IPs): never allowed.
FORBIDDEN_LABELS = {
    "address",
    "user",
    "user_id",
    "username",
    "sender",
    "recipient",
    "rcpt",
    "mail_from",
    "ip",
    "remote_ip",
    "client",
    "message_id",
    "blob_id",
    "mailbox",
    "domain",
    "session",
    "id",
    "host",
}


@cache
def documented() -> dict[str, dict[str, Any]]:
    """metric -> {type, labels, exposed_by} from the tables of docs/metrics.md."""
    row = re.compile(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|\s*(\w+)\s*\|([^|]*)\|([^|]*)\|(.*)\|\s*$")
    out: dict[str, dict[str, Any]] = {}
    for line in helpers.METRICS_DOC.read_text().splitlines():
        m = row.match(line)
        if not m:
            continue
        name, mtype, labels, exposed, meaning = m.groups()
        assert name not in out, f"{name} documented twice"
        out[name] = {
            "type": mtype,
            "labels": sorted(re.findall(r"`(\w+)`", labels)),
            "exposed_by": {s.strip() for s in exposed.replace("`", "").split(",") if s.strip()},
            "meaning": meaning.strip(),
        }
    return out


@cache
def registered() -> dict[str, Any]:
    res = subprocess.run(
        [sys.executable, "-m", "tests.observability.registry_dump"],
        cwd=helpers.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(res.stdout))


def test_doc_has_tables() -> None:
    docs = documented()
    assert len(docs) > 20
    for name, d in docs.items():
        assert d["meaning"], name
        assert d["type"] in ("counter", "gauge", "histogram", "summary", "info"), name
        assert d["exposed_by"] <= {"all", "metadata", "smtp", "imap", "pop3", "relay", "web", "operator"}, name


def test_every_registered_metric_is_documented_and_vice_versa() -> None:
    reg = registered()
    metrics = reg["metrics"]
    docs = {n: d for n, d in documented().items() if not n.startswith(RUNTIME_PREFIXES)}
    undocumented = sorted(set(metrics) - set(docs))
    stale = sorted(set(docs) - set(metrics))
    assert not undocumented, f"registered but not in docs/metrics.md: {undocumented}"
    assert not stale, f"in docs/metrics.md but registered nowhere: {stale} (import errors: {reg['import_errors']})"
    for name, m in metrics.items():
        assert docs[name]["type"] == m["type"], f"{name}: documented as {docs[name]['type']}, is {m['type']}"
        assert docs[name]["labels"] == m["labels"], (
            f"{name}: documented labels {docs[name]['labels']}, are {m['labels']}"
        )


def test_names_and_labels_follow_the_conventions() -> None:
    for name, d in documented().items():
        if name.startswith(RUNTIME_PREFIXES):
            continue
        assert re.fullmatch(r"kubemail_[a-z0-9_]+", name), name
        if d["type"] == "counter":
            assert name.endswith("_total"), name
        else:
            assert not name.endswith("_total"), name
        if d["type"] == "histogram":
            assert name.endswith(("_seconds", "_bytes")), name
        for unit in ("_milliseconds", "_ms", "_kilobytes", "_minutes"):
            assert unit not in name, f"{name}: use base units"
        assert not set(d["labels"]) & FORBIDDEN_LABELS, f"{name}: unbounded label {set(d['labels']) & FORBIDDEN_LABELS}"


def test_dashboards_and_rules_use_only_documented_metrics() -> None:
    docs = documented()
    known = {"up"} | helpers.external_metrics()
    for name, d in docs.items():
        known.add(name)
        if d["type"] == "histogram":
            known.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
    used = [(f"{dash} / {panel}", expr) for dash, panel, expr in helpers.panel_queries()]
    used += [(f"alert {r['alert']}", r["expr"]) for r in helpers.alerts()]
    unknown = [(where, sorted(helpers.metric_names(expr) - known)) for where, expr in used]
    unknown = [(where, names) for where, names in unknown if names]
    assert not unknown, unknown


def test_metric_name_extraction() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, method) (rate(kubemail_x_seconds_bucket{a="b:c", le!="1"}[5m])))'
        ' / on (namespace) group_left sum without (pod) (up{job=~".*kubemail.*"}) > bool 1'
        ' or label_replace(sum(increase(kubemail_y_total[5m])), "service", "imap", "", "")'
    )
    assert helpers.metric_names(expr) == {"kubemail_x_seconds_bucket", "up", "kubemail_y_total"}
