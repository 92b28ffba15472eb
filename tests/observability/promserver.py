"""A real Prometheus (Debian's `prometheus` binary) scraping local targets, for tests.

Storage in a temporary directory, listening on a free loopback port, scraping every target
each second. Targets carry `namespace` and `pod` labels the way the Prometheus Operator
adds them in the cluster, so dashboard and alert selectors see the same label set.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.servers import listening_ports


class PromError(RuntimeError):
    """The Prometheus HTTP API answered with an error (e.g. a query does not parse)."""


class Prometheus:
    def __init__(
        self,
        workdir: Path,
        targets: dict[str, int],
        namespace: str = "kubemail-test",
        rule_files: list[str] | None = None,
    ) -> None:
        if shutil.which("prometheus") is None:
            raise RuntimeError("prometheus is not installed (apt-get install prometheus)")
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = 0  # bound by prometheus itself (127.0.0.1:0), read back from /proc
        self.targets = targets
        self.namespace = namespace
        self.rule_files = rule_files or []
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        """One job per service, named like the chart's ServiceMonitor names them (kubemail-<svc>-metrics)."""
        jobs = [
            {
                "job_name": f"kubemail-{svc}-metrics",
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{port}"],
                        "labels": {
                            "namespace": self.namespace,
                            "pod": f"kubemail-{svc}-0",
                            "service": f"kubemail-{svc}-metrics",
                        },
                    }
                ],
            }
            for svc, port in sorted(self.targets.items())
        ]
        return {
            "global": {"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"},
            "rule_files": self.rule_files,
            "scrape_configs": jobs,
        }

    def start(self, timeout: float = 30.0) -> Prometheus:
        cfg = self.dir / "prometheus.yml"
        cfg.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        log = open(self.dir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={cfg}",
                f"--storage.tsdb.path={self.dir / 'data'}",
                "--web.listen-address=127.0.0.1:0",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log()[-2000:]}")
            if not self.port:
                bound = listening_ports(self.proc.pid)
                if len(bound) > 1:
                    raise RuntimeError(f"prometheus listens on several ports: {sorted(bound)}")
                self.port = bound.pop() if bound else 0
                if not self.port:
                    time.sleep(0.1)
                    continue
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"prometheus not ready after {timeout}s: {self.log()[-2000:]}")

    def log(self) -> str:
        p = self.dir / "prometheus.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    # -- HTTP API ---------------------------------------------------------------------

    def api(self, path: str, params: dict[str, str] | None = None) -> Any:
        data = urllib.parse.urlencode(params or {}).encode()
        req = urllib.request.Request(f"{self.url}/api/v1/{path}", data=data if params else None)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
        if body.get("status") != "success":
            raise PromError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; raises PromError if `expr` does not parse or evaluate."""
        data = self.api("query", {"query": expr})
        result = data["result"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return list(result)

    def metric_names(self) -> set[str]:
        return set(self.api("label/__name__/values"))

    def targets_up(self) -> dict[str, str]:
        data = self.api("targets")
        return {t["labels"]["job"]: t["health"] for t in data["activeTargets"]}

    def wait_scrapes(self, n: int = 2, timeout: float = 30.0) -> None:
        """Waits until every target has been scraped `n` more times (healthy)."""
        want = {t: None for t in self.targets}
        start = time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.api("targets")
            done = 0
            for t in data["activeTargets"]:
                last = t.get("lastScrape", "")
                if t["health"] == "up" and last and _rfc3339(last) > start + (n - 1):
                    done += 1
            if done >= len(want):
                return
            time.sleep(0.25)
        raise TimeoutError(f"targets not scraped: {self.api('targets')['activeTargets']}")

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Polls until the instant query returns data."""
        deadline = time.monotonic() + timeout
        while True:
            res = self.query(expr)
            if res or time.monotonic() > deadline:
                return res
            time.sleep(0.25)


def _rfc3339(ts: str) -> float:
    """Go's RFC 3339 with nanoseconds -> unix seconds."""
    import datetime
    import re

    m = re.match(r"^([^.]+?)(\.\d+)?(Z|[+-]\d\d:\d\d)$", ts)
    if not m:
        raise ValueError(ts)
    base, frac, zone = m.groups()
    dt = datetime.datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return dt.timestamp() + (float(frac) if frac else 0.0)
