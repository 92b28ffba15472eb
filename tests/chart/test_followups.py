"""Chart follow-ups: metadata load balancing via a headless Service, no `_created` series, scrape job
names, and the production scheduling values (spread, priority, selectors, pull secrets, labels)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.chart.helpers import (
    CASES,
    CHART,
    NAMESPACE,
    RELEASE,
    THROWAWAY,
    Peer,
    by_kind,
    component,
    containers,
    crd_validators,
    ingress_allowed,
    render,
    run_helm,
    selector_matches,
    template,
    validate,
    workloads,
)

FULL = f"{RELEASE}-kubemail"
KUBEMAIL = ("smtp", "imap", "pop3", "web", "relay", "metadata", "operator")
ALL_PODS = (*KUBEMAIL, "redis", "minio", "rspamd")
ADDR = re.compile(r"^dns:///(?P<svc>[a-z0-9-]+)\.(?P<ns>[a-z0-9-]+)\.svc\.(?P<domain>[a-z0-9.-]+):(?P<port>\d+)$")


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {component(w): w for w in workloads(docs)}


def _pod_labels(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {c: w["spec"]["template"]["metadata"]["labels"] for c, w in _pods(docs).items()}


def _metadata_target(docs: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    """The Service and port the clients' KUBEMAIL_METADATA_ADDR names; every client names the same one."""
    pods = _pods(docs)
    clients = ("smtp", "imap", "pop3", "web", "relay", "operator")
    addrs = {_env(containers(pods[c])[0])["KUBEMAIL_METADATA_ADDR"] for c in clients}
    assert len(addrs) == 1, addrs
    m = ADDR.match(addrs.pop())
    assert m, "KUBEMAIL_METADATA_ADDR is not a dns:/// target"
    assert m["ns"] == NAMESPACE
    return by_kind(docs, "Service")[m["svc"]], int(m["port"])


# --- 1. metadata behind a headless Service ----------------------------------------------------------


@pytest.mark.parametrize(
    "args, domain, port",
    [
        ((), "cluster.local", 50051),
        (
            ("--set", "fullnameOverride=post", "--set", "clusterDomain=k8s.example", "--set", "metadata.port=6000"),
            "k8s.example",
            6000,
        ),
    ],
)
def test_clients_resolve_the_headless_metadata_service(args: tuple[str, ...], domain: str, port: int) -> None:
    docs = template(*args)
    svc, addr_port = _metadata_target(docs)
    assert addr_port == port
    m = ADDR.match(_env(containers(_pods(docs)["smtp"])[0])["KUBEMAIL_METADATA_ADDR"])
    assert m and m["domain"] == domain
    # Headless: DNS returns the pod addresses, so round_robin sees every metadata pod.
    assert svc["spec"]["clusterIP"] == "None"
    assert not svc["spec"].get("publishNotReadyAddresses"), "only ready pods may receive calls"
    # It selects the metadata pods and nothing else of the release.
    labels = _pod_labels(docs)
    selected = {c for c, lab in labels.items() if selector_matches({"matchLabels": svc["spec"]["selector"]}, lab)}
    assert selected == {"metadata"}
    # It exposes the gRPC port: the address port is a Service port whose target is the container's grpc port.
    (svc_port,) = [p for p in svc["spec"]["ports"] if p["port"] == addr_port]
    md = containers(_pods(docs)["metadata"])[0]
    named = {p["name"]: p["containerPort"] for p in md["ports"]}
    assert svc_port["targetPort"] == "grpc" and named["grpc"] == port
    assert svc_port.get("appProtocol") == "grpc"
    assert _env(md)["KUBEMAIL_METADATA_LISTEN"] == f"[::]:{port}"
    assert md["readinessProbe"]["grpc"]["port"] == port, "readiness gates which pods DNS returns"
    # The ClusterIP Service stays for other consumers, on the same selector and port.
    name = svc["metadata"]["name"].removesuffix("-headless")
    assert name != svc["metadata"]["name"]
    plain = by_kind(docs, "Service")[name]
    assert plain["spec"]["type"] == "ClusterIP" and plain["spec"].get("clusterIP") != "None"
    assert plain["spec"]["selector"] == svc["spec"]["selector"]
    assert [(p["port"], p["targetPort"]) for p in plain["spec"]["ports"]] == [(port, "grpc")]


