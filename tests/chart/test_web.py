"""The web front-end in the chart: Deployment, Service, HPA, PDB, the Ingress (hosts, paths, TLS), the
published settings reaching the container and, through the real service, the documents clients get;
its NetworkPolicy (HTTP from the Ingress controller only, egress to metadata, blobs and DNS only)."""

from __future__ import annotations

import inspect
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from services.common import config
from services.common.config import CommonConfig, parse_networks
from services.web import activesync
from services.web.config import WebConfig
from services.web.server import WebServer, build_app
from tests.chart.helpers import (
    CHART,
    K8S_VERSIONS,
    NAMESPACE,
    RELEASE,
    Peer,
    by_kind,
    component,
    containers,
    crd_validators,
    egress_allowed,
    ingress_allowed,
    real_settings,
    render,
    template,
    validate,
    workloads,
)

FULL = f"{RELEASE}-kubemail"
NAME = f"{FULL}-web"
PORTS = (
    "KUBEMAIL_WEB_IMAPS_PORT",
    "KUBEMAIL_WEB_IMAP_PORT",
    "KUBEMAIL_WEB_POP3S_PORT",
    "KUBEMAIL_WEB_POP3_PORT",
    "KUBEMAIL_WEB_SUBMISSIONS_PORT",
    "KUBEMAIL_WEB_SUBMISSION_PORT",
)
DOMAINS = ("--set", "web.ingress.domains={example.com,example.net}")
OWN_NS = {"kubernetes.io/metadata.name": NAMESPACE}
CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
IC = "networkPolicy.ingressController"


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return containers(by_kind(docs, "Deployment")[NAME])[0]


