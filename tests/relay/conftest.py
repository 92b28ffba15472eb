"""Relay test world: the metadata service and SMTP submission in-process (tests.smtp.conftest),
a real DNS server (dnsmasq) with the test zone, receiving MTAs on 127.0.0.2-127.0.0.4 and the
relay itself, in-process on the world's loop or as a `python -m services.relay` process."""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import smtplib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubemail_operator import dkim as operator_dkim

from services.common import config
from services.common.config import CommonConfig
from services.relay.config import RelayConfig
from services.relay.server import RelayServer, start
from tests.fixtures.dns import DnsServer, Zone
from tests.fixtures.outbound import outbound_entries
from tests.fixtures.smtpsink import Behaviour, SmtpSink
from tests.smtp.conftest import DOMAIN, PASSWORD, World, make_world  # noqa: F401 - fixture

SELECTOR = "sel1"


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(keys directory with one key for example.test, its TXT record value)."""
    d = tmp_path_factory.mktemp("dkim")
    pem = operator_dkim.generate_private_pem()
    (d / f"{SELECTOR}._domainkey.{DOMAIN}.pem").write_bytes(pem)
    return d, operator_dkim.txt_value(pem)


def base_zone(dkim_txt: str) -> Zone:
    return (
        Zone()
        .mx("remote.test", "mx.remote.test", 10)
        .host("mx.remote.test", "127.0.0.2")
        .mx("other.test", "mx.other.test", 10)
        .host("mx.other.test", "127.0.0.3")
        .mx("bad.test", "mx.bad.test", 10)
        .host("mx.bad.test", "127.0.0.4")
        .null_mx("nullmx.test")
        .txt(f"{SELECTOR}._domainkey.{DOMAIN}", dkim_txt)
    )


@dataclasses.dataclass
class RelayWorld:
    smtp: World
    dns: DnsServer
    sink: SmtpSink
    env: dict[str, str]
    relays: list[RelayServer] = dataclasses.field(default_factory=list)

    def start_relay(self, **overrides: str) -> RelayServer:
        env = {**self.env, **overrides}
        relay = self.smtp.run(start(config.load(RelayConfig, env), config.load(CommonConfig, env)))
        self.relays.append(relay)
        return relay

    def submit(self, to: list[str], msg: bytes, sender: str = f"alice@{DOMAIN}", **kw: Any) -> None:
        with smtplib.SMTP("127.0.0.1", self.smtp.submission, local_hostname="client.test", timeout=10) as s:
            s.starttls(context=self.smtp.tls_context())
            s.login(sender, PASSWORD)
            s.sendmail(sender, to, msg, **kw)

    def queue(self) -> list[dict[bytes, bytes]]:
        return outbound_entries(self.smtp.env["KUBEMAIL_REDIS_URL"])

    def wait_queue_empty(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.queue() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.queue() == [], "the outbound queue did not drain"

    def inbox(self, address: str = f"alice@{DOMAIN}") -> list[email.message.Message]:
        return [email.message_from_bytes(m, policy=email.policy.default) for m in self.smtp.messages(address)]

    def wait_inbox(self, count: int, address: str = f"alice@{DOMAIN}", timeout: float = 30.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.smtp.messages(address)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.inbox(address)


@pytest.fixture
def make_relay_world(
    make_world: Callable[..., World],  # noqa: F811 - the fixture imported above
    dkim_key: tuple[Path, str],
) -> Iterator[Callable[..., RelayWorld]]:
    built: list[RelayWorld] = []

    def build(
        hosts: dict[str, Behaviour] | None = None, zone: Zone | None = None, trust: bool = False, **overrides: str
    ) -> RelayWorld:
        """`trust`: the MX verifies inbound mail (SPF/DKIM/DMARC) on the same DNS server."""
        srs_secret = dkim_key[0].parent / "srs-secret"
        srs_secret.write_text("a-test-srs-secret-of-some-length\n")
        srs_env = {"KUBEMAIL_SRS_SECRET_FILE": str(srs_secret), "KUBEMAIL_SRS_DOMAIN": DOMAIN}
        dns = DnsServer(zone or base_zone(dkim_key[1])).start()
        trust_env = {"KUBEMAIL_SMTP_TRUST": "true", "KUBEMAIL_SMTP_DNS_SERVERS": dns.address} if trust else {}
        smtp = make_world(**srs_env, **trust_env)
        sink = SmtpSink(hosts or {"127.0.0.2": Behaviour(), "127.0.0.3": Behaviour(), "127.0.0.4": Behaviour()})
        sink.start()
        env = {
            **smtp.env,
            "KUBEMAIL_RELAY_DNS_SERVERS": dns.address,
            "KUBEMAIL_RELAY_SMTP_PORT": str(sink.port),
            "KUBEMAIL_RELAY_POLL_INTERVAL": "0.1",
            "KUBEMAIL_RELAY_RETRY_SCHEDULE": "1",
            "KUBEMAIL_RELAY_DKIM_KEYS_DIR": str(dkim_key[0]),
            "KUBEMAIL_RELAY_CONNECT_TIMEOUT": "5",
            "KUBEMAIL_RELAY_COMMAND_TIMEOUT": "10",
            "KUBEMAIL_RELAY_DATA_TIMEOUT": "20",
            **srs_env,
            **overrides,
        }
        w = RelayWorld(smtp, dns, sink, env)
        built.append(w)
        return w

    yield build
    for w in built:
        for r in w.relays:
            w.smtp.run(r.stop(grace=2))
        w.sink.stop()
        w.dns.stop()


def message(subject: str = "hello", to: str = "bob@remote.test", body: str = "Hello there.\r\n") -> bytes:
    return (
        f"From: Alice <alice@{DOMAIN}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@client.test>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}"
    ).encode()
