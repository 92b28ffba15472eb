"""The suite as processes, scraped by a real Prometheus; driven by smtplib, imaplib, poplib.

Every dashboard panel query and variable query returns data, every alert expression
evaluates, every metric the services expose is documented, and 1,000 distinct senders add
no series.
"""

from __future__ import annotations

import concurrent.futures
import re
import smtplib
import time
import urllib.request
from collections import Counter

import pytest

from tests.observability import helpers, traffic
from tests.observability.conftest import REFUSED, Observed
from tests.observability.test_metrics_doc import documented, registered

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(240)]


def _drive(obs: Observed) -> None:
    user, password = obs.user, obs.password
    assert traffic.smtp_mx(obs.port("smtp"), user, [f"warmup{i}@sender.test" for i in range(3)]) == 3
    traffic.smtp_failures(obs.port("smtp"), obs.port("submission"), user)
    traffic.smtp_submission(obs.port("submission"), user, password)
    if "relay" in obs.services:
        traffic.smtp_outbound(obs.port("submission"), user, password, ["bob@remote.test", REFUSED])
        _wait_relayed(obs)  # before the Redis outage below, which would fail the relay's Complete
    if "imap" in obs.services:
        traffic.imap(obs.port("imap"), user, password)
    if "pop3" in obs.services:
        traffic.pop3(obs.port("pop3"), user, password)
    if "web" in obs.services:
        traffic.web(obs.port("http"), user, password)


