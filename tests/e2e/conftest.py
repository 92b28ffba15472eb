"""End-to-end fixtures: the whole suite as processes (scripts/suite.py), driven by real clients.

One `Suite` shared by the package (redis-server, `python -m services.metadata` and every
front-end whose `services/<name>/__main__.py` exists, on ephemeral ports); the fault test
starts its own. Each test creates its own users, so
tests sharing a suite never see each other's mail.
"""

from __future__ import annotations

import asyncio
import dataclasses
import imaplib
import itertools
import poplib
import re
import shutil
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from scripts.suite import ROOT, Suite

T = TypeVar("T")

PASSWORD = "e2e pass phrase"
DOMAIN = "e2e.test"

HAS_IMAP = (ROOT / "services" / "imap" / "__main__.py").exists()
HAS_POP3 = (ROOT / "services" / "pop3" / "__main__.py").exists()
needs_imap = pytest.mark.skipif(not HAS_IMAP, reason="services/imap/__main__.py does not exist yet")
needs_pop3 = pytest.mark.skipif(not HAS_POP3, reason="services/pop3/__main__.py does not exist yet")
needs_swaks = pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed (apt-get install swaks)")


_counter = itertools.count(1)


def wait_for(fn: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.1, what: str = "") -> T:
    """Polls `fn` until it returns a truthy value (bounded)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = fn()
        except Exception as exc:  # retried until the deadline
            value, last = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what or fn!r} after {timeout}s (last error: {last!r})")
        time.sleep(interval)


def client_tls() -> ssl.SSLContext:
    """The suite's certificate is self-signed for 'localhost': accept it, as the banner says."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


TRACE_HEADER = re.compile(rb"^(Return-Path|Received):", re.IGNORECASE)


def assert_delivered(stored: bytes, sent: bytes, mail_from: str) -> None:
    """`stored` is `sent` byte for byte, below trace headers only (Return-Path first, then Received)."""
    assert stored.endswith(sent), f"message altered in transit:\n{stored!r}\n!=\n{sent!r}"
    prefix = stored[: len(stored) - len(sent)]
    assert prefix.startswith(f"Return-Path: <{mail_from}>\r\n".encode()), prefix
    assert prefix.endswith(b"\r\n")
    names = []
    for line in prefix[:-2].split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # folded continuation of the previous trace header
        assert TRACE_HEADER.match(line), f"unexpected header added: {line!r}"
        names.append(line.split(b":", 1)[0].lower())
    assert names.count(b"return-path") == 1 and b"received" in names, names


@dataclasses.dataclass
class E2E:
    """A running suite plus helpers that speak to it only through real clients."""

    suite: Suite

    @property
    def ports(self) -> Any:
        return self.suite.ports

    def add_user(self, local: str | None = None, password: str = PASSWORD) -> str:
        address = f"{local or 'u'}{next(_counter)}-{time.monotonic_ns() % 10**6}@{DOMAIN}"
        asyncio.run(_seed(self.suite.env["KUBEMAIL_METADATA_ADDR"], address, password))
        return address

    def smtp(self, port: int | None = None) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", port or self.ports.smtp, local_hostname="client.e2e.test", timeout=20)

    def imap(self, address: str, password: str = PASSWORD, select: str | None = "INBOX") -> imaplib.IMAP4:
        if not HAS_IMAP:
            pytest.skip("services/imap/__main__.py does not exist yet")
        m = imaplib.IMAP4("127.0.0.1", self.ports.imap, timeout=20)
        typ, data = m.login(address, password)
        assert typ == "OK", data
        if select:
            selected = m.select(select)
            assert selected[0] == "OK", selected
        return m

    def pop3(self, address: str, password: str = PASSWORD) -> poplib.POP3:
        if not HAS_POP3:
            pytest.skip("services/pop3/__main__.py does not exist yet")
        p = poplib.POP3("127.0.0.1", self.ports.pop3, timeout=20)
        p.user(address)
        p.pass_(password)
        return p

    def imap_messages(self, address: str) -> dict[int, bytes]:
        """UID -> BODY[] of every INBOX message, as a new IMAP session sees it."""
        m = self.imap(address)
        try:
            return fetch_all(m)
        finally:
            m.logout()

    def pop3_messages(self, address: str) -> list[tuple[str, bytes]]:
        """(UIDL, RETR bytes) of every message, as a new POP3 session sees it (nothing deleted)."""
        p = self.pop3(address)
        try:
            out = []
            for entry in p.uidl()[1]:
                num, uid = entry.split()
                lines = p.retr(int(num))[1]
                out.append((uid.decode(), b"".join(line + b"\r\n" for line in lines)))
            return out
        finally:
            p.quit()

    def wait_count(self, address: str, n: int, timeout: float = 15.0) -> None:
        """Waits until POP3 STAT (or IMAP if there is no POP3) counts `n` messages."""

        def count() -> bool:
            if HAS_POP3:
                p = self.pop3(address)
                try:
                    return p.stat()[0] == n
                finally:
                    p.quit()
            return len(self.imap_messages(address)) == n

        wait_for(count, timeout, 0.2, f"{n} messages for {address}")


def fetch_all(m: imaplib.IMAP4) -> dict[int, bytes]:
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    assert typ == "OK", data
    out: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple):
            uid = re.search(rb"UID (\d+)", item[0])
            assert uid, item[0]
            out[int(uid.group(1))] = item[1]
    return out


def uidvalidity(m: imaplib.IMAP4) -> int:
    typ, data = m.response("UIDVALIDITY")
    assert typ == "UIDVALIDITY" and data and data[0], (typ, data)
    return int(data[0])


async def _seed(addr: str, address: str, password: str) -> None:
    from services.common.grpcclient import MetadataClient
    from tests.fixtures.seed import seed_user

    async with MetadataClient(addr) as client:
        await seed_user(client, address, password)


def start_suite(workdir: Path, **extra_env: str) -> Suite:
    return Suite(workdir, extra_env={"KUBEMAIL_LOG_LEVEL": "INFO", **extra_env}).start()


def dump_logs(suite: Suite) -> str:
    out = []
    for name, path in suite.logs.items():
        try:
            tail = path.read_text(errors="replace")[-3000:]
        except OSError:
            continue
        out.append(f"----- {name}.log (tail)\n{tail}")
    return "\n".join(out)


@pytest.fixture(scope="package")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    suite = start_suite(tmp_path_factory.mktemp("e2e-suite"))
    try:
        yield E2E(suite)
    finally:
        crashed = {n: p.returncode for n, p in suite.procs.items() if p.poll() is not None}
        logs = dump_logs(suite) if crashed else ""
        suite.stop()
        assert not crashed, f"suite processes died during the tests: {crashed}\n{logs}"
