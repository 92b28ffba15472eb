"""The chart's values documentation and JSON schema, both generated from values.yaml.

    python -m tests.chart.values_doc          # rewrite README's values table and values.schema.json
    python -m tests.chart.values_doc --check  # exit 1 when either is stale (tests do the same)

values.yaml documents each key with a "# --" comment block right above it. The schema rejects
unknown keys at every structural level (typos), with enums for the keys that take a fixed set.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "charts" / "kubemail"
VALUES = CHART / "values.yaml"
README = CHART / "README.md"
SCHEMA = CHART / "values.schema.json"
START, END = "<!-- values:start -->", "<!-- values:end -->"

# Maps whose keys are the user's (env names, labels, Kubernetes objects passed through).
FREE_FORM = {
    "extraEnv",
    "env",
    "annotations",
    "podAnnotations",
    "podLabels",
    "nodeSelector",
    "affinity",
    "resources",
    "labels",
    "namespaceSelector",
    "podSelector",
    "podSecurityContext",
    "securityContext",
}
ENUMS: dict[str, list[Any]] = {
    "logLevel": ["DEBUG", "INFO", "WARNING", "ERROR"],
    "logFormat": ["text", "json"],
    "appendfsync": ["everysec", "always"],
    "type": ["LoadBalancer", "NodePort", "ClusterIP"],
    "externalTrafficPolicy": ["Cluster", "Local"],
    "pullPolicy": ["Always", "IfNotPresent", "Never"],
    "kind": ["Issuer", "ClusterIssuer"],
}
# Enums of one key only (the same name elsewhere takes other values: redis.external.tls is a boolean).
PATH_ENUMS: dict[str, list[Any]] = {
    "relay.smarthost.tls": ["starttls", "implicit", "none"],
    "web.mtaSts.mode": ["enforce", "testing", "none"],
    "web.ingress.tls.source": ["shared", "certManager", "none"],
}
KEY = re.compile(r"^( *)([A-Za-z0-9_.-]+):(.*)$")


def documented_keys(text: str) -> list[tuple[str, str]]:
    """(dotted key, description) for every key with a "# --" comment, in file order."""
    rows: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    doc: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            doc = [stripped[4:].strip()]
            continue
        if stripped.startswith("#"):
            if doc is not None:
                doc.append(stripped[1:].strip())
            continue
        m = KEY.match(line)
        if not m:
            if not stripped:
                doc = None
            continue
        indent, key = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        if doc is not None:
            rows.append((".".join(k for _, k in stack), " ".join(doc)))
        doc = None
    return rows


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def values_table() -> str:
    text = VALUES.read_text()
    values = yaml.safe_load(text)
    lines = ["| key | default | description |", "|---|---|---|"]
    for key, doc in documented_keys(text):
        default = json.dumps(_lookup(values, key), separators=(",", ":"))
        cell = doc.replace("|", "\\|")
        lines.append(f"| `{key}` | `{default}` | {cell} |")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{values_table()}{END}{tail}"


def _schema(value: Any, key: str, doc: dict[str, str], path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if path in doc:
        out["description"] = doc[path]
    if isinstance(value, dict) and key not in FREE_FORM:
        out["type"] = "object"
        out["additionalProperties"] = False
        out["properties"] = {k: _schema(v, k, doc, f"{path}.{k}" if path else k) for k, v in value.items()}
        return out
    if key in ("env", "extraEnv"):
        out["type"] = "object"
        out["propertyNames"] = {"pattern": "^KUBEMAIL_[A-Z0-9_]+$"}
        out["additionalProperties"] = {"type": ["string", "number", "boolean"]}
    elif isinstance(value, dict):
        out["type"] = "object"
    elif isinstance(value, list):
        out["type"] = "array"
    elif isinstance(value, bool):
        out["type"] = "boolean"
    elif isinstance(value, int):
        out["type"] = "integer"
        out["minimum"] = 0
    elif isinstance(value, float):
        out["type"] = "number"
    elif isinstance(value, str):
        out["type"] = "string"
    if path in PATH_ENUMS:
        out["enum"] = PATH_ENUMS[path]
    elif key in ENUMS:
        out["enum"] = ENUMS[key]
    return out


def values_schema() -> str:
    text = VALUES.read_text()
    doc = dict(documented_keys(text))
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "title": "kubemail chart values"}
    schema.update(_schema(yaml.safe_load(text), "", doc, ""))
    return json.dumps(schema, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    readme, schema = readme_with_table(README.read_text()), values_schema()
    if args.check:
        stale = [p.name for p, want in ((README, readme), (SCHEMA, schema)) if not p.exists() or p.read_text() != want]
        for name in stale:
            print(f"charts/kubemail/{name} is stale: run python -m tests.chart.values_doc")
        return 1 if stale else 0
    README.write_text(readme)
    SCHEMA.write_text(schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
