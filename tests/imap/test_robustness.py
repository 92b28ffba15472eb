"""Bad input over real sockets: protocol errors, never a crash, a hang or an effect on another
session. PROXY protocol from a trusted load balancer. IMAP4rev2 mode after ENABLE."""

from __future__ import annotations

import random
import socket

import pytest

from tests.fixtures.ipv6 import first_line, needs_ipv6
from tests.imap.conftest import ImapHandle, Raw, msg, start_imap, stop_imap
from tests.imap.test_receiver import SAMPLES


def _drain(sock: socket.socket, until: tuple[bytes, ...] = (b"z OK", b"* BYE")) -> bytes:
    sock.settimeout(5)
    out = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
            if len(out) > 1 << 20 or any(u in out for u in until):
                break
    except TimeoutError:
        pass
    return out


NASTY = [
    b"\x00\xff\xfe garbage\r\n",
    b"a" * 70000 + b"\r\n",
    b"a LOGIN {99999999999}\r\n",
    b"a SEARCH " + b"(" * 500 + b"\r\n",
    b"a FETCH 1:4294967296 FLAGS\r\n",
    b"a FETCH " + b"1," * 20000 + b"1 FLAGS\r\n",
    b"a APPEND INBOX {5+}\r\nab",
    b"a UID FETCH 1 BODY[" + b".".join(b"%d" % i for i in range(1, 40)) + b"]\r\n",
    b"\r\n\r\n\r\n",
    b'a LOGIN "\\x" y\r\n',
    b"* NOOP\r\n",
    b"a SELECT {3}\r\n",
]


def test_nasty_inputs_do_not_disturb_others(imap: ImapHandle) -> None:
    good = Raw(imap.port)
    good.login()
    good.cmd("s", "SELECT INBOX")
    for payload in NASTY:
        bad = Raw(imap.port)
        bad.login()
        bad.cmd("s", "SELECT INBOX")
        bad.send(payload)
        bad.send(b"\r\nz NOOP\r\n")
        out = _drain(bad.sock, (b"z OK", b"* BYE", b" BAD ", b"+ "))
        assert b"BAD" in out or b"z OK" in out or b"+ " in out, (payload[:40], out[:200])
        bad.close()
        _, t = good.cmd("n", "NOOP")
        assert t.startswith(b"n OK")
    good.close()


def test_random_mutations_get_answers(imap: ImapHandle) -> None:
    rnd = random.Random(1234)
    conn = Raw(imap.port)
    conn.login()
    conn.cmd("s", "SELECT INBOX")
    for i in range(60):
        sample = bytearray(rnd.choice(SAMPLES))
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(max(1, len(sample)))
            op = rnd.random()
            if op < 0.4:
                sample[pos : pos + 1] = bytes([rnd.randrange(256)])
            elif op < 0.7:
                del sample[pos : pos + rnd.randint(1, 8)]
            else:
                sample[pos:pos] = rnd.choice([b"(", b")", b"{3}", b'"', b"*", b" ", b"\\"])
        if b"IDLE" in sample or b"LOGOUT" in sample or b"AUTHENTICATE" in sample or b"STARTTLS" in sample:
            continue
        line = bytes(sample).replace(b"\r\n", b" ").replace(b"\n", b" ").rstrip()
        if line.endswith(b"}"):
            continue  # a literal announcement would swallow the ping that follows
        conn.send(line + b"\r\n")
        conn.send(f"ping{i} NOOP\r\n".encode())
        # anything may happen to the mutated command; the ping after it must be answered
        conn.sock.settimeout(10)
        while True:
            line = conn.line()
            if line.startswith(f"ping{i} ".encode()):
                break
            if line.startswith(b"* BYE"):
                conn = Raw(imap.port)
                conn.login()
                conn.cmd("s", "SELECT INBOX")
                break
    conn.close()


def test_too_many_bad_commands_closes(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.send(b"x BOGUS\r\n" * 60)
    out = _drain(r.sock)
    assert b"* BYE Too many invalid commands" in out


@pytest.fixture
def proxied(imap: ImapHandle) -> object:
    srv, lt = start_imap(imap.env, KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8")
    yield srv
    stop_imap(srv, lt)


def test_proxy_protocol_sets_client_address(imap: ImapHandle, proxied: object) -> None:
    port = proxied.port_of("imap")  # type: ignore[attr-defined]
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"PROXY TCP4 198.51.100.7 10.0.0.1 40000 143\r\n")
    greeting = s.recv(4096)
    # the real client (198.51.100.7) is not in the trusted networks: plaintext login is off
    assert greeting.startswith(b"* OK") and b"LOGINDISABLED" in greeting
    s.close()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"PROXY TCP4 127.0.0.9 10.0.0.1 40000 143\r\n")
    greeting = s.recv(4096)
    assert b"LOGINDISABLED" not in greeting and b"AUTH=PLAIN" in greeting
    s.close()


def test_proxy_protocol_per_listener(imap: ImapHandle) -> None:
    """KUBEMAIL_PROXY_LISTENERS names imaps only: imap takes peers from the proxy networks as
    they come (#17 item 4)."""
    srv, lt = start_imap(imap.env, KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8", KUBEMAIL_PROXY_LISTENERS="imaps")
    try:
        s = socket.create_connection(("127.0.0.1", srv.port_of("imap")), timeout=5)
        assert s.recv(4096).startswith(b"* OK")
        s.close()
    finally:
        stop_imap(srv, lt)


def test_imap4rev2_mode(imap: ImapHandle) -> None:
    c = imap.login()
    c.append("INBOX", None, None, msg(1))
    c.logout()
    r = Raw(imap.port)
    r.login()
    lines, _ = r.cmd("e", "ENABLE IMAP4rev2")
    assert lines == [b"* ENABLED IMAP4rev2"]
    lines, _ = r.cmd("s", "SELECT INBOX")
    assert not any(ln.endswith(b"RECENT") for ln in lines)
    assert b'* LIST (\\HasNoChildren) "/" "INBOX"' in lines  # RFC 9051 7.3.1: real attributes
    lines, _ = r.cmd("f", "FETCH 1 FLAGS")
    assert lines == [b"* 1 FETCH (FLAGS ())"]
    lines, _ = r.cmd("s2", "SELECT INBOX")
    assert lines[0] == b"* OK [CLOSED] Previous mailbox closed"
    r.close()


@needs_ipv6
def test_dual_stack_listeners(imap: ImapHandle) -> None:
    """The default host `::` takes IPv6 and IPv4 clients on one port (#17 item 4)."""
    srv, lt = start_imap({k: v for k, v in imap.env.items() if k != "KUBEMAIL_IMAP_HOST"})
    try:
        for host in ("::1", "127.0.0.1"):
            assert first_line(host, srv.port_of("imap")).startswith(b"* OK"), host
    finally:
        stop_imap(srv, lt)
