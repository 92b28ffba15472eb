"""What the rendered chart does: scaling units, pod security, probes, ports, env, TLS, RBAC."""

from __future__ import annotations

import base64
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
    for comp in (*PROTOCOLS, "web", "metadata"):
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
    assert len(targets) == len(set(targets)) == 6  # smtp, imap, pop3, web, metadata, relay
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
    for comp in (*PROTOCOLS, "web", "relay", "operator"):
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
    for comp in (*PROTOCOLS, "web", "relay", "metadata"):
        env = _env(_deployment_container(docs, comp))
        assert env["KUBEMAIL_BLOB_BACKEND"] == "s3"
        assert env["KUBEMAIL_S3_ENDPOINT"] == f"{FULL}-minio.mail.svc:9000"
        assert env["KUBEMAIL_S3_SECRET_KEY"]["secretKeyRef"]["name"] == f"{FULL}-minio"
    for comp in (*PROTOCOLS, "web", "relay", "operator"):
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
    for comp in (*PROTOCOLS, "web", "relay", "metadata"):
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
    assert {component(s) for s in metrics_services} == {
        "smtp",
        "imap",
        "pop3",
        "web",
        "relay",
        "metadata",
        "operator",
        "redis",
    }
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
    for comp in ("smtp", "imap", "pop3", "web", "relay", "metadata", "operator"):
        names = [e["name"] for e in _deployment_container(docs, comp)["env"]]
        assert len(names) == len(set(names)), comp
        assert _env(_deployment_container(docs, comp))["KUBEMAIL_LOG_LEVEL"] == "DEBUG"


# --- the relay (outbound delivery) -------------------------------------------------------------------


def _volume(dep: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == name)


