"""Production readiness (issue #17): Redis capacity and durability, client IPs and one mail IP, PROXY
annotations, credentials under `helm template`, preStop delays and the IMAP connections HPA."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
import yaml

from tests.chart.helpers import (
    CASES,
    CHART,
    NAMESPACE,
    RELEASE,
    by_kind,
    component,
    containers,
    render,
    run_helm,
    template,
    values_args,
    workloads,
)

FULL = f"{RELEASE}-kubemail"
FRONTENDS = ("smtp", "imap", "pop3")
# Seconds each service drains after SIGTERM (stop() grace in services/<name>/server.py).
DRAIN = {"smtp": 20, "imap": 20, "pop3": 10, "web": 10, "metadata": 10}
# The relay: deliveries in flight get 30 s; no Service routes to it, so no preStop sleep by default.
RELAY_DRAIN = 30
UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}
PROXY_ANNOTATION = re.compile(r"proxy-?protocol", re.I)


def _bytes(quantity: str) -> int:
    m = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity)
    assert m, quantity
    return int(m[1]) * UNITS[m[2]]


def _redis_conf(docs: list[dict[str, Any]]) -> dict[str, str]:
    text = by_kind(docs, "ConfigMap")[f"{FULL}-redis"]["data"]["redis.conf"]
    return dict(line.split(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))


def _offline(*args: str) -> tuple[int, str, str]:
    """`helm template` as Argo CD runs it: no cluster, and no generateCredentials opt-in."""
    proc = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    return proc.returncode, proc.stdout, proc.stderr


# --- 1. Redis: maxmemory below the limit, noeviction, fsync always, a memory alert ---------------


@pytest.mark.parametrize("limit", ["1Gi", "512Mi", "4Gi", "2G", "1073741824"])
def test_redis_maxmemory_is_below_the_memory_limit(limit: str) -> None:
    docs = template("--set-string", f"redis.resources.limits.memory={limit}")
    conf = _redis_conf(docs)
    redis = next(c for c in containers(by_kind(docs, "StatefulSet")[f"{FULL}-redis"]) if c["name"] == "redis")
    assert redis["resources"]["limits"]["memory"] == limit
    maxmemory = int(conf["maxmemory"])
    assert 0 < maxmemory < _bytes(limit)
    assert maxmemory == _bytes(limit) * 80 // 100
    assert conf["maxmemory-policy"] == "noeviction"


def test_redis_config_changes_restart_the_pod() -> None:
    def checksum(*args: str) -> str:
        sts = by_kind(template(*args), "StatefulSet")[f"{FULL}-redis"]
        return str(sts["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum() != checksum("--set", "redis.resources.limits.memory=2Gi")
    assert checksum() != checksum("--set", "redis.appendfsync=everysec")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "redis.resources.limits=null"], "redis.resources.limits.memory"),
        (["--set", "redis.maxmemoryPercent=100"], "maxmemoryPercent"),
        (["--set-string", "redis.resources.limits.memory=lots"], "lots"),
    ],
)
def test_redis_maxmemory_needs_a_limit_with_headroom(args: list[str], message: str) -> None:
    proc = run_helm("template", RELEASE, str(CHART), "--set", "generateCredentials=true", *args)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


def test_redis_fsyncs_every_write_by_default_and_everysec_is_opt_in() -> None:
    assert _redis_conf(render("default"))["appendfsync"] == "always"
    assert _redis_conf(template("--set", "redis.appendfsync=everysec"))["appendfsync"] == "everysec"
    readme = (CHART / "README.md").read_text()
    assert "appendfsync: everysec" in readme and "invariant 1" in readme.lower()


def test_redis_memory_alert_is_scraped_and_shipped() -> None:
    monitoring = ("--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true")
    docs = template(*monitoring)
    sts = by_kind(docs, "StatefulSet")[f"{FULL}-redis"]
    exporter = next(c for c in containers(sts) if c["name"] == "metrics")
    port = next(p["containerPort"] for p in exporter["ports"] if p["name"] == "metrics")
    svc = by_kind(docs, "Service")[f"{FULL}-redis-metrics"]
    assert svc["metadata"]["labels"]["kubemail.io/job"] == "kubemail-redis"
    assert svc["spec"]["ports"][0]["port"] == port
    rule = by_kind(docs, "PrometheusRule")[FULL]
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    expr = alerts["KubemailRedisMemoryHigh"]["expr"]
    assert "redis_memory_used_bytes" in expr and "redis_memory_max_bytes" in expr and "> 0.8" in expr
    off = template("--set", "monitoring.serviceMonitor.enabled=true", "--set", "redis.metrics.enabled=false")
    assert f"{FULL}-redis-metrics" not in by_kind(off, "Service")
    assert [c["name"] for c in containers(by_kind(off, "StatefulSet")[f"{FULL}-redis"])] == ["redis"]


# --- 2. client IPs: Local by default; one Service for every mail port ------------------------------


@pytest.mark.parametrize("case", ["default", "dev-values.yaml"])
def test_external_mail_services_keep_client_ips(case: str) -> None:
    services = by_kind(render(case), "Service")
    for comp in FRONTENDS:
        spec = services[f"{FULL}-{comp}"]["spec"]
        assert spec["type"] in ("LoadBalancer", "NodePort")
        assert spec["externalTrafficPolicy"] == "Local", (case, comp)


def _named_ports(workload: dict[str, Any]) -> set[str]:
    return {p["name"] for c in containers(workload) for p in c.get("ports", [])}


def test_one_mail_service_routes_each_port_to_its_protocol_only() -> None:
    docs = render("single-ip-values.yaml")
    services = by_kind(docs, "Service")
    mail = services[f"{FULL}-mail"]["spec"]
    assert mail["type"] == "LoadBalancer" and mail["externalTrafficPolicy"] == "Local"
    selector = mail["selector"]
    pods = {component(w): w for w in workloads(docs)}
    selected = {c for c, w in pods.items() if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()}
    assert selected == set(FRONTENDS)
    ports = {p["port"]: p for p in mail["ports"]}
    assert sorted(ports) == [25, 110, 143, 465, 587, 993, 995]
    for p in mail["ports"]:
        # A named targetPort: the endpoints of this port are the selected pods declaring that name.
        assert isinstance(p["targetPort"], str)
        reach = {c for c in selected if p["targetPort"] in _named_ports(pods[c])}
        want = {"mx": "smtp", "submission": "smtp", "submissions": "smtp", "imap": "imap", "imaps": "imap"}
        assert reach == {want.get(p["name"], "pop3")}, p
    for comp in FRONTENDS:
        assert services[f"{FULL}-{comp}"]["spec"]["type"] == "ClusterIP", "only the shared Service is external"
    assert f"{FULL}-mail" not in by_kind(render("default"), "Service")


def test_mail_service_leaves_out_disabled_protocols_and_tls_ports() -> None:
    docs = template("--set", "mailService.enabled=true", "--set", "pop3.enabled=false", "--set", "tls.enabled=false")
    names = [p["name"] for p in by_kind(docs, "Service")[f"{FULL}-mail"]["spec"]["ports"]]
    assert names == ["mx", "submission", "imap"]


# --- 4. PROXY protocol only behind a load balancer told to send it ---------------------------------


@pytest.mark.parametrize("case", CASES)
def test_every_proxy_listener_has_a_proxy_protocol_load_balancer(case: str) -> None:
    docs = render(case)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in values_args(case)[1:]:
        override = yaml.safe_load(open(path).read()) or {}
        for comp in FRONTENDS:
            values[comp]["proxyProtocol"].update((override.get(comp) or {}).get("proxyProtocol") or {})
    services = by_kind(docs, "Service")
    for comp in FRONTENDS:
        if not values[comp]["proxyProtocol"]["enabled"]:
            continue
        dep = by_kind(docs, "Deployment")[f"{FULL}-{comp}"]
        listeners = {n for n in _named_ports(dep) if n != "metrics"}
        if values[comp]["proxyProtocol"].get("listeners"):  # only these expect the header
            listeners &= set(values[comp]["proxyProtocol"]["listeners"])
        external = [
            s
            for s in services.values()
            if s["spec"].get("type", "ClusterIP") in ("LoadBalancer", "NodePort")
            and listeners & {p["targetPort"] for p in s["spec"]["ports"]}
        ]
        assert external, (case, comp)
        for svc in external:
            annotations = svc["metadata"].get("annotations") or {}
            assert any(PROXY_ANNOTATION.search(k) for k in annotations), (
                f"{case}: {comp} expects PROXY headers but Service {svc['metadata']['name']} does not ask "
                "its load balancer to send them"
            )


# --- 3. credentials under `helm template` ------------------------------------------------------------


def test_offline_render_without_credentials_fails_clearly() -> None:
    """Each chart-generated credential (Redis, MinIO, SRS) fails the offline render, naming its values;
    once all are given, the render succeeds."""
    fixes = {
        "redis.auth.existingSecret": ("--set", "redis.auth.password=r3dis"),
        "minio.auth.existingSecret": ("--set", "minio.auth.accessKey=kubemail", "--set", "minio.auth.secretKey=s3cr3t"),
        "srs.existingSecret": ("--set", "srs.secret=0123456789abcdef"),
    }  # fmt: skip
    args: tuple[str, ...] = ()
    demanded = []
    for _ in fixes:
        rc, _, err = _offline(*args)
        assert rc != 0
        assert "helm template" in err and "generateCredentials" in err, err
        hint = next((h for h in fixes if h in err and h not in demanded), None)
        assert hint, err
        demanded.append(hint)
        args += fixes[hint]
    assert sorted(demanded) == sorted(fixes)
    rc, _, err = _offline(*args)
    assert rc == 0, err


def test_offline_render_with_existing_secrets_creates_none() -> None:
    args = ("--set", "redis.auth.existingSecret=my-redis", "--set", "minio.auth.existingSecret=my-s3",
            "--set", "srs.existingSecret=my-srs")  # fmt: skip
    rc, out, err = _offline(*args)
    assert rc == 0, err
    docs = [d for d in yaml.safe_load_all(out) if d]
    assert not by_kind(docs, "Secret")
    md = next(c for c in containers(by_kind(docs, "Deployment")[f"{FULL}-metadata"]))
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in md["env"] if "valueFrom" in e}
    assert refs == {"my-redis", "my-s3"}


def test_offline_render_with_explicit_values_is_stable() -> None:
    args = (
        "--set", "redis.auth.password=r3dis",
        "--set", "minio.auth.accessKey=kubemail",
        "--set", "minio.auth.secretKey=s3cr3t-s3cr3t",
        "--set", "srs.secret=srs-s3cr3t-0123456789",
    )  # fmt: skip
    first, second = _offline(*args), _offline(*args)
    assert first[0] == 0, first[2]
    assert first[1] == second[1], "two renders must produce the same credentials"
    secrets = by_kind([d for d in yaml.safe_load_all(first[1]) if d], "Secret")
    assert base64.b64decode(secrets[f"{FULL}-redis"]["data"]["redis-password"]) == b"r3dis"
    assert base64.b64decode(secrets[f"{FULL}-minio"]["data"]["secret-key"]) == b"s3cr3t-s3cr3t"
    assert base64.b64decode(secrets[f"{FULL}-srs"]["data"]["srs-secret"]) == b"srs-s3cr3t-0123456789"


def test_generate_credentials_opt_in_renders_offline() -> None:
    rc, out, err = _offline("--set", "generateCredentials=true")
    assert rc == 0, err
    assert {f"{FULL}-redis", f"{FULL}-minio", f"{FULL}-srs"} <= set(
        by_kind([d for d in yaml.safe_load_all(out) if d], "Secret")
    )
    readme = (CHART / "README.md").read_text()
    assert "generateCredentials" in readme and "Argo CD" in readme


# --- 5. preStop delays, grace periods, the IMAP connections HPA -----------------------------------


@pytest.mark.parametrize("case", CASES)
def test_every_frontend_and_metadata_pod_sleeps_before_sigterm(case: str) -> None:
    deployments = {component(d): d for d in by_kind(render(case), "Deployment").values()}
    for comp, drain in DRAIN.items():
        if comp not in deployments:
            continue
        spec = deployments[comp]["spec"]["template"]["spec"]
        cmd = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
        assert cmd[0] == "sleep" and int(cmd[1]) > 0, (case, comp)
        assert spec["terminationGracePeriodSeconds"] > int(cmd[1]) + drain, (case, comp)
    if "relay" in deployments:
        spec = deployments["relay"]["spec"]["template"]["spec"]
        lifecycle = spec["containers"][0].get("lifecycle")
        pre = int(lifecycle["preStop"]["exec"]["command"][1]) if lifecycle else 0
        assert spec["terminationGracePeriodSeconds"] > pre + RELAY_DRAIN, case


def test_grace_period_too_short_for_prestop_and_drain_fails() -> None:
    grace = ("--set", "imap.terminationGracePeriodSeconds=25")
    proc = run_helm("template", "x", str(CHART), "--set", "generateCredentials=true", *grace)
    assert proc.returncode != 0 and "imap.terminationGracePeriodSeconds" in proc.stderr


def test_imap_scales_on_connections_only_when_enabled() -> None:
    def metrics(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(by_kind(docs, "HorizontalPodAutoscaler")[f"{FULL}-imap"]["spec"]["metrics"])

    assert [m["type"] for m in metrics(render("default"))] == ["Resource"]
    on = metrics(template("--set", "imap.autoscaling.connections.enabled=true"))
    assert [m["type"] for m in on] == ["Resource", "Pods"]
    assert on[1]["pods"]["metric"]["name"] == "kubemail_imap_connections"
    assert on[1]["pods"]["target"] == {"type": "AverageValue", "averageValue": "1000"}
    metrics_doc = (CHART.parents[1] / "docs" / "metrics.md").read_text()
    assert "| `kubemail_imap_connections` | gauge |" in metrics_doc
    readme = (CHART / "README.md").read_text()
    assert "kubemail_imap_connections" in readme and "seriesQuery" in readme
