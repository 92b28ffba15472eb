"""Rendering the chart with the real helm binary, schema validation, NetworkPolicy evaluation."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from packaging.version import Version
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubemail"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
RELEASE = "km"
NAMESPACE = "mail"
K8S_VERSIONS = ("1.29", "1.33")
# Kinds outside the Kubernetes schemas, validated with small bundled schemas (tests/chart/schemas).
BUNDLED = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule.json",
    ("cert-manager.io/v1", "Certificate"): "certificate.json",
}
CASES = ["default", *sorted(p.name for p in (CHART / "ci").glob("*.yaml"))]


@lru_cache(maxsize=1)
def helm() -> str:
    found = shutil.which("helm")
    if found:
        return found
    local = ROOT / ".tools" / "bin" / "helm"
    if not os.access(local, os.X_OK):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "fetch_tools.py"), str(ROOT / ".tools")], check=True)
    return str(local)


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm(), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def values_args(case: str) -> list[str]:
    return [] if case == "default" else ["-f", str(CHART / "ci" / case)]


# `helm template` cannot see a cluster: without this the chart refuses to generate credentials that
# would change on every render (tests/chart/test_production.py renders without it).
THROWAWAY = ("--set", "generateCredentials=true")


def template(*extra: str) -> list[dict[str, Any]]:
    proc = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--include-crds", *THROWAWAY, *extra)
    if proc.returncode != 0:
        raise AssertionError(f"helm template {' '.join(extra)} failed:\n{proc.stderr}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@cache
def _render(case: str) -> str:
    return json.dumps(template(*values_args(case)))


def render(case: str) -> list[dict[str, Any]]:
    """The manifests of one case (a fresh copy; tests may mutate)."""
    return json.loads(_render(case))


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return list(spec.get("initContainers", [])) + list(spec["containers"])


# --- Kubernetes schema validation (kubernetes-validate's bundled strict schemas) ----------------


def _schema_dir(version: str) -> str:
    import kubernetes_validate.utils as kvu

    chosen = [v for v in kvu.all_versions() if Version(v) <= Version(version + ".99")][-1]
    return f"v{chosen}-local-strict"


@cache
def _registry(version: str) -> Registry:
    import kubernetes_validate.utils as kvu

    defs = kvu.schema_contents(f"kubernetes-json-schema/{_schema_dir(version)}/_definitions.json", version)
    return Resource.from_contents(defs) @ Registry()  # type: ignore[no-any-return]


@cache
def _k8s_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator:
    import kubernetes_validate.utils as kvu

    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = f"kubernetes-json-schema/{_schema_dir(version)}/{kind.lower()}-{group}.json"
    try:
        schema = kvu.schema_contents(path, version)
    except FileNotFoundError:
        raise kvu.SchemaNotFoundError(version=version, kind=kind, api_version=api_version) from None
    registry = Resource.from_contents(schema) @ _registry(version)
    return jsonschema.Draft202012Validator(schema, registry=registry)


@cache
def _bundled_validator(name: str) -> jsonschema.Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def crd_validators(docs: list[dict[str, Any]]) -> dict[tuple[str, str], jsonschema.Validator]:
    """(apiVersion, kind) -> a validator from the openAPIV3Schema of each rendered CRD."""
    out: dict[tuple[str, str], jsonschema.Validator] = {}
    for crd in docs:
        if crd["kind"] != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for ver in crd["spec"]["versions"]:
            schema = ver["schema"]["openAPIV3Schema"]
            out[(f"{group}/{ver['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return out


def validate(doc: dict[str, Any], version: str, crds: dict[tuple[str, str], jsonschema.Validator]) -> str:
    """Validates one manifest; returns which schema was used. Raises on errors or unknown kinds."""
    key = (doc["apiVersion"], doc["kind"])
    if key in BUNDLED:
        _bundled_validator(BUNDLED[key]).validate(doc)
        return f"bundled:{BUNDLED[key]}"
    if key in crds:
        crds[key].validate(doc)
        return "crd"
    _k8s_validator(version, *key).validate(doc)
    return f"kubernetes:{version}"


# --- NetworkPolicy evaluation --------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A connecting party: a pod (namespace, labels) or an outside address."""

    name: str
    namespace: str = NAMESPACE
    ns_labels: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ip: str | None = None  # set for clients outside the cluster

    def __hash__(self) -> int:
        return hash(self.name)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_matches(peer: dict[str, Any], src: Peer, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        if src.ip is None:
            return False
        block = peer["ipBlock"]
        addr = ipaddress.ip_address(src.ip)
        return addr in ipaddress.ip_network(block["cidr"]) and not any(
            addr in ipaddress.ip_network(c) for c in block.get("except", [])
        )
    if src.ip is not None:
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], src.ns_labels):
            return False
    elif src.namespace != policy_ns:
        return False
    return selector_matches(peer.get("podSelector"), src.labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str = "TCP") -> bool:
    if not ports:
        return True
    for p in ports:
        assert isinstance(p.get("port"), int), f"policies use numeric ports: {p}"
        if p.get("protocol", "TCP") == protocol and (p["port"] == port or p["port"] <= port <= p.get("endPort", -1)):
            return True
    return False


def ingress_allowed(policies: list[dict[str, Any]], src: Peer, dst_labels: dict[str, str], port: int) -> bool:
    applicable = [
        p
        for p in policies
        if p["metadata"].get("namespace", NAMESPACE) == NAMESPACE
        and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])
        and selector_matches(p["spec"]["podSelector"], dst_labels)
    ]
    if not applicable:
        return True  # the pod is not isolated
    for pol in applicable:
        for rule in pol["spec"].get("ingress") or []:
            if not _port_matches(rule.get("ports"), port):
                continue
            froms = rule.get("from")
            if not froms:
                return True
            if any(_peer_matches(peer, src, pol["metadata"].get("namespace", NAMESPACE)) for peer in froms):
                return True
    return False


def egress_allowed(
    policies: list[dict[str, Any]], src_labels: dict[str, str], dst: Peer, port: int, protocol: str = "TCP"
) -> bool:
    """Whether a pod of the release with `src_labels` may open `dst`:`port` under the egress policies."""
    applicable = [
        p
        for p in policies
        if p["metadata"].get("namespace", NAMESPACE) == NAMESPACE
        and "Egress" in p["spec"].get("policyTypes", [])
        and selector_matches(p["spec"]["podSelector"], src_labels)
    ]
    if not applicable:
        return True  # egress not isolated
    for pol in applicable:
        for rule in pol["spec"].get("egress") or []:
            if not _port_matches(rule.get("ports"), port, protocol):
                continue
            tos = rule.get("to")
            if not tos:
                return True
            if any(_peer_matches(peer, dst, pol["metadata"].get("namespace", NAMESPACE)) for peer in tos):
                return True
    return False


def real_settings() -> set[str]:
    """Every KUBEMAIL_* setting the services and the operator declare."""
    code = (
        "from services.common import config as c\n"
        "c._import_all()\n"
        "import importlib\n"
        "for m in ('services.common.auth',):\n"
        "    try: importlib.import_module(m)\n"
        "    except ModuleNotFoundError: pass\n"
        "print(c.markdown_table())\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "operator")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # The documented entry point must agree (it prints the same table).
    cli = subprocess.run(
        [sys.executable, "-m", "services.common.config"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert cli.returncode == 0, cli.stderr
    return set(re.findall(r"^\| `(KUBEMAIL_[A-Z0-9_]+)`", proc.stdout + cli.stdout, re.M))
