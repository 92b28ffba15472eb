"""Every service process answers /metrics, /healthz and /readyz; a malformed environment is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest

from scripts.suite import FRONTENDS, ROOT
from tests.e2e.conftest import E2E

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]

SERVICES = ("metadata", *(s for s in FRONTENDS if (ROOT / "services" / s / "__main__.py").exists()))


def _get(port: int, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return resp.status, resp.read()


@pytest.mark.parametrize("service", SERVICES)
def test_metrics_health_and_readiness_answer_200(e2e: E2E, service: str) -> None:
    port = e2e.ports.metrics[service]
    assert e2e.suite.procs[service].poll() is None
    status, body = _get(port, "/metrics")
    assert status == 200
    text = body.decode()
    assert f"kubemail_{service}_" in text, f"no kubemail_{service}_* metric on {service}'s /metrics"
    for path in ("/healthz", "/readyz"):
        status, _ = _get(port, path)
        assert status == 200, (service, path, status)


@pytest.mark.parametrize(
    "service",
    SERVICES,
)
def test_malformed_environment_exits_nonzero_with_a_clear_message(service: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "operator")]),
        "KUBEMAIL_METRICS_PORT": "abc",
        # should the variable be ignored, nothing must collide with a real service
        "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:0",
        "KUBEMAIL_SMTP_MX_PORT": "0", "KUBEMAIL_SMTP_SUBMISSION_PORT": "0", "KUBEMAIL_SMTP_SUBMISSIONS_PORT": "0",
        "KUBEMAIL_IMAP_PORT": "0", "KUBEMAIL_IMAP_TLS_PORT": "0",
        "KUBEMAIL_POP3_PORT": "0", "KUBEMAIL_POP3_TLS_PORT": "0",
    }  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=30,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"services.{service} kept running with KUBEMAIL_METRICS_PORT=abc")
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "KUBEMAIL_METRICS_PORT" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) <= 3, out.stderr
