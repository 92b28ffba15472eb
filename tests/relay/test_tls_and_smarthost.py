"""MTA-STS (RFC 8461) with a local HTTPS policy server, and smarthost delivery with AUTH over
STARTTLS. Certificates come from a throw-away CA the relay trusts (KUBEMAIL_RELAY_TLS_CA_FILE)."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.certs import TestCA
from tests.fixtures.dns import Zone
from tests.fixtures.smtpsink import Behaviour
from tests.relay.conftest import RelayWorld, message

POLICY = "version: STSv1\nmode: enforce\nmx: mx.{domain}\nmax_age: 86400\n"


class _PolicyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").partition(":")[0]
        domain = host.removeprefix("mta-sts.")
        self.server.requests.append((host, self.path))  # type: ignore[attr-defined]
        if self.path != "/.well-known/mta-sts.txt":
            self.send_error(404)
            return
        body = POLICY.format(domain=domain).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA(tmp_path / "ca")


@pytest.fixture
def policy_server(ca: TestCA) -> Iterator[http.server.ThreadingHTTPServer]:
    cert, key = ca.issue("mta-sts.sts.test", "mta-sts.good.test")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PolicyHandler)
    srv.requests = []  # type: ignore[attr-defined]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def sts_zone() -> Zone:
    zone = Zone()
    for domain, ip in (("sts.test", "127.0.0.2"), ("good.test", "127.0.0.3")):
        zone.mx(domain, f"mx.{domain}", 10).host(f"mx.{domain}", ip)
        zone.txt(f"_mta-sts.{domain}", "v=STSv1; id=20261202T1").host(f"mta-sts.{domain}", "127.0.0.1")
    return zone


def test_mta_sts_enforce_defers_a_wrong_certificate_and_never_sends_in_clear(
    make_relay_world: Any, ca: TestCA, policy_server: http.server.ThreadingHTTPServer
) -> None:
    hosts = {
        "127.0.0.2": Behaviour(tls=ca.issue("wrong.test")),  # a certificate for another name
        "127.0.0.3": Behaviour(tls=ca.issue("mx.good.test")),
    }
    w: RelayWorld = make_relay_world(hosts, zone=sts_zone())
    w.start_relay(
        KUBEMAIL_RELAY_MTA_STS_PORT=str(policy_server.server_address[1]),
        KUBEMAIL_RELAY_TLS_CA_FILE=ca.ca_file,
        KUBEMAIL_RELAY_RETRY_SCHEDULE="60",
    )
    w.submit(["x@sts.test", "y@good.test"], message("sts"))
    (got,) = w.sink.wait(1)
    assert (got.host, got.rcpt_to, got.tls) == ("127.0.0.3", ["y@good.test"], True)
    # y's delivery is counted first; wait for x's own attempt (its STARTTLS refusal) to be counted
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        entries = w.queue()
        if entries and any(r["a"] == "x@sts.test" and r.get("n", 0) >= 1 for r in json.loads(entries[0][b"r"])):
            break
        time.sleep(0.1)
    (entry,) = w.queue()
    states = {r["a"]: r["s"] for r in json.loads(entry[b"r"])}
    assert states == {"x@sts.test": 2, "y@good.test": 3}  # deferred, delivered
    assert "TLS" in entry[b"err"].decode() or "certificate" in entry[b"err"].decode().lower()
    assert "127.0.0.2" in w.sink.connections  # it connected, and stopped at STARTTLS
    assert [a for a in w.sink.rcpt_attempts if a[0] == "127.0.0.2"] == []  # nothing sent in clear
    assert ("mta-sts.sts.test", "/.well-known/mta-sts.txt") in policy_server.requests  # type: ignore[attr-defined]


def test_mta_sts_enforce_refuses_a_peer_without_starttls(
    make_relay_world: Any, ca: TestCA, policy_server: http.server.ThreadingHTTPServer
) -> None:
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(), "127.0.0.3": Behaviour()}, zone=sts_zone())
    w.start_relay(
        KUBEMAIL_RELAY_MTA_STS_PORT=str(policy_server.server_address[1]),
        KUBEMAIL_RELAY_TLS_CA_FILE=ca.ca_file,
        KUBEMAIL_RELAY_RETRY_SCHEDULE="60",
    )
    w.submit(["x@sts.test"], message("sts plain"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and b"4.7.4" not in (w.queue() or [{}])[0].get(b"err", b""):
        time.sleep(0.1)
    assert b"4.7.4" in w.queue()[0][b"err"]
    assert w.sink.rcpt_attempts == [] and w.sink.received == []


def test_smarthost_with_auth_over_starttls(make_relay_world: Any, ca: TestCA, tmp_path: Path) -> None:
    hosts = {"127.0.0.2": Behaviour(tls=ca.issue("127.0.0.2"), auth=("relayuser", "relay-pw"))}
    w: RelayWorld = make_relay_world(hosts)
    (tmp_path / "pw").write_text("relay-pw\n")
    w.start_relay(
        KUBEMAIL_RELAY_SMARTHOST=f"127.0.0.2:{w.sink.port}",
        KUBEMAIL_RELAY_SMARTHOST_TLS="starttls",
        KUBEMAIL_RELAY_SMARTHOST_USERNAME="relayuser",
        KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE=str(tmp_path / "pw"),
        KUBEMAIL_RELAY_TLS_CA_FILE=ca.ca_file,
    )
    w.submit(["someone@example.org", "other@example.net"], message("via smarthost"))
    (got,) = w.sink.wait(1)
    assert (got.login, got.tls) == ("relayuser", True)
    assert sorted(got.rcpt_to) == ["other@example.net", "someone@example.org"]
    w.wait_queue_empty()


def test_smarthost_with_a_wrong_password_defers_and_never_bounces(
    make_relay_world: Any, ca: TestCA, tmp_path: Path
) -> None:
    hosts = {"127.0.0.2": Behaviour(tls=ca.issue("127.0.0.2"), auth=("relayuser", "relay-pw"))}
    w: RelayWorld = make_relay_world(hosts)
    (tmp_path / "pw").write_text("wrong")
    w.start_relay(
        KUBEMAIL_RELAY_SMARTHOST=f"127.0.0.2:{w.sink.port}",
        KUBEMAIL_RELAY_SMARTHOST_USERNAME="relayuser",
        KUBEMAIL_RELAY_SMARTHOST_PASSWORD_FILE=str(tmp_path / "pw"),
        KUBEMAIL_RELAY_TLS_CA_FILE=ca.ca_file,
        KUBEMAIL_RELAY_RETRY_SCHEDULE="60",
    )
    w.submit(["someone@example.org"], message("bad auth"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (w.queue() or [{}])[0].get(b"err"):
        time.sleep(0.1)
    assert w.queue()[0][b"err"].startswith(b"535") or b"5.7.8" in w.queue()[0][b"err"]
    assert w.sink.received == [] and w.inbox() == []
