"""POP3 sessions over real sockets with Python's poplib, on the real metadata service."""

from __future__ import annotations

import base64
import poplib
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import pytest

from services.pop3.config import Pop3Config
from tests.fixtures.ipv6 import first_line, needs_ipv6
from tests.pop3.conftest import ADDRESS, PASSWORD, Pop3Handle


def msg(n: int, body: bytes = b"") -> bytes:
    return (
        f"From: Bob <bob@example.test>\r\nTo: {ADDRESS}\r\nSubject: message {n}\r\n"
        f"Message-ID: <m{n}@example.test>\r\n\r\n".encode()
        + (body or f"Body of message {n}.\r\n".encode())
    )


DOTTY = msg(
    1,
    b".leading dot\r\n..two dots\r\n.\r\nnot the end\r\n. \r\n.\r\n\r\nlast line\r\n",
)
EIGHT_BIT = (
    b"From: b@example.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=latin-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    + bytes(range(0x80, 0x100)).replace(b"\r", b"").replace(b"\n", b"")
    + b"\r\ncaf\xe9 \xff\xfe\x00nul\r\n"
)


def login(h: Pop3Handle) -> poplib.POP3:
    p = poplib.POP3("127.0.0.1", h.port, timeout=10)
    p.user(ADDRESS)
    p.pass_(PASSWORD)
    return p


def retr(p: poplib.POP3, n: int) -> bytes:
    _, lines, _ = p.retr(n)
    return b"".join(line + b"\r\n" for line in lines)