@pytest.mark.parametrize(
    "args",
    [(), ("-f", str(CHART / "ci" / "monitoring-values.yaml")), ("--set", "metadata.port=6000")],
)
def test_network_policies_allow_exactly_the_clients_to_the_metadata_pods(args: tuple[str, ...]) -> None:
    """Calls through the headless Service go straight to pod IPs on the container port: the policies
    must admit the front-ends (web included), the relay and the operator there, and nobody else."""
    docs = template(*args)
    policies = list(by_kind(docs, "NetworkPolicy").values())
    assert policies
    _, port = _metadata_target(docs)
    labels = _pod_labels(docs)
    own = {"kubernetes.io/metadata.name": NAMESPACE}
    sources = [Peer(c, ns_labels=own, labels=lab) for c, lab in labels.items()]
    sources += [
        Peer("debug-pod", ns_labels=own, labels={"app": "debug"}),
        Peer("prometheus", namespace="monitoring", ns_labels={"kubernetes.io/metadata.name": "monitoring"}),
        Peer(
            "other-ns-smtp-copy", namespace="x", ns_labels={"kubernetes.io/metadata.name": "x"}, labels=labels["smtp"]
        ),
        Peer("internet", ip="192.0.2.10"),
    ]
    allowed = {s.name for s in sources if ingress_allowed(policies, s, labels["metadata"], port)}
    assert allowed == {"smtp", "imap", "pop3", "web", "relay", "operator"}


# --- 2. no `_created` series -------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_every_kubemail_container_disables_created_series(case: str) -> None:
    docs = render(case)
    seen = set()
    for comp, wl in _pods(docs).items():
        for c in containers(wl):
            env = _env(c)
            if comp in KUBEMAIL:
                assert env.get("PROMETHEUS_DISABLE_CREATED_SERIES") == "True", f"{case}: {comp}"
                seen.add(comp)
    assert seen >= {"smtp", "imap", "metadata", "operator"}


def test_the_variable_really_drops_created_series() -> None:
    """What the env does to prometheus-client (read at import), with and without it."""
    code = (
        "from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest\n"
        "r = CollectorRegistry()\n"
        "Counter('kubemail_x_total', 'x', registry=r).inc()\n"
        "Histogram('kubemail_y_seconds', 'y', registry=r).observe(0.1)\n"
        "print(generate_latest(r).decode())\n"
    )

    def exposition(extra: dict[str, str]) -> str:
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_DISABLE_CREATED_SERIES"}
        proc = subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    value = by_kind(render("default"), "Deployment")[f"{FULL}-smtp"]
    chart_value = _env(containers(value)[0])["PROMETHEUS_DISABLE_CREATED_SERIES"]
    assert "_created" in exposition({})
    off = exposition({"PROMETHEUS_DISABLE_CREATED_SERIES": chart_value})
    assert "_created" not in off and "kubemail_x_total 1.0" in off


# --- 4. scrape job names -----------------------------------------------------------------------------


def _meta_name(label: str) -> str:
    return "__meta_kubernetes_service_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label)


def _scrape_job(monitor: dict[str, Any], svc: dict[str, Any]) -> str:
    """The job label Prometheus gives a target of `svc`, as prometheus-operator configures it: job =
    the Service's `jobLabel` label (else the Service name), then the endpoint's relabelings."""
    labels = svc["metadata"]["labels"]
    job_label = monitor["spec"].get("jobLabel")
    target = {_meta_name(k): v for k, v in labels.items()}
    target["job"] = labels.get(job_label, svc["metadata"]["name"]) if job_label else svc["metadata"]["name"]
    (endpoint,) = monitor["spec"]["endpoints"]
    for rule in endpoint.get("relabelings", []):
        assert rule.get("action", "replace") == "replace"
        value = rule.get("separator", ";").join(target.get(s, "") for s in rule["sourceLabels"])
        m = re.fullmatch(rule.get("regex", "(.*)"), value)
        if m:
            target[rule["targetLabel"]] = m.expand(rule.get("replacement", "$1").replace("$", "\\"))
    return target["job"]