def _ingress(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return by_kind(docs, "Ingress")[NAME]


def _rules(ing: dict[str, Any]) -> dict[str, list[str]]:
    """host -> path prefixes, checking every path is a Prefix to the web Service's http port."""
    out: dict[str, list[str]] = {}
    for rule in ing["spec"]["rules"]:
        paths = []
        for p in rule["http"]["paths"]:
            assert p["pathType"] == "Prefix", p
            assert p["backend"] == {"service": {"name": NAME, "port": {"name": "http"}}}, p
            paths.append(p["path"])
        assert rule["host"] not in out, f"duplicate rule for {rule['host']}"
        out[rule["host"]] = paths
    return out


# --- workloads -----------------------------------------------------------------------------------


def test_web_deployment_service_hpa_pdb_and_probes() -> None:
    docs = render("default")
    dep = by_kind(docs, "Deployment")[NAME]
    c = containers(dep)[0]
    assert c["args"] == ["web"]
    assert "replicas" not in dep["spec"], "the HPA owns the replica count"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8080, "metrics": 9100}
    assert _env(c)["KUBEMAIL_WEB_PORT"] == "8080"
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["securityContext"]["readOnlyRootFilesystem"] is True and c["securityContext"]["capabilities"] == {
        "drop": ["ALL"]
    }
    assert {"cpu", "memory"} <= set(c["resources"]["limits"]) and {"cpu", "memory"} <= set(c["resources"]["requests"])
    # TLS ends at the Ingress: the web pods mount no certificate.
    assert [m["name"] for m in c["volumeMounts"]] == ["tmp"]
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert "kubemail.io/mail-frontend" not in pod_labels, "the shared mail Service must not select the web pods"
    svc = by_kind(docs, "Service")[NAME]
    assert svc["spec"]["type"] == "ClusterIP"
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [("http", 80, "http")]
    hpa = by_kind(docs, "HorizontalPodAutoscaler")[NAME]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    pdb = by_kind(docs, "PodDisruptionBudget")[NAME]
    for sel in (svc["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
        assert sel["app.kubernetes.io/component"] == "web"
        assert all(pod_labels[k] == v for k, v in sel.items())
    # Nothing else of the release carries the web selector.
    others = [w for w in workloads(docs) if w is not dep]
    assert not any(
        svc["spec"]["selector"].items() <= w["spec"]["template"]["metadata"]["labels"].items() for w in others
    )


def test_grace_period_covers_the_service_drain() -> None:
    drain = inspect.signature(WebServer.stop).parameters["grace"].default
    spec = by_kind(render("default"), "Deployment")[NAME]["spec"]["template"]["spec"]
    pre = int(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    assert spec["terminationGracePeriodSeconds"] > pre + drain
    with pytest.raises(AssertionError, match=r"web\.terminationGracePeriodSeconds"):
        template("--set", "web.terminationGracePeriodSeconds=20")


def test_web_off_and_autoscaling_off() -> None:
    off = template("--set", "web.enabled=false")
    assert not [d for d in off if d["metadata"]["name"] == NAME]
    assert not [d for d in off if d["kind"] == "Ingress"]
    fixed = template("--set", "web.autoscaling.enabled=false", "--set", "web.replicaCount=3")
    assert by_kind(fixed, "Deployment")[NAME]["spec"]["replicas"] == 3
    assert NAME not in by_kind(fixed, "HorizontalPodAutoscaler")


# --- environment ---------------------------------------------------------------------------------


def test_default_env_publishes_the_mail_services() -> None:
    env = _env(_container(render("default")))
    assert env["KUBEMAIL_WEB_MAIL_HOST"] == "mail.example.com"
    assert env["KUBEMAIL_WEB_PUBLIC_URL"] == "https://mail.example.com"
    assert [env[p] for p in PORTS] == ["993", "143", "995", "110", "465", "587"]
    assert env["KUBEMAIL_WEB_MTA_STS_MODE"] == "testing"
    assert env["KUBEMAIL_WEB_MTA_STS_MX"] == "mail.example.com"
    assert env["KUBEMAIL_WEB_MTA_STS_MAX_AGE"] == "604800"
    assert env["KUBEMAIL_WEB_EAS_REQUIRE_PASSWORD"] == "false"
    assert env["KUBEMAIL_METADATA_ADDR"] == f"dns:///{FULL}-metadata-headless.mail.svc.cluster.local:50051"
    assert env["KUBEMAIL_S3_ENDPOINT"] == f"{FULL}-minio.mail.svc:9000"
    assert env["KUBEMAIL_S3_ACCESS_KEY"]["secretKeyRef"]["name"] == f"{FULL}-minio"
    # X-Forwarded-For is believed from the private ranges where the Ingress controller's pods live.
    assert env["KUBEMAIL_PROXY_NETWORKS"] == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    assert "KUBEMAIL_PROXY_LISTENERS" not in env
    assert "KUBEMAIL_TLS_CERT" not in env


@pytest.mark.parametrize(
    "args, want",
    [
        (
            ("--set", "imap.service.ports.imaps=10993", "--set", "smtp.service.ports.submission=2587"),
            ["10993", "143", "995", "110", "465", "2587"],
        ),
        (("--set", "pop3.enabled=false"), ["993", "143", "0", "0", "465", "587"]),
        (("--set", "mailService.enabled=true", "--set", "smtp.enabled=false"), ["993", "143", "995", "110", "0", "0"]),
        # Without TLS the servers offer neither implicit TLS nor STARTTLS: nothing to describe.
        (
            (
                "--set",
                "tls.enabled=false",
            ),
            ["0"] * 6,
        ),
    ],
)
def test_published_ports_follow_the_mail_services(args: tuple[str, ...], want: list[str]) -> None:
    env = _env(_container(template(*args)))
    assert [env[p] for p in PORTS] == want


def test_web_values_reach_the_container(settings: set[str]) -> None:
    docs = template(
        "--set", "hostname=mx1.example.org",
        "--set", "web.mailHost=imap.example.org",
        "--set", "web.publicUrl=https://eas.example.org",
        "--set", "web.mtaSts.mode=enforce",
        "--set", "web.mtaSts.mx={mx1.example.org,*.mx.example.org}",
        "--set", "web.mtaSts.maxAge=86400",
        "--set", "web.activeSync.requirePassword=true",
        "--set", "web.activeSync.minPasswordLength=8",
        "--set", "web.activeSync.maxInactivitySeconds=300",
        "--set", "web.trustedProxies={10.42.0.0/16}",
        "--set", "web.port=8081",
        "--set", "sharedNetworks={100.64.0.0/10}",
        "--set", "web.env.KUBEMAIL_WEB_MAX_BODY_BYTES=131072",
        "--set", "web.env.KUBEMAIL_WEB_POP3_PORT=0",
    )  # fmt: skip
    c = _container(docs)
    env = _env(c)
    assert env["KUBEMAIL_HOSTNAME"] == "mx1.example.org"
    assert env["KUBEMAIL_WEB_MAIL_HOST"] == "imap.example.org"
    assert env["KUBEMAIL_WEB_PUBLIC_URL"] == "https://eas.example.org"
    assert env["KUBEMAIL_WEB_MTA_STS_MODE"] == "enforce"
    assert env["KUBEMAIL_WEB_MTA_STS_MX"] == "mx1.example.org,*.mx.example.org"
    assert env["KUBEMAIL_WEB_MTA_STS_MAX_AGE"] == "86400"
    assert env["KUBEMAIL_WEB_EAS_REQUIRE_PASSWORD"] == "true"
    assert env["KUBEMAIL_WEB_EAS_MIN_PASSWORD_LENGTH"] == "8"
    assert env["KUBEMAIL_WEB_EAS_MAX_INACTIVITY_SECONDS"] == "300"
    assert env["KUBEMAIL_PROXY_NETWORKS"] == "10.42.0.0/16"
    assert env["KUBEMAIL_AUTH_SHARED_NETWORKS"] == "100.64.0.0/10"
    assert (
        env["KUBEMAIL_WEB_PORT"] == "8081" and {"name": "http", "containerPort": 8081, "protocol": "TCP"} in c["ports"]
    )
    assert env["KUBEMAIL_WEB_MAX_BODY_BYTES"] == "131072"
    # web.env replaces the chart's own entry in place; the name appears once.
    names = [e["name"] for e in c["env"]]
    assert names.count("KUBEMAIL_WEB_POP3_PORT") == 1 and env["KUBEMAIL_WEB_POP3_PORT"] == "0"
    assert all(n in settings for n in env if n.startswith("KUBEMAIL_"))
    assert "KUBEMAIL_WEB_MAX_BODY_BYTES" not in _env(containers(by_kind(docs, "Deployment")[f"{FULL}-imap"])[0])
    # Empty trustedProxies: the header is never believed (no setting at all).
    assert "KUBEMAIL_PROXY_NETWORKS" not in _env(_container(template("--set", "web.trustedProxies=null")))


@pytest.fixture(scope="module")
def settings() -> set[str]:
    found = real_settings()
    assert {"KUBEMAIL_WEB_MAIL_HOST", "KUBEMAIL_WEB_PUBLIC_URL", "KUBEMAIL_PROXY_NETWORKS"} <= found
    return found


def _service_configs(docs: list[dict[str, Any]]) -> tuple[WebConfig, CommonConfig]:
    """The service's own settings, loaded by its own loader from the env the chart renders."""
    env = {e["name"]: e["value"] for e in _container(docs)["env"] if "value" in e}
    return config.load(WebConfig, env), config.load(CommonConfig, env)


async def test_the_real_service_answers_every_ingress_host_from_the_chart_values() -> None:
    docs = template(
        *DOMAINS,
        "--set", "web.mtaSts.mode=enforce",
        "--set", "web.publicUrl=https://eas.example.com/",
        "--set", "pop3.enabled=false",
    )  # fmt: skip
    cfg, common = _service_configs(docs)
    assert [str(n) for n in parse_networks(common.proxy_networks)][:1] == ["10.0.0.0/8"]
    hosts = _rules(_ingress(docs))
    server = TestServer(build_app(cfg, common), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with ClientSession() as http:

            async def get(host: str, path: str) -> tuple[int, str]:
                async with http.get(server.make_url(path), headers={"Host": host}) as resp:
                    return resp.status, await resp.text()

            # Thunderbird asks autoconfig.<domain>: the servers are the mail host on the published ports.
            status, body = await get("autoconfig.example.net", "/mail/config-v1.1.xml")
            assert status == 200, body
            provider = ET.fromstring(body).find("emailProvider")
            assert provider is not None and provider.get("id") == "example.net"
            servers = {
                (s.get("type"), int(s.findtext("port") or 0), s.findtext("socketType"), s.findtext("hostname"))
                for s in provider
                if s.tag in ("incomingServer", "outgoingServer")
            }
            assert servers == {
                ("imap", 993, "SSL", "mail.example.com"),
                ("imap", 143, "STARTTLS", "mail.example.com"),
                ("smtp", 465, "SSL", "mail.example.com"),
                ("smtp", 587, "STARTTLS", "mail.example.com"),
            }, "no POP3: the chart runs none"
            # The policy the mta-sts.<domain> host serves.
            status, body = await get("mta-sts.example.com", "/.well-known/mta-sts.txt")
            assert status == 200
            assert body.split("\r\n")[:4] == [
                "version: STSv1",
                "mode: enforce",
                "mx: mail.example.com",
                "max_age: 604800",
            ]
            # Autodiscover hands out the public ActiveSync URL.
            status, body = await get(
                "autodiscover.example.com", "/autodiscover/autodiscover.json/v1.0/a@example.com?Protocol=ActiveSync"
            )
            assert status == 200 and '"https://eas.example.com/Microsoft-Server-ActiveSync"' in body
    finally:
        await server.close()
    assert set(hosts) == {
        "mail.example.com",
        *(f"{p}.{d}" for d in ("example.com", "example.net") for p in ("autoconfig", "autodiscover", "mta-sts")),
    }


def test_mail_host_paths_cover_every_route_of_the_service() -> None:
    docs = render("default")
    cfg, common = _service_configs(docs)
    routes = {r.resource.canonical for r in build_app(cfg, common).router.routes() if r.resource is not None}
    routes.add(activesync.PATH)
    (paths,) = _rules(_ingress(docs)).values()
    # Every route reaches the pods through some prefix (Ingress prefixes match whole path elements) ...
    uncovered = [r for r in routes if not any(r == p or r.startswith(p.rstrip("/") + "/") for p in paths)]
    assert not uncovered
    # ... and every prefix leads somewhere.
    assert all(any(r == p or r.startswith(p + "/") for r in routes) for p in paths), paths


# --- Ingress -------------------------------------------------------------------------------------


def test_ingress_hosts_and_paths() -> None:
    docs = template(*DOMAINS, "--set", "web.ingress.className=nginx")
    ing = _ingress(docs)
    assert ing["spec"]["ingressClassName"] == "nginx"
    hosts = _rules(ing)
    assert list(hosts) == [
        "mail.example.com",
        "autoconfig.example.com", "autodiscover.example.com", "mta-sts.example.com",
        "autoconfig.example.net", "autodiscover.example.net", "mta-sts.example.net",
    ]  # fmt: skip
    assert hosts["mail.example.com"] == [
        "/Microsoft-Server-ActiveSync", "/autodiscover", "/Autodiscover", "/.well-known", "/mail", "/apple",
    ]  # fmt: skip
    assert all(paths == ["/"] for host, paths in hosts.items() if host != "mail.example.com")
    # The backend port name is the web Service's.
    svc = by_kind(docs, "Service")[NAME]
    assert "http" in {p["name"] for p in svc["spec"]["ports"]}
    # ingress-nginx: ActiveSync Ping long polls and 25 MiB SendMail bodies pass.
    ann = ing["metadata"]["annotations"]
    assert int(ann["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert ann["nginx.ingress.kubernetes.io/proxy-body-size"] == "26m"
    default = _ingress(render("default"))
    assert "ingressClassName" not in default["spec"], "empty className = the cluster's default class"
    assert list(_rules(default)) == ["mail.example.com"]
    # The mail host follows web.mailHost, then hostname.
    assert list(_rules(_ingress(template("--set", "hostname=mx.example.org")))) == ["mx.example.org"]
    assert list(_rules(_ingress(template("--set", "web.mailHost=m.example.org")))) == ["m.example.org"]
    assert not by_kind(template("--set", "web.ingress.enabled=false"), "Ingress")


@pytest.mark.parametrize(
    "args, secret, issuer",
    [
        ((), f"{FULL}-tls", None),
        (("--set", "tls.existingSecret=mail-example-com-tls"), "mail-example-com-tls", None),
        (("--set", "tls.enabled=false"), None, None),
        (("--set", "web.ingress.tls.source=none"), None, None),
        (("--set", "web.ingress.tls.source=certManager"), f"{FULL}-web-tls", (CLUSTER_ISSUER, "letsencrypt")),
        (
            ("--set", "web.ingress.tls.source=certManager", "--set", "web.ingress.tls.secretName=autoconf-tls",
             "--set", "tls.certManager.issuerRef.kind=Issuer", "--set", "tls.certManager.issuerRef.name=acme"),
            "autoconf-tls",
            ("cert-manager.io/issuer", "acme"),
        ),
    ],
)  # fmt: skip
def test_ingress_tls_sources(args: tuple[str, ...], secret: str | None, issuer: tuple[str, str] | None) -> None:
    docs = template(*DOMAINS, *args)
    ing = _ingress(docs)
    hosts = list(_rules(ing))
    if secret is None:
        assert "tls" not in ing["spec"]
    else:
        assert ing["spec"]["tls"] == [{"hosts": hosts, "secretName": secret}]
    ann = ing["metadata"].get("annotations") or {}
    cm = {k: v for k, v in ann.items() if k.startswith("cert-manager.io/")}
    assert cm == (dict([issuer]) if issuer else {})
    if secret and not issuer:
        # The same Secret the mail pods mount.
        imap = by_kind(docs, "Deployment")[f"{FULL}-imap"]["spec"]["template"]["spec"]
        assert {"name": "tls", "secret": {"secretName": secret, "defaultMode": 288}} in imap["volumes"]
    for version in K8S_VERSIONS:
        validate(ing, version, {})


def test_shared_certificate_lists_the_ingress_hosts() -> None:
    docs = render("cert-manager-values.yaml")
    (cert,) = by_kind(docs, "Certificate").values()
    ing = _ingress(docs)
    assert ing["spec"]["tls"][0]["secretName"] == cert["spec"]["secretName"]
    names = cert["spec"]["dnsNames"]
    assert set(ing["spec"]["tls"][0]["hosts"]) <= set(names)
    assert names[:3] == ["mail.example.org", "imap.example.org", "smtp.example.org"], "the mail names stay first"
    assert len(names) == len(set(names))
    assert "mta-sts.example.net" in names
    # With the Ingress's own cert-manager certificate the mail Certificate keeps only the mail names.
    own = template("-f", str(CHART / "ci" / "cert-manager-values.yaml"), "--set", "web.ingress.tls.source=certManager")
    (cert,) = by_kind(own, "Certificate").values()
    assert cert["spec"]["dnsNames"] == ["mail.example.org", "imap.example.org", "smtp.example.org"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "web.ingress.domains={Example.COM}"], "lower-case DNS domain"),
        (["--set", "web.ingress.domains={example}"], "lower-case DNS domain"),
        (["--set", "web.ingress.paths={mail}"], "does not start with /"),
        (["--set", "web.ingress.paths=null"], "at least one path"),
        (["--set", "web.ingress.tls.source=letsencrypt"], "source"),
        (["--set", "web.mtaSts.mode=strict"], "mode"),
        (["--set", "web.ingres.enabled=true"], "ingres"),
        (["--set", "web.env.WEB_PORT=1"], "WEB_PORT"),
    ],
)
def test_web_values_are_checked(args: list[str], message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        template(*args)


@pytest.mark.parametrize(
    "args",
    [
        DOMAINS,
        (
            *DOMAINS,
            "--set",
            "web.ingress.tls.source=certManager",
            "--set",
            "networkPolicy.ingressController.allowAll=true",
        ),
        ("--set", "tls.enabled=false", "--set", "web.service.type=NodePort"),
    ],
)
def test_web_manifests_validate(args: tuple[str, ...]) -> None:
    docs = template(*args)
    crds = crd_validators(docs)
    mine = [d for d in docs if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "web"]
    assert {d["kind"] for d in mine} >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    for version in K8S_VERSIONS:
        for doc in mine:
            try:
                validate(doc, version, crds)
            except jsonschema.ValidationError as exc:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} invalid for {version}: {exc.message}")


# --- NetworkPolicy -------------------------------------------------------------------------------


def _pods(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {component(w): w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs)}


CONTROLLER = Peer(
    "ingress-nginx", namespace="ingress-nginx", ns_labels={"kubernetes.io/metadata.name": "ingress-nginx"},
    labels={"app.kubernetes.io/name": "ingress-nginx"},
)  # fmt: skip
TRAEFIK = Peer(
    "traefik", namespace="kube-system", ns_labels={"kubernetes.io/metadata.name": "kube-system"},
    labels={"app.kubernetes.io/name": "traefik"},
)  # fmt: skip


@pytest.mark.parametrize(
    "args, admitted",
    [
        ((), {"ingress-nginx"}),
        (
            ("--set", f"{IC}.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=kube-system",
             "--set", f"{IC}.podSelector.matchLabels.app\\.kubernetes\\.io/name=traefik"),
            {"traefik"},
        ),
        (("--set", f"{IC}.allowAll=true"), {"ingress-nginx", "traefik", "internet", "smtp", "debug", "prometheus"}),
    ],
)  # fmt: skip
def test_web_http_port_only_from_the_ingress_controller(args: tuple[str, ...], admitted: set[str]) -> None:
    docs = template(*args)
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    sources = [
        CONTROLLER,
        TRAEFIK,
        Peer("internet", ip="203.0.113.9"),
        Peer("smtp", ns_labels=OWN_NS, labels=pods["smtp"]),
        Peer("debug", ns_labels=OWN_NS, labels={"app": "debug"}),
        Peer("prometheus", namespace="monitoring", ns_labels={"kubernetes.io/metadata.name": "monitoring"}),
    ]
    got = {s.name for s in sources if ingress_allowed(policies, s, pods["web"], 8080)}
    assert got == admitted
    # Metrics stay Prometheus-only whatever the HTTP rule.
    assert {s.name for s in sources if ingress_allowed(policies, s, pods["web"], 9100)} == {"prometheus"}


def test_web_egress_reaches_exactly_metadata_blobs_and_dns() -> None:
    docs = render("default")
    policies = list(by_kind(docs, "NetworkPolicy").values())
    pods = _pods(docs)
    web = pods["web"]
    metadata, minio, redis, smtp = (
        Peer(c, ns_labels=OWN_NS, labels=pods[c]) for c in ("metadata", "minio", "redis", "smtp")
    )
    kube_dns = Peer("kube-dns", namespace="kube-system", ns_labels={"kubernetes.io/metadata.name": "kube-system"})
    outside = Peer("outside", ip="198.51.100.4")
    allowed = [(metadata, 50051, "TCP"), (minio, 9000, "TCP"), (kube_dns, 53, "UDP"), (kube_dns, 53, "TCP")]
    denied = [
        (redis, 6379, "TCP"), (metadata, 9100, "TCP"), (smtp, 2525, "TCP"), (minio, 50051, "TCP"),
        (outside, 443, "TCP"), (outside, 80, "TCP"), (outside, 25, "TCP"), (outside, 9000, "TCP"),
        (Peer("apiserver", ip="10.96.0.1"), 443, "TCP"),
    ]  # fmt: skip
    wrong = [f"{d.name}:{p}/{pr} denied" for d, p, pr in allowed if not egress_allowed(policies, web, d, p, pr)]
    wrong += [f"{d.name}:{p}/{pr} allowed" for d, p, pr in denied if egress_allowed(policies, web, d, p, pr)]
    assert not wrong, wrong
    # The metadata and MinIO policies admit web; Redis does not.
    web_peer = Peer("web", ns_labels=OWN_NS, labels=web)
    assert ingress_allowed(policies, web_peer, pods["metadata"], 50051)
    assert ingress_allowed(policies, web_peer, pods["minio"], 9000)
    assert not ingress_allowed(policies, web_peer, pods["redis"], 6379)
    # An external S3 endpoint: its port, anywhere (no MinIO pods).
    ext = template("-f", str(CHART / "ci" / "external-backends-values.yaml"))
    policies = list(by_kind(ext, "NetworkPolicy").values())
    s3 = Peer("s3", ip="52.95.0.1")
    assert egress_allowed(policies, _pods(ext)["web"], s3, 443)
    assert not egress_allowed(policies, _pods(ext)["web"], s3, 25)