def _redis_outage(obs: Observed) -> None:
    """kill -9 redis-server: mail gets a 4xx (never a 250), then service resumes after a restart."""
    obs.suite.kill("redis")  # type: ignore[attr-defined]
    try:
        with pytest.raises((smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as err:
            traffic.smtp_mx(obs.port("smtp"), obs.user, ["outage@sender.test"])
        exc = err.value
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
        else:
            codes = [int(getattr(exc, "smtp_code", 0))]
        assert all(400 <= c < 500 for c in codes), f"backend down must give 4xx, got {err.value}"
    finally:
        obs.suite.restart("redis")  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while True:
        try:
            if traffic.smtp_mx(obs.port("smtp"), obs.user, ["recovered@sender.test"]) == 1:
                return
        except smtplib.SMTPException:
            pass
        assert time.monotonic() < deadline, "no delivery within 30 s after redis-server came back"
        time.sleep(0.5)


def _exposed(obs: Observed) -> set[str]:
    """Series names the running services declare on /metrics (with histogram/counter suffixes)."""
    names = {"up"}  # Prometheus' own per-target series
    for svc in obs.services:
        types, _ = _exposition(obs.metrics_port(svc))
        for name, mtype in types.items():
            names.add(name)
            if mtype == "histogram":
                names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
            if mtype == "counter" and not name.endswith("_total"):
                names.add(name + "_total")
    return names


def _accepted(obs: Observed) -> float:
    res = obs.prom.query('sum(kubemail_smtp_messages_total{result="accepted"})')
    return float(res[0]["value"][1]) if res else 0.0


def _outcomes(obs: Observed) -> dict[str, float]:
    res = obs.prom.query("sum by (result) (kubemail_relay_deliveries_total)")
    return {r["metric"]["result"]: float(r["value"][1]) for r in res}


def _wait_relayed(obs: Observed, timeout: float = 60.0) -> None:
    """The relay delivered one recipient to the smarthost and bounced the refused one, as Prometheus saw it."""
    deadline = time.monotonic() + timeout
    while not (_outcomes(obs).get("delivered", 0) >= 1 and _outcomes(obs).get("bounced", 0) >= 1):
        assert time.monotonic() < deadline, f"relay outcomes seen by Prometheus: {_outcomes(obs)}"
        time.sleep(0.25)
    assert obs.sink is not None
    got = obs.sink.wait(1)
    assert [r.rcpt_to for r in got] == [["bob@remote.test"]], got


def _wait_accepted(obs: Observed, at_least: float, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while _accepted(obs) < at_least:
        assert time.monotonic() < deadline, f"Prometheus saw {_accepted(obs)} accepted messages, want {at_least}"
        time.sleep(0.25)


def _expected_empty(dash: str, obs: Observed) -> bool:
    """Only if the operator target were missing could its dashboard be empty (it always runs here)."""
    return dash == "operator" and "operator" not in obs.services


def test_dashboards_and_alerts_evaluate_against_real_prometheus(observed: Observed) -> None:
    obs = observed
    _drive(obs)
    _redis_outage(obs)
    _wait_accepted(obs, 5)
    # a second round of wrong passwords, after a scrape: increase() sees them even for
    # counters whose series the first failure created
    traffic.failed_logins(
        {
            "submission": obs.port("submission"),
            **{s: obs.port(s) for s in ("imap", "pop3") if s in obs.services},
            **({"http": obs.port("http")} if "web" in obs.services else {}),
        },
        obs.user,
    )
    obs.prom.wait_scrapes(3)

    scraped = obs.prom.metric_names()
    exposed = _exposed(obs)
    known = exposed | {n + s for n in registered()["metrics"] for s in ("", "_bucket", "_sum", "_count")}
    problems: list[str] = []

    for dash, panel, expr in helpers.panel_queries():
        names = helpers.metric_names(expr)
        unknown = names - known
        if unknown:
            problems.append(f"{dash} / {panel}: unknown metrics {sorted(unknown)}")
            continue
        if not _expected_empty(dash, obs) and names - exposed:
            problems.append(f"{dash} / {panel}: no running service exposes {sorted(names - exposed)}")
        try:
            result = obs.prom.query(helpers.substitute(expr))
        except Exception as exc:
            problems.append(f"{dash} / {panel}: {exc}")
            continue
        if not _expected_empty(dash, obs):
            if not result:
                problems.append(f"{dash} / {panel}: no data for {helpers.substitute(expr)}")
            elif names - scraped:
                problems.append(f"{dash} / {panel}: not scraped: {sorted(names - scraped)}")

    for dash, var, expr in helpers.variable_queries():
        try:
            result = obs.prom.query(helpers.substitute(expr))
        except Exception as exc:
            problems.append(f"{dash} / ${var}: {exc}")
            continue
        if not result and not _expected_empty(dash, obs):
            problems.append(f"{dash} / ${var}: no values for {expr}")

    for rule in helpers.alerts():
        # Third-party exporter series (redis_exporter) are documented, but nothing here exports them.
        unknown = helpers.metric_names(rule["expr"]) - known - helpers.external_metrics()
        if unknown:
            problems.append(f"alert {rule['alert']}: unknown metrics {sorted(unknown)}")
        try:
            obs.prom.query(rule["expr"])
        except Exception as exc:
            problems.append(f"alert {rule['alert']}: {exc}")

    # The outage is visible: Redis errors counted, and front-ends told UNAVAILABLE (as the proto promises).
    redis_alert = next(r for r in helpers.alerts() if r["alert"] == "KubemailRedisErrors")
    if not obs.prom.query(redis_alert["expr"]):
        problems.append("after killing redis-server the KubemailRedisErrors condition does not hold")
    if not obs.prom.query('sum(kubemail_grpc_client_calls_total{code="UNAVAILABLE"}) > 0'):
        problems.append("after killing redis-server no front-end saw a metadata call end UNAVAILABLE")

    # The operator reconciled the MailDomain that operator_proc created.
    if "operator" in obs.services and not obs.prom.query(
        'sum(kubemail_operator_reconciliations_total{kind="MailDomain", result="success"}) > 0'
    ):
        problems.append("no successful MailDomain reconciliation seen on the operator's /metrics")

    # One wrong password per protocol was sent: the auth-burst expression sees each of them.
    burst = next(r for r in helpers.alerts() if r["alert"] == "KubemailAuthFailureBurst")
    seen = {r["metric"].get("service") for r in obs.prom.query(burst["expr"].replace("> 100", "> 0"))}
    # the relay takes no logins; the web front-end's are ActiveSync's
    seen = {"web" if s == "activesync" else s for s in seen}
    missing = set(obs.services) - {"metadata", "operator", "relay"} - seen
    if missing:
        problems.append(f"failed logins not visible to KubemailAuthFailureBurst for {sorted(missing)}")

    assert not problems, "\n".join(problems)


def test_rules_load_into_prometheus_and_evaluate(observed: Observed) -> None:
    """Prometheus loads the rule files, evaluates every rule without error, and none fires."""
    obs = observed
    want = {r["alert"] for r in helpers.alerts()}
    deadline = time.monotonic() + 30
    while True:
        rules = [r for g in obs.prom.api("rules")["groups"] for r in g["rules"]]
        bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") == "err"]
        assert not bad, bad
        if {r["name"] for r in rules} >= want and all(r.get("health") == "ok" for r in rules):
            break
        assert time.monotonic() < deadline, [(r["name"], r.get("health")) for r in rules]
        time.sleep(0.5)
    firing = [a for a in obs.prom.api("alerts")["alerts"] if a["state"] == "firing"]
    assert not firing, firing


def _exposition(port: int) -> tuple[dict[str, str], list[str]]:
    """(family name -> type, sample lines) of one /metrics page."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    types = {}
    samples = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ", 3)
            types[name] = mtype
        elif line and not line.startswith("#"):
            samples.append(line)
    return types, samples


def test_every_exposed_metric_is_documented_and_vice_versa(observed: Observed) -> None:
    docs = documented()
    problems = []
    for svc in observed.services:
        types, _ = _exposition(observed.metrics_port(svc))
        exposed = {}
        for name, mtype in types.items():
            if name.endswith("_created") and name.removesuffix("_created") + "_total" in types:
                continue  # counter _created gauges
            if name.endswith("_created") and types.get(name.removesuffix("_created")) == "histogram":
                continue
            if mtype == "counter" and not name.endswith("_total"):
                name += "_total"
            exposed[name] = mtype
        for name, mtype in exposed.items():
            if name not in docs:
                problems.append(f"{svc} exposes undocumented {name}")
            elif docs[name]["type"] != mtype:
                problems.append(f"{svc}: {name} is a {mtype}, documented as {docs[name]['type']}")
        for name, d in docs.items():
            if (svc in d["exposed_by"] or "all" in d["exposed_by"]) and name not in exposed:
                problems.append(f"docs say {svc} exposes {name}, but it does not")
            if name in exposed and svc not in d["exposed_by"] and "all" not in d["exposed_by"]:
                problems.append(f"{svc} exposes {name}; add {svc} to its 'exposed by' column")
    assert not problems, "\n".join(problems)


_ID_LIKE = re.compile(r"@|[0-9a-f]{16,}|\b\d{1,3}(\.\d{1,3}){3}\b")


def _series_per_metric(obs: Observed) -> Counter[str]:
    res = obs.prom.query('count by (__name__) ({__name__=~"kubemail_.+"})')
    return Counter({r["metric"]["__name__"]: int(float(r["value"][1])) for r in res})


def test_series_stay_bounded_after_1000_distinct_senders(observed: Observed) -> None:
    obs = observed
    base = _accepted(obs)
    assert traffic.smtp_mx(obs.port("smtp"), obs.user, [f"first{i}@warm.test" for i in range(5)]) == 5
    _wait_accepted(obs, base + 5)
    obs.prom.wait_scrapes(2)
    before = _series_per_metric(obs)

    senders = [f"sender{i}.{i * 7919 % 1000}@distinct{i % 37}.test" for i in range(1000)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        batches = [senders[i::4] for i in range(4)]
        sent = sum(pool.map(lambda b: traffic.smtp_mx(obs.port("smtp"), obs.user, b), batches))
    assert sent == 1000
    _wait_accepted(obs, base + 1005, timeout=90)
    obs.prom.wait_scrapes(2)
    after = _series_per_metric(obs)

    grown = {n: (before.get(n, 0), c) for n, c in after.items() if c > before.get(n, 0)}
    # A handful of new label combinations may appear (a timer's first run); addresses would add hundreds.
    assert sum(c - b for b, c in grown.values()) <= 10, grown
    assert all(c - b <= 5 for b, c in grown.values()), grown

    leaks = []
    for series in obs.prom.query('{__name__=~"kubemail_.+"}'):
        for label, value in series["metric"].items():
            if label != "instance" and _ID_LIKE.search(value):
                leaks.append(series["metric"])
    assert not leaks, f"labels carrying addresses/ids/IPs: {leaks[:5]}"