@pytest.mark.parametrize(
    "args",
    [(), ("--set", "fullnameOverride=mail"), ("--set", "nameOverride=post", "--set", "fullnameOverride=mx-prod")],
)
def test_scrape_job_is_kubemail_component_regardless_of_names(args: tuple[str, ...]) -> None:
    docs = template("-f", str(CHART / "ci" / "monitoring-values.yaml"), *args)
    (monitor,) = by_kind(docs, "ServiceMonitor").values()
    selector = monitor["spec"]["selector"]
    scraped = [s for s in by_kind(docs, "Service").values() if selector_matches(selector, s["metadata"]["labels"])]
    # The kubemail components, and the bundled Redis' exporter sidecar (KubemailRedisMemoryHigh).
    assert {component(s) for s in scraped} == {*KUBEMAIL, "redis"}
    for svc in scraped:
        job = _scrape_job(monitor, svc)
        assert job == f"kubemail-{component(svc)}", svc["metadata"]["name"]
        assert re.fullmatch(".*kubemail.*", job)  # what rules/*.yaml and the dashboards select on
    if args:
        # Without the chart's jobLabel/relabeling the job (the Service name) would miss "kubemail".
        assert all("kubemail" not in s["metadata"]["name"] for s in scraped)
    validate(monitor, "1.33", {})


# --- 5. production scheduling values -----------------------------------------------------------------


def _scheduling_values(comp: str) -> dict[str, Any]:
    return {
        "nodeSelector": {"node-role/mail": comp},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": comp, "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}
                    ]
                }
            }
        },
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"},
            {
                "maxSkew": 2,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"custom": comp}},
            },
        ],
        "priorityClassName": f"mail-{comp}",
        "podLabels": {"team": "mail", "app.kubernetes.io/component": "hijack"},
        "podAnnotations": {"example.com/owner": comp},
    }


def test_scheduling_values_reach_every_pod(tmp_path: Path) -> None:
    values: dict[str, Any] = {c: _scheduling_values(c) for c in ALL_PODS}
    values["imagePullSecrets"] = [{"name": "regcred"}]
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    proc = run_helm("lint", "--strict", str(CHART), *THROWAWAY, "-f", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = template("-f", str(path))
    pods = _pods(docs)
    assert set(pods) == set(ALL_PODS)
    crds = crd_validators(docs)
    for comp, wl in pods.items():
        validate(wl, "1.33", crds)
        spec, meta = wl["spec"]["template"]["spec"], wl["spec"]["template"]["metadata"]
        want = values[comp]
        assert spec["nodeSelector"] == want["nodeSelector"], comp
        assert spec["tolerations"] == want["tolerations"], comp
        assert spec["affinity"] == want["affinity"], comp
        assert spec["priorityClassName"] == f"mail-{comp}", comp
        assert spec["imagePullSecrets"] == [{"name": "regcred"}], comp
        assert meta["annotations"]["example.com/owner"] == comp
        labels = meta["labels"]
        assert labels["team"] == "mail"
        assert labels["app.kubernetes.io/component"] == comp, "podLabels must not override the chart's labels"
        assert selector_matches(wl["spec"]["selector"], labels), comp
        defaulted, explicit = spec["topologySpreadConstraints"]
        assert explicit["labelSelector"] == {"matchLabels": {"custom": comp}}
        # The defaulted selector counts exactly this component's pods.
        matched = {
            c
            for c, w in pods.items()
            if selector_matches(defaulted["labelSelector"], w["spec"]["template"]["metadata"]["labels"])
        }
        assert matched == {comp}
        assert defaulted["topologyKey"] == "topology.kubernetes.io/zone"


def test_defaults_add_no_scheduling_constraints() -> None:
    for comp, wl in _pods(render("default")).items():
        spec = wl["spec"]["template"]["spec"]
        for key in ("nodeSelector", "tolerations", "affinity", "topologySpreadConstraints", "priorityClassName"):
            assert key not in spec, f"{comp}: {key}"
        assert "imagePullSecrets" not in spec


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "redis.toleration[0].key=x"], "toleration"),
        (["--set", "minio.priorityClass=x"], "priorityClass"),
        (["--set", "smtp.topologySpreadConstraints=x"], "topologySpreadConstraints"),
    ],
)
def test_schema_rejects_scheduling_typos(args: list[str], message: str) -> None:
    proc = run_helm("template", "x", str(CHART), *args)
    assert proc.returncode != 0 and message in proc.stderr
