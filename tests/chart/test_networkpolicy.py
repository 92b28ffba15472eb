"""NetworkPolicies allow exactly the intended paths: a from -> to matrix over the rendered policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.helpers import NAMESPACE, Peer, by_kind, component, ingress_allowed, render, workloads

FRONTENDS = ("smtp", "imap", "pop3")
PROM_NS = {"kubernetes.io/metadata.name": "monitoring"}
OWN_NS = {"kubernetes.io/metadata.name": NAMESPACE}


def _pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {component(w): w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)}


def _sources(pods: dict[str, dict[str, str]], prom_pod: dict[str, str]) -> list[Peer]:
    peers = [Peer(name, ns_labels=OWN_NS, labels=labels) for name, labels in pods.items()]
    peers += [
        Peer("other-pod-same-namespace", ns_labels=OWN_NS, labels={"app": "debug"}),
        Peer("prometheus", namespace="monitoring", ns_labels=PROM_NS, labels=prom_pod),
        Peer("pod-in-other-namespace", namespace="default", ns_labels={"kubernetes.io/metadata.name": "default"}),
        # A pod elsewhere that copies kubemail's labels must not pass for a front-end.
        Peer(
            "impostor-smtp-other-namespace",
            namespace="default",
            ns_labels={"kubernetes.io/metadata.name": "default"},
            labels=pods["smtp"],
        ),
        Peer("internet", ip="203.0.113.7"),
    ]
    return peers


def _targets(docs: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """(component, container port, kind of port) for every listening port of the release."""
    out = []
    for w in workloads(docs):
        for c in w["spec"]["template"]["spec"]["containers"]:
            for p in c.get("ports", []):
                out.append((component(w), p["containerPort"], p["name"]))
    return out


def _expected(src: Peer, dst: str, port_name: str) -> bool:
    if port_name == "metrics":
        return src.name == "prometheus"
    if dst in FRONTENDS:
        return True  # mail ports: open to the world
    if dst == "metadata":
        return src.name in (*FRONTENDS, "operator")
    if dst in ("redis", "minio"):
        return src.name in ("metadata", *FRONTENDS)
    raise AssertionError(f"unexpected port {dst}/{port_name}")


@pytest.mark.parametrize(
    "case, prom_pod",
    [("default", {"app": "anything"}), ("monitoring-values.yaml", {"app.kubernetes.io/name": "prometheus"})],
)
def test_network_policy_matrix(case: str, prom_pod: dict[str, str]) -> None:
    docs = render(case)
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    assert set(pods) == {"smtp", "imap", "pop3", "metadata", "operator", "redis", "minio"}
    # Every pod of the release is selected by some policy (none is left open by accident).
    for name, labels in pods.items():
        assert any(
            all(labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items()) for p in policies
        ), name
    wrong = []
    checked = 0
    for src in _sources(pods, prom_pod):
        for dst, port, port_name in _targets(docs):
            got = ingress_allowed(policies, src, pods[dst], port)
            if got != _expected(src, dst, port_name):
                wrong.append(f"{src.name} -> {dst}:{port} ({port_name}) allowed={got}")
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 100


def test_prometheus_pod_selector_is_honoured() -> None:
    docs = render("monitoring-values.yaml")
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    grafana = Peer("grafana", namespace="monitoring", ns_labels=PROM_NS, labels={"app.kubernetes.io/name": "grafana"})
    assert not ingress_allowed(policies, grafana, pods["metadata"], 9100)


def test_evaluator_isolates_only_selected_pods() -> None:
    """Sanity of the evaluator: with policies off, everything is reachable; a deny is a deny."""
    docs = render("minimal-values.yaml")
    assert not by_kind(docs, "NetworkPolicy")
    pods = _pods(docs)
    outsider = Peer("internet", ip="198.51.100.1")
    assert ingress_allowed([], outsider, pods["redis"], 6379)
    deny_all = {"metadata": {"namespace": NAMESPACE}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
    assert not ingress_allowed([deny_all], outsider, pods["redis"], 6379)
