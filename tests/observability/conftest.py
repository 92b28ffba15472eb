"""The observability fixture: the whole suite as processes, scraped by a real Prometheus."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.smtpsink import Behaviour, SmtpSink
from tests.observability import helpers
from tests.observability.promserver import Prometheus

SERVICES = ("metadata", "smtp", "imap", "pop3", "relay", "web")
# Outbound mail goes through a smarthost sink: this recipient is refused (a bounce), others are taken.
REFUSED = "refused@remote.test"
DOMAIN = "obs.test"
USER = f"alice@{DOMAIN}"
PASSWORD = "correct horse"


@dataclasses.dataclass
class Observed:
    suite: object  # scripts.suite.Suite
    prom: Prometheus
    services: tuple[str, ...]
    user: str = USER
    password: str = PASSWORD
    sink: SmtpSink | None = None

    targets: dict[str, int] = dataclasses.field(default_factory=dict)

    def port(self, listener: str) -> int:
        return int(getattr(self.suite.ports, listener))  # type: ignore[attr-defined]

    def metrics_port(self, service: str) -> int:
        return self.targets[service]


def _missing_services() -> list[str]:
    root = Path(__file__).resolve().parents[2]
    return [s for s in SERVICES if not (root / "services" / s / "__main__.py").exists()]


async def _seed(addr: str) -> None:
    from services.common.grpcclient import MetadataClient
    from tests.fixtures.seed import seed_domain, seed_user

    async with MetadataClient(addr, timeout=10) as client:
        await seed_domain(client, DOMAIN)
        await seed_user(client, USER, PASSWORD)


def _start_operator(work: Path, metadata_addr: str) -> tuple[subprocess.Popen[bytes], int]:
    """tests/observability/operator_proc.py: the operator's kopf runtime against kmock, scrapeable;
    returns the process and the metrics port it bound."""
    root = Path(__file__).resolve().parents[2]
    log = open(work / "operator.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.observability.operator_proc", metadata_addr],
        cwd=root,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'operator'}"},
        stdout=subprocess.PIPE,
        stderr=log,
    )
    log.close()
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline().split()
            if len(line) == 2 and line[0] == b"ready":
                return proc, int(line[1])
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait(10)
    raise RuntimeError(f"operator did not start: {(work / 'operator.log').read_text()[-3000:]}")


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    missing = _missing_services()
    if missing:
        pytest.skip(f"services without an entry point yet: {missing}")
    from scripts.suite import FRONTENDS, Suite

    work = tmp_path_factory.mktemp("obs-suite")
    sink = SmtpSink({"127.0.0.2": Behaviour(rcpt={REFUSED: "550 5.1.1 no such user"})}).start()
    env = {
        "KUBEMAIL_RELAY_SMARTHOST": f"127.0.0.2:{sink.port}",
        "KUBEMAIL_RELAY_SMARTHOST_TLS": "none",
        "KUBEMAIL_RELAY_POLL_INTERVAL": "0.2",
        # blobs in a local directory (the suite's default): the S3 code path has its own tests
        "KUBEMAIL_LOG_LEVEL": "WARNING",
        "KUBEMAIL_METADATA_GC_INTERVAL_SECONDS": "1",
    }
    suite = Suite(work / "suite", services=(*FRONTENDS, "relay", "web"), extra_env=env)
    try:
        suite.start()
    except BaseException:
        sink.stop()
        raise
    prom = None
    operator = None
    try:
        asyncio.run(_seed(suite.env["KUBEMAIL_METADATA_ADDR"]))
        targets = {svc: suite.ports.metrics[svc] for svc in ("metadata", *suite.services)}
        operator, targets["operator"] = _start_operator(work, suite.env["KUBEMAIL_METADATA_ADDR"])
        rule_files = [str(f) for f in helpers.rule_files()]
        prom = Prometheus(work / "prometheus", targets, rule_files=rule_files).start()
        prom.wait_scrapes(1)
        yield Observed(suite, prom, tuple(targets), targets=targets, sink=sink)
    finally:
        if prom is not None:
            prom.stop()
        if operator is not None:
            operator.terminate()
            try:
                operator.wait(30)
            except subprocess.TimeoutExpired:
                operator.kill()
                operator.wait(10)
        suite.stop()
        sink.stop()
