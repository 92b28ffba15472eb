"""NetworkPolicies allow exactly the intended paths: a from -> to matrix over the rendered policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.helpers import (
    CHART,
    NAMESPACE,
    Peer,
    by_kind,
    component,
    egress_allowed,
    ingress_allowed,
    render,
    template,
    workloads,
)

FRONTENDS = ("smtp", "imap", "pop3")
PROM_NS = {"kubernetes.io/metadata.name": "monitoring"}
INGRESS_NS = {"kubernetes.io/metadata.name": "ingress-nginx"}
OWN_NS = {"kubernetes.io/metadata.name": NAMESPACE}


def _pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {component(w): w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)}


def _sources(pods: dict[str, dict[str, str]], prom_pod: dict[str, str]) -> list[Peer]:
    peers = [Peer(name, ns_labels=OWN_NS, labels=labels) for name, labels in pods.items()]
    peers += [
        Peer("other-pod-same-namespace", ns_labels=OWN_NS, labels={"app": "debug"}),
        Peer("prometheus", namespace="monitoring", ns_labels=PROM_NS, labels=prom_pod),
        Peer("ingress-controller", namespace="ingress-nginx", ns_labels=INGRESS_NS, labels={"app": "controller"}),
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
    if dst == "web":
        return src.name == "ingress-controller"  # HTTP: only through the Ingress
    if dst == "metadata":
        return src.name in (*FRONTENDS, "web", "relay", "operator")
    if dst == "redis":
        return src.name in ("metadata", *FRONTENDS)
    if dst == "minio":
        return src.name in ("metadata", *FRONTENDS, "relay", "web")
    if dst == "rspamd":  # scans from smtp, learning from imap
        return src.name == ("smtp" if port_name == "scan" else "imap")
    raise AssertionError(f"unexpected port {dst}/{port_name}")


@pytest.mark.parametrize(
    "case, prom_pod",
    [("default", {"app": "anything"}), ("monitoring-values.yaml", {"app.kubernetes.io/name": "prometheus"})],
)
def test_network_policy_matrix(case: str, prom_pod: dict[str, str]) -> None:
    docs = render(case)
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    assert set(pods) == {"smtp", "imap", "pop3", "web", "relay", "metadata", "operator", "redis", "minio", "rspamd"}
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


def _relay_egress(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, dict[str, str]]]:
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    return policies, pods["relay"], pods


def test_relay_egress_reaches_exactly_metadata_blobs_dns_and_smtp() -> None:
    docs = render("default")
    policies, relay, pods = _relay_egress(docs)
    own = {"kubernetes.io/metadata.name": NAMESPACE}
    metadata, minio, redis = (Peer(c, ns_labels=own, labels=pods[c]) for c in ("metadata", "minio", "redis"))
    kube_dns = Peer("kube-dns", namespace="kube-system", ns_labels={"kubernetes.io/metadata.name": "kube-system"})
    mx4, mx6 = Peer("mx", ip="203.0.113.25"), Peer("mx6", ip="2001:db8::25")
    allowed = [
        (metadata, 50051, "TCP"), (minio, 9000, "TCP"),
        (kube_dns, 53, "UDP"), (kube_dns, 53, "TCP"), (Peer("resolver", ip="192.0.2.53"), 53, "UDP"),
        (mx4, 25, "TCP"), (mx6, 25, "TCP"), (mx4, 465, "TCP"), (mx4, 587, "TCP"), (mx4, 443, "TCP"),
    ]  # fmt: skip
    denied = [
        (redis, 6379, "TCP"), (metadata, 9100, "TCP"), (minio, 50051, "TCP"),
        (mx4, 22, "TCP"), (mx4, 80, "TCP"), (mx4, 6379, "TCP"), (mx4, 2525, "TCP"), (mx4, 53, "SCTP"),
        (Peer("apiserver", ip="10.96.0.1"), 6443, "TCP"),
    ]  # fmt: skip
    wrong = [f"{d.name}:{p}/{proto} allowed" for d, p, proto in denied if egress_allowed(policies, relay, d, p, proto)]
    wrong += [
        f"{d.name}:{p}/{proto} denied" for d, p, proto in allowed if not egress_allowed(policies, relay, d, p, proto)
    ]
    assert not wrong, wrong
    # Only the relay's egress is restricted: the other pods keep theirs.
    assert egress_allowed(policies, pods["smtp"], mx4, 22)


def test_relay_egress_follows_smarthost_port_and_external_s3() -> None:
    docs = template("--set", "relay.smarthost.host=smtp.provider.example", "--set", "relay.smarthost.port=2525")
    policies, relay, _ = _relay_egress(docs)
    assert egress_allowed(policies, relay, Peer("smarthost", ip="198.51.100.7"), 2525)
    ext = template("-f", str(CHART / "ci" / "external-backends-values.yaml"))
    policies, relay, _ = _relay_egress(ext)
    s3 = Peer("s3", ip="52.95.0.1")
    assert egress_allowed(policies, relay, s3, 443), "s3.eu-west-1.amazonaws.com has no port: HTTPS"
    assert not egress_allowed(policies, relay, s3, 9000)
    ext9 = template("--set", "minio.enabled=false", "--set", "minio.external.endpoint=s3.internal:9443",
                    "--set", "minio.external.existingSecret=s3")  # fmt: skip
    policies, relay, _ = _relay_egress(ext9)
    assert egress_allowed(policies, relay, s3, 9443)
