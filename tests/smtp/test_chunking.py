"""CHUNKING / BDAT (RFC 3030) over raw sockets: byte-exact storage, pipelining, errors, SIZE."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from services.smtp.chunking import Bdat, parse_bdat
from tests.smtp.conftest import DOMAIN, World

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"
LIMIT = 200_000  # KUBEMAIL_SMTP_MAX_MESSAGE_BYTES of the test world


class Conn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")
        assert self.f.readline().startswith(b"220 ")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """One (possibly multi-line) reply; returns its last line."""
        while True:
            line = self.f.readline()
            assert line, "connection closed"
            if line[3:4] != b"-":
                return line

    def codes(self, n: int) -> list[bytes]:
        return [self.reply()[:3] for _ in range(n)]

    def ehlo(self) -> list[bytes]:
        self.send(b"EHLO chunk.test\r\n")
        lines = []
        while True:
            line = self.f.readline()
            lines.append(line)
            if line[3:4] != b"-":
                return lines

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(world: World) -> Iterator[Conn]:
    c = Conn(world.mx)
    c.ehlo()
    yield c
    c.close()


def _client_part(stored: bytes) -> bytes:
    """The client's bytes of a stored message: everything after our Return-Path/Received."""
    lines = stored.split(b"\r\n")
    assert lines[0].startswith(b"Return-Path: ") and lines[1].startswith(b"Received: ")
    n = 2
    while lines[n].startswith(b"\t"):
        n += 1
    return b"\r\n".join(lines[n:])


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("arg", "want"),
    [
        ("0 LAST", Bdat(0, True)),
        ("10", Bdat(10, False)),
        ("10 last", Bdat(10, True)),
        ("", None),
        (None, None),
        ("-1", None),
        ("ten", None),
        ("10 LASTX", None),
        ("10 LAST extra", None),
        ("1" * 19, None),
    ],
)
def test_parse_bdat(arg: str | None, want: Bdat | None) -> None:
    assert parse_bdat(arg) == want


def test_chunking_advertised_binarymime_not(conn: Conn) -> None:
    lines = conn.ehlo()
    assert b"250-CHUNKING\r\n" in lines
    assert not any(b"BINARYMIME" in x for x in lines)
    conn.send(b"MAIL FROM:<a@remote.test> BODY=BINARYMIME\r\n")
    assert conn.reply()[:1] == b"5"


