"""What the rendered chart does: scaling units, pod security, probes, ports, env, TLS, RBAC."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.chart.helpers import (
    CASES,
    CHART,
    RELEASE,
    by_kind,
    component,
    containers,
    real_settings,
    render,
    template,
    workloads,
)

FULL = f"{RELEASE}-kubemail"
PROTOCOLS = ("smtp", "imap", "pop3")
MAIL_PORTS = {
    "smtp": {25: 2525, 587: 2587, 465: 2465},
    "imap": {143: 1143, 993: 1993},
    "pop3": {110: 1110, 995: 1995},
}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _deployment_container(docs: list[dict[str, Any]], comp: str) -> dict[str, Any]:
    return containers(by_kind(docs, "Deployment")[f"{FULL}-{comp}"])[0]


def test_each_protocol_has_its_own_deployment_service_hpa_pdb() -> None:
    docs = render("default")
    deployments, hpas = by_kind(docs, "Deployment"), by_kind(docs, "HorizontalPodAutoscaler")
    services, pdbs = by_kind(docs, "Service"), by_kind(docs, "PodDisruptionBudget")
    for comp in (*PROTOCOLS, "metadata"):
        name = f"{FULL}-{comp}"
        dep = deployments[name]
        assert containers(dep)[0]["args"] == [comp]
        assert "replicas" not in dep["spec"], "the HPA owns the replica count"
        hpa = hpas[name]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["spec"]["minReplicas"] >= 1 and hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
        # Service, PDB and Deployment select exactly this component's pods.
        pod_labels = dep["spec"]["template"]["metadata"]["labels"]
        for sel in (services[name]["spec"]["selector"], pdbs[name]["spec"]["selector"]["matchLabels"]):
            assert sel["app.kubernetes.io/component"] == comp
            assert all(pod_labels[k] == v for k, v in sel.items())
    assert services[f"{FULL}-metadata"]["spec"]["type"] == "ClusterIP"
    targets = [h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()]
    assert len(targets) == len(set(targets)) == 4
    assert deployments[f"{FULL}-operator"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["operator"]


def test_autoscaling_off_sets_replicas() -> None:
    docs = render("minimal-values.yaml")
    assert not by_kind(docs, "HorizontalPodAutoscaler")
    assert by_kind(docs, "Deployment")[f"{FULL}-smtp"]["spec"]["replicas"] == 1
    assert f"{FULL}-pop3" not in by_kind(docs, "Deployment")


@pytest.mark.parametrize("case", CASES)
def test_no_container_runs_as_root_and_all_are_hardened(case: str) -> None:
    docs = render(case)
    assert workloads(docs)
    for wl in workloads(docs):
        pod = wl["spec"]["template"]["spec"]
        psc = pod.get("securityContext", {})
        vol_by_name = {v["name"]: v for v in pod.get("volumes", [])}
        for c in containers(wl):
            where = f"{case}: {wl['metadata']['name']}/{c['name']}"
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, where
            uid = sc.get("runAsUser", psc.get("runAsUser"))
            assert isinstance(uid, int) and uid > 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            assert sc.get("privileged", False) is False, where
            seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", where
            limits, requests = c["resources"].get("limits", {}), c["resources"].get("requests", {})
            assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(requests), where
            assert "livenessProbe" in c and "readinessProbe" in c, where
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
            assert "emptyDir" in vol_by_name[mounts["/tmp"]["name"]], where
            assert not any("subPath" in m or "subPathExpr" in m for m in mounts.values()), where
        assert not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC")


def test_probes_are_wired_to_health_endpoints() -> None:
    docs = render("default")
    for comp in (*PROTOCOLS, "operator"):
        c = _deployment_container(docs, comp)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports["metrics"] == 9100
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    md = _deployment_container(docs, "metadata")
    assert md["readinessProbe"]["grpc"] == {"port": 50051}
    assert md["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert {"name": "grpc", "containerPort": 50051, "protocol": "TCP"} in md["ports"]


def test_services_map_standard_ports_to_unprivileged_container_ports() -> None:
    docs = render("default")
    for comp, mapping in MAIL_PORTS.items():
        svc = by_kind(docs, "Service")[f"{FULL}-{comp}"]
        assert svc["spec"]["type"] == "LoadBalancer"
        c = _deployment_container(docs, comp)
        named = {p["name"]: p["containerPort"] for p in c["ports"]}
        got = {p["port"]: named[p["targetPort"]] for p in svc["spec"]["ports"]}
        assert got == mapping, comp
        assert all(cp >= 1024 for cp in named.values())
        assert 9100 not in {p["port"] for p in svc["spec"]["ports"]}, "metrics are not published on the LB"
    svc = by_kind(docs, "Service")[f"{FULL}-metadata"]
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(50051, "grpc")]


def test_listener_env_matches_container_ports() -> None:
    docs = render("default")
    env_names = {
        "smtp": ["KUBEMAIL_SMTP_MX_PORT", "KUBEMAIL_SMTP_SUBMISSION_PORT", "KUBEMAIL_SMTP_SUBMISSIONS_PORT"],
        "imap": ["KUBEMAIL_IMAP_PORT", "KUBEMAIL_IMAP_TLS_PORT"],
        "pop3": ["KUBEMAIL_POP3_PORT", "KUBEMAIL_POP3_TLS_PORT"],
    }
    for comp, names in env_names.items():
        env = _deployment_container(docs, comp)["env"]
        values = {e["name"]: e["value"] for e in env if "value" in e}
        assert sorted(int(values[n]) for n in names) == sorted(MAIL_PORTS[comp].values())


def test_without_tls_the_implicit_tls_listeners_are_off() -> None:
    docs = render("minimal-values.yaml")
    smtp = _deployment_container(docs, "smtp")
    env = _env(smtp)
    assert env["KUBEMAIL_SMTP_SUBMISSIONS_PORT"] == "0"
    assert "KUBEMAIL_TLS_CERT" not in env
    assert 465 not in {p["port"] for p in by_kind(docs, "Service")[f"{FULL}-smtp"]["spec"]["ports"]}


@pytest.mark.parametrize("case", CASES)
def test_every_env_var_is_a_real_setting(case: str, settings: set[str]) -> None:
    docs = render(case)
    for wl in workloads(docs):
        for c in containers(wl):
            env = c.get("env", [])
            names = [e["name"] for e in env]
            assert len(names) == len(set(names)), f"duplicate env in {wl['metadata']['name']}"
            for i, e in enumerate(env):
                if e["name"].startswith("KUBEMAIL_"):
                    assert e["name"] in settings, f"{case}: {e['name']} is not a kubemail setting"
                # $(VAR) references must name a variable defined earlier in the list.
                for ref in re.findall(r"\$\((\w+)\)", e.get("value", "")):
                    assert ref in names[:i], f"{e['name']} references {ref} before it is defined"


@pytest.fixture(scope="module")
def settings() -> set[str]:
    found = real_settings()
    assert {"KUBEMAIL_METADATA_ADDR", "KUBEMAIL_TLS_CERT", "KUBEMAIL_PROXY_NETWORKS"} <= found
    return found


def test_tls_secret_mounted_as_directory_and_env_points_into_it() -> None:
    for case, secret in (("default", f"{FULL}-tls"), ("cert-manager-values.yaml", f"{FULL}-tls")):
        docs = render(case)
        for comp in PROTOCOLS:
            dep = by_kind(docs, "Deployment")[f"{FULL}-{comp}"]
            c = containers(dep)[0]
            mount = next(m for m in c["volumeMounts"] if m["name"] == "tls")
            assert "subPath" not in mount and mount["readOnly"] is True
            vol = next(v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "tls")
            assert vol["secret"]["secretName"] == secret
            env = _env(c)
            assert env["KUBEMAIL_TLS_CERT"] == mount["mountPath"] + "/tls.crt"
            assert env["KUBEMAIL_TLS_KEY"] == mount["mountPath"] + "/tls.key"
    cert = next(iter(by_kind(render("cert-manager-values.yaml"), "Certificate").values()))
    assert cert["spec"]["secretName"] == f"{FULL}-tls"
    assert "mail.example.org" in cert["spec"]["dnsNames"]
    assert not by_kind(render("default"), "Certificate")
    docs = render("external-backends-values.yaml")
    vol = next(
        v
        for v in by_kind(docs, "Deployment")[f"{FULL}-imap"]["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "tls"
    )
    assert vol["secret"]["secretName"] == "mail-example-com-tls"


def test_proxy_protocol_switch_and_traffic_policy() -> None:
    default, lb = render("default"), render("loadbalancer-proxy-values.yaml")
    for comp in PROTOCOLS:
        assert "KUBEMAIL_PROXY_NETWORKS" not in _env(_deployment_container(default, comp))
        assert _env(_deployment_container(lb, comp))["KUBEMAIL_PROXY_NETWORKS"] == "10.0.0.0/16"
        svc = by_kind(lb, "Service")[f"{FULL}-{comp}"]
        assert svc["spec"]["type"] == "LoadBalancer" and svc["spec"]["externalTrafficPolicy"] == "Local"
    only_imap = template(
        "--set", "imap.proxyProtocol.enabled=true", "--set", "imap.proxyProtocol.networks={192.0.2.0/24}"
    )
    assert _env(_deployment_container(only_imap, "imap"))["KUBEMAIL_PROXY_NETWORKS"] == "192.0.2.0/24"
    assert "KUBEMAIL_PROXY_NETWORKS" not in _env(_deployment_container(only_imap, "smtp"))
    assert "KUBEMAIL_PROXY_LISTENERS" not in _env(_deployment_container(lb, "smtp"))  # every listener


def test_proxy_protocol_per_listener() -> None:
    docs = template("--set", "smtp.proxyProtocol.enabled=true", "--set", "smtp.proxyProtocol.listeners={mx}")
    env = _env(_deployment_container(docs, "smtp"))
    assert env["KUBEMAIL_PROXY_LISTENERS"] == "mx" and env["KUBEMAIL_PROXY_NETWORKS"] == "10.0.0.0/8"
    with pytest.raises(AssertionError, match="not a smtp listener"):
        template("--set", "smtp.proxyProtocol.enabled=true", "--set", "smtp.proxyProtocol.listeners={imaps}")


def test_shared_networks_reach_every_frontend() -> None:
    default = render("default")
    shared = template("--set", "sharedNetworks={100.64.0.0/10,10.0.0.0/8}")
    for comp in PROTOCOLS:
        assert "KUBEMAIL_AUTH_SHARED_NETWORKS" not in _env(_deployment_container(default, comp))
        assert _env(_deployment_container(shared, comp))["KUBEMAIL_AUTH_SHARED_NETWORKS"] == "100.64.0.0/10,10.0.0.0/8"


def test_frontends_and_metadata_get_backend_settings() -> None:
    docs = render("default")
    md = _env(_deployment_container(docs, "metadata"))
    assert md["KUBEMAIL_REDIS_URL"] == f"redis://:$(REDIS_PASSWORD)@{FULL}-redis.mail.svc:6379/0"
    assert md["KUBEMAIL_METADATA_LISTEN"] == "[::]:50051"  # dual stack
    for comp in (*PROTOCOLS, "metadata"):
        env = _env(_deployment_container(docs, comp))
        assert env["KUBEMAIL_BLOB_BACKEND"] == "s3"
        assert env["KUBEMAIL_S3_ENDPOINT"] == f"{FULL}-minio.mail.svc:9000"
        assert env["KUBEMAIL_S3_SECRET_KEY"]["secretKeyRef"]["name"] == f"{FULL}-minio"
    for comp in (*PROTOCOLS, "operator"):
        addr = _env(_deployment_container(docs, comp))["KUBEMAIL_METADATA_ADDR"]
        assert addr == f"dns:///{FULL}-metadata-headless.mail.svc.cluster.local:50051"
    op = _env(_deployment_container(docs, "operator"))
    assert op["KUBEMAIL_OPERATOR_NAMESPACES"] == "mail" and op["KUBEMAIL_OPERATOR_PEERING_NAME"] == "kubemail"
    assert (
        _env(_deployment_container(render("minimal-values.yaml"), "operator"))["KUBEMAIL_OPERATOR_STANDALONE"] == "true"
    )


def test_external_backends() -> None:
    docs = render("external-backends-values.yaml")
    assert not by_kind(docs, "StatefulSet")
    assert not by_kind(docs, "Secret"), "credentials come from existing Secrets"
    md = _deployment_container(docs, "metadata")
    env = _env(md)
    assert env["KUBEMAIL_REDIS_URL"] == "rediss://:$(REDIS_PASSWORD)@redis.databases.svc:6380/0"
    assert env["KUBEMAIL_REDIS_CLUSTER"] == "true"
    assert env["REDIS_PASSWORD"]["secretKeyRef"] == {"name": "kubemail-redis-credentials", "key": "password"}
    assert env["KUBEMAIL_S3_ENDPOINT"] == "s3.eu-west-1.amazonaws.com" and env["KUBEMAIL_S3_SECURE"] == "true"
    assert env["KUBEMAIL_S3_ACCESS_KEY"]["secretKeyRef"] == {
        "name": "kubemail-s3-credentials",
        "key": "AWS_ACCESS_KEY_ID",
    }


def test_bundled_redis_and_minio() -> None:
    docs = render("default")
    sts = by_kind(docs, "StatefulSet")
    redis, minio = sts[f"{FULL}-redis"], sts[f"{FULL}-minio"]
    for s in (redis, minio):
        claim = s["spec"]["volumeClaimTemplates"][0]
        assert claim["spec"]["resources"]["requests"]["storage"]
        image = containers(s)[0]["image"]
        _repo, _, tag = image.rpartition(":")
        assert tag and tag != "latest" and re.search(r"\d", tag), image
    assert containers(redis)[0]["image"].startswith("docker.io/library/redis:7.")
    assert containers(minio)[0]["image"].startswith("quay.io/minio/minio:RELEASE.")
    conf = by_kind(docs, "ConfigMap")[f"{FULL}-redis"]["data"]["redis.conf"]
    assert re.search(r"^appendonly yes$", conf, re.M) and re.search(r"^appendfsync always$", conf, re.M)
    assert containers(redis)[0]["args"][0] == "/etc/redis/redis.conf"


def test_operator_rbac_is_least_privilege() -> None:
    docs = render("default")
    assert not by_kind(docs, "ClusterRole") and not by_kind(docs, "ClusterRoleBinding")
    role = by_kind(docs, "Role")[f"{FULL}-operator"]
    grants: dict[tuple[str, str], set[str]] = {}
    named: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                target = named if rule.get("resourceNames") else grants
                target.setdefault((group, res), set()).update(rule["verbs"])
    assert all("*" not in verbs for verbs in grants.values()) and ("*", "*") not in grants
    assert grants[("", "secrets")] == {"get", "list", "watch", "create"}
    # patch only on the relay's signing-key Secret, by name
    assert named == {("", "secrets"): {"patch"}}
    (keys_rule,) = [r for r in role["rules"] if r.get("resourceNames")]
    assert keys_rule["resourceNames"] == [f"{FULL}-dkim-keys"]
    assert grants[("", "events")] == {"create"}
    for kind in ("maildomains", "mailusers"):
        assert {"get", "list", "watch", "patch"} <= grants[("kubemail.io", kind)]
        assert "delete" not in grants[("kubemail.io", kind)]
        assert {"patch"} <= grants[("kubemail.io", f"{kind}/status")]
        assert grants[("kubemail.io", f"{kind}/finalizers")] == {"update"}
    assert {"get", "list", "watch", "patch"} <= grants[("kopf.dev", "kopfpeerings")]
    allowed = {"", "kubemail.io", "kopf.dev", "events.k8s.io"}
    assert {g for g, _ in grants} <= allowed
    binding = by_kind(docs, "RoleBinding")[f"{FULL}-operator"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": f"{FULL}-operator", "namespace": "mail"}]
    op = by_kind(docs, "Deployment")[f"{FULL}-operator"]["spec"]["template"]["spec"]
    assert op["serviceAccountName"] == f"{FULL}-operator"
    for comp in (*PROTOCOLS, "metadata"):
        pod = by_kind(docs, "Deployment")[f"{FULL}-{comp}"]["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False


def test_dashboards_and_rules_come_from_the_observability_files() -> None:
    docs = template("-f", str(CHART / "ci" / "monitoring-values.yaml"))  # fresh: the files change under us
    dashboards = sorted((CHART / "dashboards").glob("*.json"))
    maps = [d for d in by_kind(docs, "ConfigMap").values() if d["metadata"]["labels"].get("grafana_dashboard") == "1"]
    assert len(maps) == len(dashboards)
    for cm in maps:
        assert cm["metadata"]["namespace"] == "monitoring"
        ((name, body),) = cm["data"].items()
        assert json.loads(body) == json.loads((CHART / "dashboards" / name).read_text())
    rules = next(iter(by_kind(docs, "PrometheusRule").values()))
    expected = []
    for path in sorted((CHART / "rules").glob("*.yaml")):
        expected += yaml.safe_load(path.read_text()).get("groups", [])
    assert rules["spec"]["groups"] == expected
    assert rules["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    monitor = next(iter(by_kind(docs, "ServiceMonitor").values()))
    metrics_services = [
        s for s in by_kind(docs, "Service").values() if s["metadata"]["labels"].get("kubemail.io/metrics")
    ]
    assert {component(s) for s in metrics_services} == {"smtp", "imap", "pop3", "metadata", "operator", "redis"}
    for s in metrics_services:
        assert all(s["metadata"]["labels"][k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
        port = 9121 if component(s) == "redis" else 9100  # redis_exporter's port
        assert s["spec"]["ports"] == [{"name": "metrics", "port": port, "targetPort": "metrics", "protocol": "TCP"}]
    default = render("default")
    assert not by_kind(default, "ServiceMonitor") and not by_kind(default, "PrometheusRule")


def test_component_env_reaches_only_its_component(settings: set[str]) -> None:
    docs = template("--set", "imap.env.KUBEMAIL_IMAP_IDLE_TIMEOUT=1200", "--set", "extraEnv.KUBEMAIL_LOG_LEVEL=DEBUG")
    imap, smtp = _deployment_container(docs, "imap"), _deployment_container(docs, "smtp")
    assert _env(imap)["KUBEMAIL_IMAP_IDLE_TIMEOUT"] == "1200"
    assert "KUBEMAIL_IMAP_IDLE_TIMEOUT" not in _env(smtp)
    assert "KUBEMAIL_IMAP_IDLE_TIMEOUT" in settings
    # Overrides replace the chart's own entry in place: no duplicate names.
    for comp in ("smtp", "imap", "pop3", "metadata", "operator"):
        names = [e["name"] for e in _deployment_container(docs, comp)["env"]]
        assert len(names) == len(set(names)), comp
        assert _env(_deployment_container(docs, comp))["KUBEMAIL_LOG_LEVEL"] == "DEBUG"
