"""Invariant 7 over real sockets on all three front-ends: a hostile client (huge line, a
10 MB literal announced then nothing, deep nesting, 10,000 pipelined commands, slowloris,
binary garbage, TLS on the plain port, plaintext on the TLS port) gets a protocol error or
is disconnected; the test process's RSS (the services run in it) grows by less than
RSS_BOUND; and meanwhile a second, normal client on the same server completes a full session.

Timeouts are shortened (3 s) so that disconnects of stalled or trickling clients are seen."""

from __future__ import annotations

import gc
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.fixtures.servers import RedisServer, S3Server
from tests.security.conftest import (
    ALICE,
    ALICE_PW,
    BOB,
    BOB_PW,
    Imap,
    Pop3,
    Smtp,
    Suite,
    build_suite,
    connect,
    rss_bytes,
)

RSS_BOUND = 48 * 1024 * 1024  # bytes the process may grow during one hostile session
TIMEOUT = 3  # seconds of the shortened server timeouts
WAIT = 15.0  # longest wait for a server reaction


@pytest.fixture(scope="module")
def suite(redis_server: RedisServer, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    yield from build_suite(
        redis_server,
        s3_server,
        tmp_path_factory.mktemp("abuse"),
        KUBEMAIL_IMAP_PREAUTH_TIMEOUT=str(TIMEOUT),
        KUBEMAIL_IMAP_IDLE_TIMEOUT=str(TIMEOUT),
        KUBEMAIL_POP3_IDLE_TIMEOUT=str(TIMEOUT),
        KUBEMAIL_SMTP_TIMEOUT=str(TIMEOUT),
        KUBEMAIL_SMTP_DATA_TIMEOUT=str(TIMEOUT),
    )


# ------------------------------------------------------------------------------------------
# the normal client: a complete session as bob, run while the hostile client is active
# ------------------------------------------------------------------------------------------


def normal_imap(suite: Suite) -> None:
    c = Imap(suite.imap_port)
    c.login(BOB, BOB_PW)
    lines, t = c.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK"), t
    lines, t = c.cmd("f", "FETCH 1 (FLAGS BODY.PEEK[])")
    assert t.startswith(b"f OK") and any(b"BOB-SECRET" in ln for ln in lines), (lines, t)
    _, t = c.cmd("o", "LOGOUT")
    assert t.startswith(b"o OK"), t
    c.close()


def normal_pop3(suite: Suite) -> None:
    p = Pop3(suite.pop3_port)
    p.login(BOB, BOB_PW)
    assert p.cmd("STAT").startswith(b"+OK")
    first, body = p.multi("RETR 1")
    assert first.startswith(b"+OK") and any(b"BOB-SECRET" in ln for ln in body)
    assert p.cmd("QUIT").startswith(b"+OK")
    p.close()


def normal_smtp(suite: Suite) -> None:
    s = Smtp(suite.mx_port)
    assert s.cmd("EHLO normal.test")[0] == 250
    assert s.cmd("MAIL FROM:<friend@remote.test>")[0] == 250
    assert s.cmd(f"RCPT TO:<{BOB}>")[0] == 250
    assert s.cmd("DATA")[0] == 354
    s.send(b"From: friend@remote.test\r\nSubject: hi\r\n\r\nhello\r\n.\r\n")
    assert s.reply()[0] == 250
    assert s.cmd("QUIT")[0] == 221
    s.close()


NORMAL: dict[str, Callable[[Suite], None]] = {"imap": normal_imap, "pop3": normal_pop3, "smtp": normal_smtp}


# ------------------------------------------------------------------------------------------
# per-protocol details of the hostile client
# ------------------------------------------------------------------------------------------

LOGIN = {
    "imap": [b"L LOGIN " + ALICE.encode() + b" " + ALICE_PW.encode() + b"\r\n"],
    "pop3": [f"USER {ALICE}\r\n".encode(), f"PASS {ALICE_PW}\r\n".encode()],
    "smtp": [b"EHLO hostile.test\r\n"],
}
LOGIN_OK = {"imap": b"L OK", "pop3": b"+OK", "smtp": b"250 "}
ERRORS = {
    "imap": (b" BAD ", b" NO ", b"* BYE"),
    "pop3": (b"-ERR",),
    "smtp": (b"500 ", b"501 ", b"421 ", b"552 ", b"554 ", b"503 ", b"502 "),
}


def plain_port(suite: Suite, proto: str) -> int:
    return {"imap": suite.imap_port, "pop3": suite.pop3_port, "smtp": suite.mx_port}[proto]


def tls_port(suite: Suite, proto: str) -> int:
    return {"imap": suite.imaps_port, "pop3": suite.pop3s_port, "smtp": suite.submissions_port}[proto]


class Hostile:
    def __init__(self, suite: Suite, proto: str, login: bool = False, port: int | None = None) -> None:
        self.proto = proto
        self.sock = connect(port or plain_port(suite, proto), timeout=WAIT)
        self.received = b""
        self.closed = False
        self._read_until(b"\r\n")  # greeting
        if login:
            for line in LOGIN[proto]:
                self.sock.sendall(line)
                self._read_until(LOGIN_OK[proto])

    def _read_until(self, marker: bytes, timeout: float = WAIT) -> bool:
        deadline = time.monotonic() + timeout
        while marker not in self.received:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self.recv_some(left):
                return False
        return True

    def recv_some(self, timeout: float) -> bool:
        """Reads what is there within `timeout`; False on EOF or timeout."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 16)
        except TimeoutError:
            return False
        except OSError:
            self.closed = True
            return False
        if not chunk:
            self.closed = True
            return False
        self.received = (self.received + chunk)[-(1 << 20) :]
        return True

    def send(self, data: bytes) -> bool:
        """Sends, tolerating the server closing on us; False once the peer is gone."""
        self.sock.settimeout(WAIT)
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def errored(self) -> bool:
        return any(e in self.received for e in ERRORS[self.proto])

    def wait_error_or_close(self, timeout: float = WAIT) -> None:
        mark = len(self.received)
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            if any(e in self.received[max(mark - 8, 0) :] for e in ERRORS[self.proto]):
                return
            self.recv_some(max(deadline - time.monotonic(), 0.01))
        assert self.closed or self.errored(), (self.proto, self.received[-300:])

    def wait_close(self, timeout: float = WAIT) -> bool:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self.recv_some(max(deadline - time.monotonic(), 0.01))
        return self.closed

    def close(self) -> None:
        self.sock.close()


# ------------------------------------------------------------------------------------------
# the attacks: each runs in a thread and asserts its own outcome
# ------------------------------------------------------------------------------------------


def huge_line(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=True)
    chunk = b"A" * 65536
    for _ in range(64):  # up to 4 MiB without a line end
        if not h.send(chunk):
            break
        h.recv_some(0.001)
        if h.errored() or h.closed:
            break
    h.wait_error_or_close()
    h.close()


def big_literal(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=True)
    announce = {
        "imap": b"a APPEND INBOX {10000000}\r\n",
        "pop3": b"AUTH PLAIN {10000000}\r\n",
        "smtp": b"MAIL FROM:<x@remote.test>\r\nRCPT TO:<" + BOB.encode() + b">\r\nBDAT 10000000\r\n",
    }[proto]
    h.send(announce)
    h.recv_some(1.0)  # "+ Ready", NO, 552, -ERR or nothing: then we send nothing at all
    # the server must not wait forever for the announced bytes (timeouts are TIMEOUT s here)
    assert h.errored() or h.wait_close(TIMEOUT * 3), (proto, h.received[-300:])
    h.close()


def deep_nesting(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=True)
    depth = 30000
    line = {
        "imap": b"a SEARCH " + b"(" * depth + b"ALL" + b")" * depth + b"\r\n",
        "pop3": b"TOP " + b"(" * depth + b")" * depth + b"\r\n",
        "smtp": b"MAIL FROM:<" + b"(" * depth + b"x@remote.test" + b")" * depth + b">\r\n",
    }[proto]
    h.send(line)
    h.wait_error_or_close()
    h.close()


def pipelined(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=True)
    n = 10_000
    if proto == "imap":
        data = b"".join(b"p%d NOOP\r\n" % i for i in range(n))
        done = b"p%d " % (n - 1)
    else:
        data = b"NOOP\r\n" * n
        done = b""
    answers = {"count": 0}

    def reader() -> None:
        ok = b"+OK" if proto == "pop3" else b"250 " if proto == "smtp" else b" OK "
        while not h.closed:
            if not h.recv_some(WAIT):
                break
            answers["count"] = h.received.count(ok)
            if (done and done in h.received) or h.received.count(b"\r\n") >= n:
                break

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    h.send(data)
    t.join(WAIT * 2)
    assert not t.is_alive(), "pipelined commands were neither answered nor cut off"
    # every command answered, or the server cut the session off with an error / close
    assert (done and done in h.received) or h.received.count(b"\r\n") >= n or h.closed or h.errored()
    h.close()


def slowloris(suite: Suite, proto: str) -> None:
    """One byte per second of a line that never ends: cut off by a timeout, not kept forever."""
    h = Hostile(suite, proto, login=False)
    text = b"a LOGIN " if proto == "imap" else b"USER " if proto == "pop3" else b"EHLO "
    payload = text + b"x" * 1000
    limit = TIMEOUT * 3
    start = time.monotonic()
    for i in range(len(payload)):
        if time.monotonic() - start > limit:
            break
        if not h.send(payload[i : i + 1]):
            break
        h.recv_some(1.0)
        if h.closed:
            break
    assert h.closed or h.errored(), f"{proto}: a byte-per-second client kept its session {limit} s"
    h.close()


def garbage(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=False)
    rnd = random.Random(7)
    for _ in range(16):
        if not h.send(bytes(rnd.getrandbits(8) for _ in range(16384))):
            break
    h.wait_error_or_close()
    h.close()


def _client_hello() -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="mail.example.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def tls_on_plain(suite: Suite, proto: str) -> None:
    h = Hostile(suite, proto, login=False)
    hello = _client_hello()
    assert hello[:1] == b"\x16"
    h.send(hello)
    h.wait_error_or_close()
    h.close()


def plain_on_tls(suite: Suite, proto: str) -> None:
    sock = connect(tls_port(suite, proto), timeout=WAIT)
    line = {"imap": b"a LOGIN alice x\r\n", "pop3": b"USER alice\r\n", "smtp": b"EHLO plain.test\r\n"}[proto]
    sock.sendall(line * 3)
    data = b""
    start = time.monotonic()
    try:
        while time.monotonic() - start < WAIT:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    assert time.monotonic() - start < WAIT, "plaintext on the TLS port was neither refused nor closed"
    assert b"OK" not in data and b"250" not in data, data
    sock.close()


ATTACKS: dict[str, Callable[[Suite, str], None]] = {
    "huge_line": huge_line,
    "big_literal": big_literal,
    "deep_nesting": deep_nesting,
    "pipelined": pipelined,
    "slowloris": slowloris,
    "garbage": garbage,
    "tls_on_plain": tls_on_plain,
    "plain_on_tls": plain_on_tls,
}


@pytest.mark.parametrize("attack", list(ATTACKS))
@pytest.mark.parametrize("proto", ["imap", "pop3", "smtp"])
def test_hostile_client_is_bounded_and_others_unaffected(
    suite: Suite, proto: str, attack: str, request: pytest.FixtureRequest
) -> None:
    gc.collect()
    base = rss_bytes()
    peak = {"rss": base}
    errors: list[BaseException] = []

    def hostile() -> None:
        try:
            ATTACKS[attack](suite, proto)
        except BaseException as exc:
            errors.append(exc)

    def sample() -> None:
        while t.is_alive():
            peak["rss"] = max(peak["rss"], rss_bytes())
            time.sleep(0.05)

    t = threading.Thread(target=hostile, daemon=True)
    t.start()
    s = threading.Thread(target=sample, daemon=True)
    s.start()
    time.sleep(0.2)
    NORMAL[proto](suite)  # a full normal session while the hostile one is active
    t.join(60)
    assert not t.is_alive(), "the hostile client's outcome was not reached"
    s.join(5)
    NORMAL[proto](suite)  # and the server still serves afterwards
    if errors:
        raise errors[0]
    grown = peak["rss"] - base
    assert grown < RSS_BOUND, f"RSS grew by {grown / 1e6:.1f} MB"