def test_chunked_message_stored_byte_exact(world: World, conn: Conn) -> None:
    # what DATA would have unstuffed or choked on, split at awkward places
    msg = (
        b"From: a@remote.test\r\nTo: alice@example.test\r\nSubject: chunks\r\n\r\n"
        b".leading dot stays\r\n..two dots stay\r\n.\r\nthe lone dot above stays too\r\n"
        b"bare LF\nbare CR\rNUL\x00 8bit \xc3\xa4\xff\r\nno final CRLF"
    )
    parts = [msg[:7], msg[7:70], msg[70:71], msg[71:]]
    before = _sample("kubemail_smtp_messages_total", result="accepted", reason="ok")
    conn.send(b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\n")
    assert conn.codes(2) == [b"250", b"250"]
    for p in parts[:-1]:
        conn.send(b"BDAT %d\r\n" % len(p) + p)
        assert conn.reply() == b"250 2.0.0 %d octets received\r\n" % len(p)
    conn.send(b"BDAT %d LAST\r\n" % len(parts[-1]) + parts[-1])
    assert conn.reply().startswith(b"250 2.0.0 Ok: queued as ")
    stored = world.messages(ALICE)
    assert len(stored) == 1
    assert _client_part(stored[0]) == msg
    assert _sample("kubemail_smtp_messages_total", result="accepted", reason="ok") == before + 1


def test_pipelined_bdat_transactions_and_zero_last(world: World, conn: Conn) -> None:
    a, b = b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\nsecond\r\n"
    conn.send(
        b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
        + b"BDAT %d\r\n" % len(a)
        + a
        + b"BDAT 0 LAST\r\n"
        + b"MAIL FROM:<q@remote.test>\r\nRCPT TO:<bob@example.test>\r\n"
        + b"BDAT %d LAST\r\n" % len(b)
        + b
        + b"NOOP\r\n"
    )
    assert conn.codes(9) == [b"250"] * 9
    assert [_client_part(m) for m in world.messages(ALICE)] == [a]
    assert [_client_part(m) for m in world.messages(BOB)] == [a, b]


def test_bdat_error_rules(world: World, conn: Conn) -> None:
    evil = b"QUIT\r\n"  # a chunk that would end the session if it were read as a command
    # no MAIL: 503, chunk discarded; no RCPT: 503, chunk discarded
    conn.send(b"BDAT %d\r\n" % len(evil) + evil + b"NOOP\r\n")
    assert conn.reply().startswith(b"503 5.5.1")
    assert conn.reply()[:3] == b"250"
    conn.send(b"MAIL FROM:<e@remote.test>\r\n")
    assert conn.reply()[:3] == b"250"
    conn.send(b"BDAT %d LAST\r\n" % len(evil) + evil + b"NOOP\r\n")
    assert conn.reply().startswith(b"503 5.5.1")
    assert conn.reply()[:3] == b"250"
    # after a BDAT, neither DATA nor RCPT; RSET clears the partial message
    conn.send(b"RCPT TO:<alice@example.test>\r\nBDAT 8\r\npartial!DATA\r\nRCPT TO:<bob@example.test>\r\nRSET\r\n")
    assert conn.codes(5) == [b"250", b"250", b"503", b"503", b"250"]
    # RSET ended that transaction: BDAT needs a new MAIL/RCPT, then DATA works again
    conn.send(b"BDAT 4 LAST\r\nnope")
    assert conn.reply()[:3] == b"503"
    conn.send(b"MAIL FROM:<e@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert conn.codes(3) == [b"250", b"250", b"354"]
    conn.send(b"Subject: after rset\r\n\r\nx\r\n.\r\n")
    assert conn.reply()[:3] == b"250"
    stored = world.messages(ALICE)
    assert len(stored) == 1 and b"partial!" not in stored[0] and b"after rset" in stored[0]
    # a size that cannot be parsed leaves the chunk's end unknown: 501 and the connection closes
    conn.send(b"BDAT ten LAST\r\n0123456789")
    assert conn.reply().startswith(b"501 5.5.4")
    assert conn.f.readline() == b""


def test_bdat_needs_auth_on_submission(world: World) -> None:
    c = Conn(world.submission)
    try:
        c.ehlo()
        c.send(b"BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n")
        assert c.reply().startswith(b"530 5.7.0")
        assert c.reply()[:3] == b"250"
    finally:
        c.close()


def test_bdat_over_size_limit_is_consumed_and_refused(world: World, conn: Conn) -> None:
    before = _sample("kubemail_smtp_messages_total", result="rejected", reason="size")
    first = b"x" * 150_000
    second = b"QUIT\r\n" * 20_000  # pushes the total over SIZE; must be swallowed, not executed
    conn.send(b"MAIL FROM:<big@remote.test>\r\nRCPT TO:<alice@example.test>\r\n")
    assert conn.codes(2) == [b"250", b"250"]
    conn.send(
        b"BDAT %d\r\n" % len(first)
        + first
        + b"BDAT %d\r\n" % len(second)
        + second
        + b"BDAT 6 LAST\r\nQUIT\r\n"  # pipelined after the failure: discarded with 503
        + b"NOOP\r\n"
    )
    assert conn.reply()[:3] == b"250"
    assert conn.reply().startswith(b"552 5.3.4")
    assert conn.reply().startswith(b"503 5.5.1")
    assert conn.reply()[:3] == b"250"
    # a single chunk larger than SIZE on its own
    big = b"y" * (LIMIT + 1)
    conn.send(b"MAIL FROM:<big@remote.test>\r\nRCPT TO:<alice@example.test>\r\n")
    conn.send(b"BDAT %d LAST\r\n" % len(big) + big + b"NOOP\r\n")
    assert conn.codes(4) == [b"250", b"250", b"552", b"250"]
    # exactly SIZE is fine
    ok = b"Subject: max\r\n\r\n" + b"z" * (LIMIT - 16)
    assert len(ok) == LIMIT
    conn.send(b"MAIL FROM:<big@remote.test>\r\nRCPT TO:<alice@example.test>\r\n")
    conn.send(b"BDAT %d LAST\r\n" % len(ok) + ok)
    assert conn.codes(3) == [b"250", b"250", b"250"]
    stored = world.messages(ALICE)
    assert len(stored) == 1 and _client_part(stored[0]) == ok
    assert _sample("kubemail_smtp_messages_total", result="rejected", reason="size") == before + 2


def test_client_gone_inside_a_chunk_stores_nothing(world: World, conn: Conn) -> None:
    conn.send(b"MAIL FROM:<g@remote.test>\r\nRCPT TO:<alice@example.test>\r\nBDAT 100 LAST\r\nonly part")
    assert conn.codes(2) == [b"250", b"250"]
    conn.close()
    c2 = Conn(world.mx)  # the server is fine, and nothing was stored
    c2.close()
    assert world.count(ALICE) == 0
