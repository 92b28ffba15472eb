"""The chart's Rspamd (issue 15): a hardened Deployment with probes, a PDB, a Service and a
NetworkPolicy, wired into the smtp (scan) and imap (learn) environments; or an external URL."""

from __future__ import annotations

from typing import Any

from tests.chart.helpers import NAMESPACE, RELEASE, by_kind, containers, render, template

FULL = f"{RELEASE}-kubemail"
NAME = f"{FULL}-rspamd"
SERVICE = f"http://{NAME}.{NAMESPACE}.svc.cluster.local"


def _env(docs: list[dict[str, Any]], comp: str) -> dict[str, str]:
    c = containers(by_kind(docs, "Deployment")[f"{FULL}-{comp}"])[0]
    return {e["name"]: e.get("value", "") for e in c.get("env", [])}


def test_bundled_rspamd_is_deployed_and_wired() -> None:
    docs = render("default")
    dep = by_kind(docs, "Deployment")[NAME]
    (c,) = containers(dep)
    assert c["command"][:2] == ["rspamd", "-f"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"scan": 11333, "controller": 11334}
    assert c["readinessProbe"]["httpGet"] == {"path": "/ping", "port": "scan"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/ping", "port": "controller"}
    assert dep["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 11333
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert {"/etc/rspamd/local.d", "/var/lib/rspamd", "/run/rspamd", "/tmp"} <= mounts
    svc = by_kind(docs, "Service")[NAME]
    assert {p["port"] for p in svc["spec"]["ports"]} == {11333, 11334}
    assert by_kind(docs, "PodDisruptionBudget")[NAME]["spec"]["maxUnavailable"] == 1
    config = by_kind(docs, "ConfigMap")[NAME]["data"]
    assert 'bind_socket = "*:11333"' in config["worker-normal.inc"]
    assert "classifier-bayes.conf" not in config  # no Redis for Bayes unless given
    smtp, imap, pop3 = _env(docs, "smtp"), _env(docs, "imap"), _env(docs, "pop3")
    assert smtp["KUBEMAIL_RSPAMD_URL"] == f"{SERVICE}:11333"
    assert smtp["KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN"] == "true" and smtp["KUBEMAIL_RSPAMD_TIMEOUT"] == "10"
    assert imap["KUBEMAIL_RSPAMD_CONTROLLER_URL"] == f"{SERVICE}:11334"
    assert "KUBEMAIL_RSPAMD_URL" not in imap and "KUBEMAIL_RSPAMD_CONTROLLER_URL" not in smtp
    assert not any(k.startswith("KUBEMAIL_RSPAMD") for k in pop3)


def test_external_rspamd_and_none() -> None:
    docs = template(
        "--set", "rspamd.enabled=false",
        "--set", "rspamd.externalUrl=http://spam.example:11333",
        "--set", "rspamd.externalControllerUrl=http://spam.example:11334",
        "--set", "rspamd.failOpen=false",
    )  # fmt: skip
    assert NAME not in by_kind(docs, "Deployment") and NAME not in by_kind(docs, "NetworkPolicy")
    assert _env(docs, "smtp")["KUBEMAIL_RSPAMD_URL"] == "http://spam.example:11333"
    assert _env(docs, "smtp")["KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN"] == "false"
    assert _env(docs, "imap")["KUBEMAIL_RSPAMD_CONTROLLER_URL"] == "http://spam.example:11334"
    none = template("--set", "rspamd.enabled=false")
    assert not any(k.startswith("KUBEMAIL_RSPAMD") for k in _env(none, "smtp"))
    assert not any(k.startswith("KUBEMAIL_RSPAMD") for k in _env(none, "imap"))


def test_bayes_redis_reaches_the_config() -> None:
    docs = template("--set", "rspamd.redis.servers=rspamd-redis:6379")
    config = by_kind(docs, "ConfigMap")[NAME]["data"]
    assert 'servers = "rspamd-redis:6379"' in config["redis.conf"]
    assert 'backend = "redis"' in config["classifier-bayes.conf"]