class Raw:
    """A line-level POP3 client on a plain socket (for what poplib cannot express)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self) -> bytes:
        return self.f.readline()

    def cmd(self, text: bytes | str) -> bytes:
        self.send(text)
        return self.line()

    def send(self, text: bytes | str) -> None:
        data = text.encode() if isinstance(text, str) else text
        self.sock.sendall(data + b"\r\n")

    def multiline(self) -> list[bytes]:
        out = []
        while (line := self.line()) != b".\r\n":
            assert line, "connection closed inside a multi-line reply"
            out.append(line)
        return out

    def login(self) -> None:
        assert self.cmd(f"USER {ADDRESS}").startswith(b"+OK")
        assert self.cmd(f"PASS {PASSWORD}").startswith(b"+OK")

    def close(self) -> None:
        self.f.close()  # the file holds the socket open too
        self.sock.close()


def test_download_with_delete_removes_from_metadata(pop3: Pop3Handle) -> None:
    raws = [msg(i) for i in range(3)] + [DOTTY, EIGHT_BIT]
    uids = pop3.deliver(raws)
    uidvalidity, before = pop3.inbox()
    assert before == uids
    p = login(pop3)
    assert p.stat() == (5, sum(len(r) for r in raws))
    _, listing, _ = p.list()
    assert listing == [f"{i + 1} {len(r)}".encode() for i, r in enumerate(raws)]
    _, uidl, _ = p.uidl()
    assert uidl == [f"{i + 1} {uidvalidity}.{u}".encode() for i, u in enumerate(uids)]
    for i, raw in enumerate(raws, 1):
        assert retr(p, i) == raw  # byte-exact, dot-stuffing undone by poplib
        p.dele(i)
    assert p.stat() == (0, 0)
    assert p.quit().startswith(b"+OK")
    assert pop3.inbox()[1] == []


def test_keep_mode_and_stable_uidl(pop3: Pop3Handle) -> None:
    uids = pop3.deliver([msg(1), msg(2)])
    p = login(pop3)
    first = p.uidl()[1]
    assert retr(p, 2) == msg(2)
    p.quit()
    assert pop3.inbox()[1] == uids
    p = login(pop3)
    assert p.uidl()[1] == first
    assert p.uidl(2).split()[-1] == first[1].split()[-1]
    p.quit()


def test_dot_stuffing_on_the_wire(pop3: Pop3Handle) -> None:
    pop3.deliver([DOTTY])
    r = Raw(pop3.port)
    r.login()
    assert r.cmd("RETR 1") == f"+OK {len(DOTTY)} octets\r\n".encode()
    wire = b"".join(r.multiline())
    assert b"\r\n..leading dot\r\n...two dots\r\n..\r\nnot the end\r\n.. \r\n..\r\n\r\nlast line\r\n" in wire
    r.close()


def test_top(pop3: Pop3Handle) -> None:
    pop3.deliver([msg(1, b"l1\r\n.l2\r\nl3\r\n")])
    p = login(pop3)
    _, lines, _ = p.top(1, 2)
    head = msg(1).split(b"\r\n\r\n")[0].split(b"\r\n")
    assert lines == [*head, b"", b"l1", b".l2"]
    _, lines, _ = p.top(1, 0)
    assert lines == [*head, b""]
    p.quit()


def test_error_replies(pop3: Pop3Handle) -> None:
    pop3.deliver([msg(1), msg(2)])
    r = Raw(pop3.port)
    assert r.greeting.startswith(b"+OK")
    assert r.cmd("STAT").startswith(b"-ERR STAT not allowed in AUTHORIZATION")
    assert r.cmd("RETR 1").startswith(b"-ERR")
    assert r.cmd("FROB").startswith(b"-ERR Unknown command")
    assert r.cmd("PASS x").startswith(b"-ERR USER first")
    r.login()
    assert r.cmd("USER x").startswith(b"-ERR USER not allowed in TRANSACTION")
    assert r.cmd("STLS").startswith(b"-ERR")
    for bad in ("RETR 0", "RETR 3", "RETR x", "RETR -1", "LIST 99", "UIDL 0", "DELE 3", "TOP 1 x", "TOP 9 1"):
        assert r.cmd(bad).startswith(b"-ERR"), bad
    assert r.cmd("RETR").startswith(b"-ERR Wrong number")
    assert r.cmd("RETR 1 2").startswith(b"-ERR Wrong number")
    assert r.cmd("DELE 1") == b"+OK Message 1 deleted\r\n"
    assert r.cmd("DELE 1").startswith(b"-ERR Message 1 already deleted")
    assert r.cmd("RETR 1").startswith(b"-ERR Message 1 already deleted")
    assert r.cmd("LIST 1").startswith(b"-ERR")
    assert r.cmd("STAT") == f"+OK 1 {len(msg(2))}\r\n".encode()
    assert r.cmd("RSET").startswith(b"+OK Maildrop has 2 messages")
    assert r.cmd("LIST 1") == f"+OK 1 {len(msg(1))}\r\n".encode()
    assert r.cmd("NOOP") == b"+OK\r\n"
    assert r.cmd("X" * 2000).startswith(b"-ERR Line too long")
    assert r.cmd("NOOP") == b"+OK\r\n"  # the session survives bad input
    assert r.cmd("QUIT").startswith(b"+OK")
    assert r.line() == b""  # closed
    assert len(pop3.inbox()[1]) == 2  # RSET undid the DELE


def test_second_session_is_refused_in_use(pop3: Pop3Handle) -> None:
    pop3.deliver([msg(1)])
    p1 = login(pop3)
    r = Raw(pop3.port)
    assert r.cmd(f"USER {ADDRESS}").startswith(b"+OK")
    assert r.cmd(f"PASS {PASSWORD}").startswith(b"-ERR [IN-USE]")
    assert r.cmd("STAT").startswith(b"-ERR")  # still in AUTHORIZATION
    p1.quit()
    r.login()  # the lock was released at QUIT
    r.close()


def test_dropped_connection_after_dele_deletes_nothing(pop3: Pop3Handle) -> None:
    uids = pop3.deliver([msg(1), msg(2)])
    r = Raw(pop3.port)
    r.login()
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.cmd("DELE 2").startswith(b"+OK")
    r.sock.shutdown(socket.SHUT_RDWR)
    r.close()
    deadline = time.monotonic() + 10
    while True:  # the lock is released when the server notices the hang-up
        try:
            p = login(pop3)
            break
        except poplib.error_proto as exc:
            assert b"IN-USE" in exc.args[0]
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert p.stat()[0] == 2
    p.quit()
    assert pop3.inbox()[1] == uids


def test_auth_plain_login_and_failures(pop3: Pop3Handle) -> None:
    pop3.deliver([msg(1)])
    plain = base64.b64encode(f"\0{ADDRESS}\0{PASSWORD}".encode()).decode()
    r = Raw(pop3.port)
    assert r.cmd("AUTH") == b"+OK Mechanisms follow\r\n"
    assert r.multiline() == [b"PLAIN\r\n", b"LOGIN\r\n"]
    assert r.cmd("AUTH CRAM-MD5").startswith(b"-ERR")
    assert r.cmd("AUTH PLAIN") == b"+ \r\n"
    assert r.cmd("*").startswith(b"-ERR")
    assert r.cmd("AUTH PLAIN !!!").startswith(b"-ERR")
    bad = base64.b64encode(f"\0{ADDRESS}\0wrong".encode()).decode()
    assert r.cmd(f"AUTH PLAIN {bad}").startswith(b"-ERR [AUTH]")
    assert r.cmd(f"AUTH PLAIN {plain}").startswith(b"+OK Maildrop has 1 messages")
    assert r.cmd("QUIT").startswith(b"+OK")
    r.close()

    r = Raw(pop3.port)
    assert r.cmd("AUTH PLAIN") == b"+ \r\n"
    assert r.cmd(plain).startswith(b"+OK")
    r.cmd("QUIT")
    r.close()

    r = Raw(pop3.port)
    assert r.cmd("AUTH LOGIN") == b"+ " + base64.b64encode(b"Username:") + b"\r\n"
    assert r.cmd(base64.b64encode(ADDRESS.encode())) == b"+ " + base64.b64encode(b"Password:") + b"\r\n"
    assert r.cmd(base64.b64encode(PASSWORD.encode())).startswith(b"+OK")
    r.cmd("QUIT")
    r.close()

    r = Raw(pop3.port)
    assert r.cmd("USER nobody@example.test").startswith(b"+OK")
    assert r.cmd("PASS whatever").startswith(b"-ERR [AUTH]")
    r.close()


def test_capa(pop3: Pop3Handle) -> None:
    p = poplib.POP3("127.0.0.1", pop3.port, timeout=10)
    caps = p.capa()
    for c in ("TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING", "STLS"):
        assert c in caps
    assert caps["SASL"] == ["PLAIN", "LOGIN"]
    assert caps["EXPIRE"] == ["NEVER"] and caps["LOGIN-DELAY"] == ["0"]
    assert caps["IMPLEMENTATION"] == ["kubemail"]
    p.user(ADDRESS)
    p.pass_(PASSWORD)
    caps = p.capa()
    assert "STLS" not in caps and "USER" not in caps and "TOP" in caps
    p.quit()


def test_implicit_tls_and_stls(pop3: Pop3Handle) -> None:
    pop3.deliver([EIGHT_BIT])
    ctx = ssl.create_default_context(cafile=pop3.cafile)
    ps = poplib.POP3_SSL("localhost", pop3.tls_port, context=ctx, timeout=10)
    ps.user(ADDRESS)
    ps.pass_(PASSWORD)
    assert retr(ps, 1) == EIGHT_BIT
    ps.quit()
    p = poplib.POP3("localhost", pop3.port, timeout=10)
    p.stls(ctx)
    assert "STLS" not in p.capa()
    p.user(ADDRESS)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()


def test_plaintext_login_refused_outside_trusted_networks(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(env={"KUBEMAIL_TRUSTED_NETWORKS": "10.0.0.0/8"})
    r = Raw(h.port)
    r.send("CAPA")
    assert r.line().startswith(b"+OK")
    caps = r.multiline()
    assert b"STLS\r\n" in caps and b"USER\r\n" not in caps
    assert r.cmd(f"USER {ADDRESS}").startswith(b"-ERR [AUTH]")
    assert r.cmd(f"PASS {PASSWORD}").startswith(b"-ERR [AUTH]")
    assert r.cmd("AUTH PLAIN").startswith(b"-ERR [AUTH]")
    r.close()
    ctx = ssl.create_default_context(cafile=h.cafile)
    p = poplib.POP3("localhost", h.port, timeout=10)
    p.stls(ctx)
    p.user(ADDRESS)
    p.pass_(PASSWORD)
    p.quit()


def test_stls_discards_pipelined_plaintext(pop3: Pop3Handle) -> None:
    r = Raw(pop3.port)
    r.sock.sendall(b"STLS\r\nUSER injected\r\n")
    assert r.line().startswith(b"+OK")
    ctx = ssl.create_default_context(cafile=pop3.cafile)
    tls = ctx.wrap_socket(r.sock, server_hostname="localhost")
    tls.sendall(b"PASS x\r\n")
    assert tls.recv(1000).startswith(b"-ERR USER first")
    tls.close()


def test_pipelining(pop3: Pop3Handle) -> None:
    pop3.deliver([msg(1), msg(2)])
    r = Raw(pop3.port)
    r.sock.sendall(f"USER {ADDRESS}\r\nPASS {PASSWORD}\r\nSTAT\r\nLIST\r\nRETR 2\r\nNOOP\r\nQUIT\r\n".encode())
    assert r.line().startswith(b"+OK")
    assert r.line().startswith(b"+OK")
    assert r.line() == f"+OK 2 {len(msg(1)) + len(msg(2))}\r\n".encode()
    assert r.line().startswith(b"+OK")
    assert len(r.multiline()) == 2
    assert r.line().startswith(b"+OK")
    assert b"".join(r.multiline()) == msg(2)
    assert r.line() == b"+OK\r\n"
    assert r.line().startswith(b"+OK")
    assert r.line() == b""


def test_idle_autologout_deletes_nothing(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(idle_timeout=0.5)
    h.deliver([msg(1)])
    r = Raw(h.port)
    r.login()
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.line().startswith(b"-ERR")  # autologout
    assert r.line() == b""
    assert len(h.inbox()[1]) == 1


def test_too_many_bad_commands_closes(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(max_bad_commands=3)
    r = Raw(h.port)
    for _ in range(2):
        assert r.cmd("BOGUS").startswith(b"-ERR")
    assert r.cmd("BOGUS").startswith(b"-ERR")
    assert r.line().startswith(b"-ERR Too many")
    assert r.line() == b""


def test_failed_login_rate_limit(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(env={"KUBEMAIL_AUTH_FAIL_PER_USER": "2"})
    r = Raw(h.port)
    for _ in range(2):
        assert r.cmd(f"USER {ADDRESS}").startswith(b"+OK")
        assert r.cmd("PASS wrong").startswith(b"-ERR [AUTH]")
    assert r.cmd(f"USER {ADDRESS}").startswith(b"+OK")
    reply = r.cmd(f"PASS {PASSWORD}")
    assert reply.startswith(b"-ERR [LOGIN-DELAY]"), reply
    r.close()


def test_metrics_count_commands(pop3: Pop3Handle) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: Any) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before_ok = value("kubemail_pop3_commands_total", command="STAT", result="ok")
    before_err = value("kubemail_pop3_commands_total", command="unknown", result="err")
    before_bytes = value("kubemail_pop3_bytes_sent_total")
    p = login(pop3)
    p.stat()
    with pytest.raises(poplib.error_proto):
        p._shortcmd("FROB")  # type: ignore[attr-defined]
    p.quit()
    assert value("kubemail_pop3_commands_total", command="STAT", result="ok") == before_ok + 1
    assert value("kubemail_pop3_commands_total", command="unknown", result="err") == before_err + 1
    assert value("kubemail_pop3_bytes_sent_total") > before_bytes


def test_proxy_protocol_per_listener(pop3_factory: Callable[..., Pop3Handle]) -> None:
    """KUBEMAIL_PROXY_LISTENERS names pop3s only: pop3 needs no header (#17 item 4)."""
    h = pop3_factory(env={"KUBEMAIL_PROXY_NETWORKS": "127.0.0.0/8", "KUBEMAIL_PROXY_LISTENERS": "pop3s"})
    r = Raw(h.port)
    assert r.greeting.startswith(b"+OK")
    r.close()


def test_proxy_protocol_sets_client_address(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(env={"KUBEMAIL_PROXY_NETWORKS": "127.0.0.0/8"})
    sock = socket.create_connection(("127.0.0.1", h.port), timeout=10)
    sock.sendall(b"PROXY TCP4 203.0.113.7 10.0.0.1 40000 110\r\n")
    f = sock.makefile("rb")
    assert f.readline().startswith(b"+OK")
    # The real client (203.0.113.7) is outside KUBEMAIL_TRUSTED_NETWORKS: no plaintext login.
    sock.sendall(f"USER {ADDRESS}\r\n".encode())
    assert f.readline().startswith(b"-ERR [AUTH]")
    sock.close()
    r = Raw(h.port)  # a peer in the proxy networks that sends no header is disconnected
    assert r.greeting == b""


@needs_ipv6
def test_dual_stack_listeners(pop3_factory: Callable[..., Pop3Handle]) -> None:
    """The default host `::` takes IPv6 and IPv4 clients on one port (#17 item 4)."""
    h = pop3_factory(host=Pop3Config().host)
    for host in ("::1", "127.0.0.1"):
        assert first_line(host, h.port).startswith(b"+OK"), host
