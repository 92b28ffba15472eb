"""Loading the dashboards and rules, and turning their queries into plain PromQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "charts" / "kubemail" / "dashboards"
RULES = ROOT / "charts" / "kubemail" / "rules"
RULES_TEST = Path(__file__).resolve().parent / "rules_test.yaml"
METRICS_DOC = ROOT / "docs" / "metrics.md"

# Grafana's template variables as a test evaluates them: every namespace and pod.
SUBSTITUTIONS = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
    "${namespace}": ".*",
    "$namespace": ".*",
    "${pod}": ".*",
    "$pod": ".*",
}


def substitute(expr: str) -> str:
    for var, value in SUBSTITUTIONS.items():
        expr = expr.replace(var, value)
    return expr


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def panels(dash: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in dash["panels"]:
        if p.get("type") == "row":
            yield from p.get("panels", [])
        else:
            yield p


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title / refId, expr) of every panel target."""
    out = []
    for name, dash in dashboards().items():
        for p in panels(dash):
            for t in p.get("targets", []):
                out.append((name, f"{p['title']} [{t['refId']}]", t["expr"]))
    return out


_LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\)$")


def variable_queries() -> list[tuple[str, str, str]]:
    """(dashboard, variable, PromQL) for every query variable: label_values(m, l) -> group by (l) (m)."""
    out = []
    for name, dash in dashboards().items():
        for v in dash["templating"]["list"]:
            if v["type"] != "query":
                continue
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = _LABEL_VALUES.match(q)
            if not m:
                raise ValueError(f"{name}: variable {v['name']}: unsupported query {q!r}")
            out.append((name, v["name"], f"group by ({m.group(2)}) ({m.group(1)})"))
    return out


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.yaml"))


def rules() -> list[dict[str, Any]]:
    out = []
    for f in rule_files():
        for g in yaml.safe_load(f.read_text())["groups"]:
            out.extend(g["rules"])
    return out


def alerts() -> list[dict[str, Any]]:
    return [r for r in rules() if "alert" in r]


# Metric names in PromQL: identifiers that are not functions, keywords or label names.
_IDENT = re.compile(r"(?<![\w\"'.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?=\s*(\{|\[|\)|\s|$|>|<|=|!|\+|-|\*|/|,))")
_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "time",
    "le",
}


def metric_names(expr: str) -> set[str]:
    """Names of the series an expression selects (kubemail_*, process_*, up, ...)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # drop string literals
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # drop label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for m in _IDENT.finditer(expr):
        word = m.group(1)
        after = expr[m.end() :].lstrip()
        if after.startswith("("):
            continue  # a function call
        if word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


def external_metrics() -> set[str]:
    """Series from third-party exporters the chart deploys (docs/metrics.md, "Third-party metrics")."""
    text = METRICS_DOC.read_text()
    start, end = "<!-- external-metrics:start -->", "<!-- external-metrics:end -->"
    section = text.split(start, 1)[1].split(end, 1)[0]
    return set(re.findall(r"^\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`", section, re.M))