def _mounted_file(dep: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The volume a file path of the first container lies in, and the file's name inside it."""
    c = containers(dep)[0]
    for m in c["volumeMounts"]:
        if path.startswith(m["mountPath"].rstrip("/") + "/"):
            assert "subPath" not in m and m.get("readOnly") is True, m
            return _volume(dep, m["name"]), path[len(m["mountPath"].rstrip("/")) + 1 :]
    raise AssertionError(f"{path} is in no mounted volume of {dep['metadata']['name']}")


def test_relay_deployment_hpa_pdb_and_no_service() -> None:
    docs = render("default")
    name = f"{FULL}-relay"
    dep = by_kind(docs, "Deployment")[name]
    c = containers(dep)[0]
    assert c["args"] == ["relay"]
    assert [p["name"] for p in c["ports"]] == ["metrics"], "the relay listens on no mail port"
    assert name not in by_kind(docs, "Service"), "nothing connects to the relay"
    hpa = by_kind(docs, "HorizontalPodAutoscaler")[name]
    assert hpa["spec"]["scaleTargetRef"]["name"] == name
    assert [m["type"] for m in hpa["spec"]["metrics"]] == ["Resource"]
    pdb = by_kind(docs, "PodDisruptionBudget")[name]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "relay"
    assert all(labels[k] == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())
    assert "kubemail.io/mail-frontend" not in labels, "the shared mail Service must not select the relay"
    spec = dep["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] > 30, "the relay drains deliveries for 30 s after SIGTERM"
    env = _env(c)
    assert env["KUBEMAIL_RELAY_RETRY_SCHEDULE"] == "300,600,1200,2400,4000"
    assert env["KUBEMAIL_RELAY_MAX_LIFETIME"] == "432000" and env["KUBEMAIL_RELAY_DELAY_WARNING"] == "14400"
    assert "KUBEMAIL_RELAY_SMARTHOST" not in env and "KUBEMAIL_RELAY_DNS_SERVERS" not in env
    # DKIM keys: the operator's Secret, optional until it exists, mounted as a directory.
    mount = next(m for m in c["volumeMounts"] if m["mountPath"] == env["KUBEMAIL_RELAY_DKIM_KEYS_DIR"])
    dkim = _volume(dep, mount["name"])["secret"]
    assert dkim["secretName"] == f"{FULL}-dkim-keys" and dkim["optional"] is True and "items" not in dkim
    assert "subPath" not in mount
    off = template("--set", "relay.enabled=false")
    assert not [d for d in off if d["metadata"]["name"] == name]


def test_relay_values_reach_its_environment(settings: set[str]) -> None:
    docs = template(
        "--set", "relay.heloName=out.example.com",
        "--set", "relay.dnsServers={10.0.0.10,10.0.0.11:5353}",
        "--set", "relay.retrySchedule={60,120}",
        "--set", "relay.maxLifetime=86400",
        "--set", "relay.delayWarning=0",
        "--set", "relay.smarthost.host=smtp.provider.example",
        "--set", "relay.smarthost.port=465",
        "--set", "relay.smarthost.tls=implicit",
        "--set", "relay.smarthost.username=kubemail",
        "--set", "relay.smarthost.existingSecret=smarthost-auth",
        "--set", "relay.smarthost.passwordKey=pw",
        "--set", "relay.dkim.secretName=my-dkim",
        "--set", "relay.env.KUBEMAIL_RELAY_CONCURRENCY=20",
    )  # fmt: skip
    dep = by_kind(docs, "Deployment")[f"{FULL}-relay"]
    env = _env(containers(dep)[0])
    assert env["KUBEMAIL_RELAY_HELO_NAME"] == "out.example.com"
    assert env["KUBEMAIL_RELAY_DNS_SERVERS"] == "10.0.0.10,10.0.0.11:5353"
    assert env["KUBEMAIL_RELAY_RETRY_SCHEDULE"] == "60,120"
    assert env["KUBEMAIL_RELAY_MAX_LIFETIME"] == "86400" and env["KUBEMAIL_RELAY_DELAY_WARNING"] == "0"
    assert env["KUBEMAIL_RELAY_SMARTHOST"] == "smtp.provider.example:465"
    assert env["KUBEMAIL_RELAY_SMARTHOST_TLS"] == "implicit"
    assert env["KUBEMAIL_RELAY_SMARTHOST_USERNAME"] == "kubemail"
    assert env["KUBEMAIL_RELAY_CONCURRENCY"] == "20"
    assert "KUBEMAIL_RELAY_CONCURRENCY" not in _env(_deployment_container(docs, "smtp"))
    # The password is a file from the user's Secret, never an env value.
    vol, key = _mounted_file(dep, env["KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE"])
    assert vol["secret"]["secretName"] == "smarthost-auth"
    assert {"key": "pw", "path": key} in vol["secret"]["items"]
    assert not any("pw" in str(v) for k, v in env.items() if k != "KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE")
    mount = next(m for m in containers(dep)[0]["volumeMounts"] if m["mountPath"] == env["KUBEMAIL_RELAY_DKIM_KEYS_DIR"])
    assert _volume(dep, mount["name"])["secret"]["secretName"] == "my-dkim"
    assert all(n in settings for n in env if n.startswith("KUBEMAIL_"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "relay.smarthost.tls=ssl"], "tls"),
        (["--set", "relay.smarthost.username=u"], "relay.smarthost.host"),
        (["--set", "relay.smarthos.host=x"], "smarthos"),
        (["--set", "relay.terminationGracePeriodSeconds=30"], "relay.terminationGracePeriodSeconds"),
        (["--set", "srs.secret=short"], "16 characters"),
    ],
)
def test_relay_values_are_checked(args: list[str], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        template(*args)


def test_srs_secret_is_generated_once_and_mounted_into_relay_and_smtp() -> None:
    docs = render("default")
    secret = by_kind(docs, "Secret")[f"{FULL}-srs"]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    (key,) = secret["data"]
    assert len(base64.b64decode(secret["data"][key])) >= 16
    for comp in ("relay", "smtp"):
        dep = by_kind(docs, "Deployment")[f"{FULL}-{comp}"]
        env = _env(containers(dep)[0])
        vol, name = _mounted_file(dep, env["KUBEMAIL_SRS_SECRET_FILE"])
        assert vol["secret"]["secretName"] == f"{FULL}-srs" and name == key
        assert "KUBEMAIL_SRS_DOMAIN" not in env
    for comp in ("imap", "pop3", "metadata"):
        assert "KUBEMAIL_SRS_SECRET_FILE" not in _env(_deployment_container(docs, comp))
    own = template("--set", "srs.existingSecret=mine", "--set", "srs.domain=srs.example.com")
    assert f"{FULL}-srs" not in by_kind(own, "Secret")
    for comp in ("relay", "smtp"):
        dep = by_kind(own, "Deployment")[f"{FULL}-{comp}"]
        env = _env(containers(dep)[0])
        assert _mounted_file(dep, env["KUBEMAIL_SRS_SECRET_FILE"])[0]["secret"]["secretName"] == "mine"
        assert env["KUBEMAIL_SRS_DOMAIN"] == "srs.example.com"
    explicit = template("--set", "srs.secret=0123456789abcdef0123")
    data = by_kind(explicit, "Secret")[f"{FULL}-srs"]["data"]["srs-secret"]
    assert base64.b64decode(data) == b"0123456789abcdef0123"


def test_relay_scales_on_the_queue_only_when_enabled() -> None:
    on = template(
        "--set", "relay.autoscaling.queue.enabled=true", "--set", "relay.autoscaling.queue.averageValue=50"
    )  # fmt: skip
    metrics = by_kind(on, "HorizontalPodAutoscaler")[f"{FULL}-relay"]["spec"]["metrics"]
    assert [m["type"] for m in metrics] == ["Resource", "External"]
    ext = metrics[1]["external"]
    assert ext["metric"]["name"] == "kubemail_relay_queue_due_messages"
    assert ext["metric"]["selector"] == {"matchLabels": {"namespace": "mail"}}
    # One queue for the whole release: AverageValue divides it by the replica count.
    assert ext["target"] == {"type": "AverageValue", "averageValue": "50"}
    readme = (CHART / "README.md").read_text()
    assert "kubemail_relay_queue_due_messages" in readme and "externalRules" in readme
    metrics_doc = (CHART.parents[1] / "docs" / "metrics.md").read_text()
    assert "| `kubemail_relay_queue_due_messages` | gauge |" in metrics_doc
