"""MX ingress over real sockets with smtplib: delivery, policy, limits, protocol errors."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.fixtures.ipv6 import first_line, needs_ipv6
from tests.smtp.conftest import DOMAIN, World, message

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _stored_body(stored: bytes) -> tuple[bytes, bytes]:
    """(trace headers, the rest) of a stored message."""
    assert stored.startswith(b"Return-Path: <")
    rp_end = stored.index(b"\r\n") + 2
    lines = stored[rp_end:].split(b"\r\n")
    assert lines[0].startswith(b"Received: from ")
    n = 1
    while lines[n].startswith(b"\t"):
        n += 1
    trace_len = rp_end + sum(len(x) + 2 for x in lines[:n])
    return stored[:trace_len], stored[trace_len:]


def test_ehlo_extensions_on_mx(world: World) -> None:
    with world.smtp() as s:
        assert s.ehlo()[0] == 250
        for ext in ("size", "8bitmime", "pipelining", "enhancedstatuscodes", "smtputf8", "starttls"):
            assert s.has_extn(ext), ext
        assert s.esmtp_features["size"] == "200000"
        assert not s.has_extn("auth")
        assert s.docmd("AUTH", "PLAIN AGFAYg==")[0] == 502


def test_delivery_is_byte_exact_with_trace_headers_and_dot_stuffing(world: World) -> None:
    body = "line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nnot the end above\r\n"
    raw = message(body=body)
    before = _sample("kubemail_smtp_messages_total", result="accepted", reason="ok")
    with world.smtp() as s:
        s.ehlo()
        refused = s.sendmail("sender@remote.test", [ALICE], raw)
        assert refused == {}
    stored = world.messages(ALICE)
    assert len(stored) == 1
    trace, rest = _stored_body(stored[0])
    assert rest == raw
    text = trace.decode()
    assert text.startswith("Return-Path: <sender@remote.test>\r\n")
    assert "from client.test ([127.0.0.1])" in text
    assert "by mx.example.test (kubemail) with ESMTP id " in text
    assert f"for <{ALICE}>;" in text
    assert _sample("kubemail_smtp_messages_total", result="accepted", reason="ok") == before + 1
    assert _sample("kubemail_smtp_bytes_received_total") >= len(raw)


def test_eight_bit_body_and_smtputf8_address(world: World) -> None:
    raw = "From: Jörg <jörg@absender.test>\r\nSubject: Grüße\r\n\r\nÄpfel und Bäume — 8 bit\r\n".encode()
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("jörg@absender.test", ["SMTPUTF8", "BODY=8BITMIME"])[0] == 250
        assert s.rcpt(ALICE)[0] == 250
        assert s.data(raw)[0] == 250
        # without SMTPUTF8 a non-ASCII address is refused
        s.rset()
        s.command_encoding = "utf-8"
        code, text = s.docmd("MAIL FROM:<jörg@absender.test>")
        assert code == 553 and text.startswith(b"5.6.7")
    stored = world.messages(ALICE)
    assert len(stored) == 1
    trace, rest = _stored_body(stored[0])
    assert rest == raw
    assert "Return-Path: <jörg@absender.test>" in trace.decode()
    assert "with UTF8SMTP id" in trace.decode()


def test_aliases_and_catch_all_resolve(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.sendmail("x@remote.test", [f"al@{DOMAIN}"], message(msgid="<alias@t>")) == {}
        assert s.sendmail("x@remote.test", ["whoever@catchall.test"], message(msgid="<catch@t>")) == {}
    assert world.count(ALICE) == 1 and b"<alias@t>" in world.messages(ALICE)[0]
    assert world.count(BOB) == 1 and b"<catch@t>" in world.messages(BOB)[0]


def test_unknown_user_rejected_at_rcpt(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        code, text = s.rcpt(f"nobody@{DOMAIN}")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert s.rcpt(ALICE)[0] == 250
        assert s.data(message())[0] == 250
    assert world.count(ALICE) == 1


@pytest.mark.parametrize(
    "rcpt",
    [
        "<someone@remote.test>",
        f"<someone%remote.test@{DOMAIN}>",
        f"<someone!remote.test@{DOMAIN}>",
        f'<"someone@remote.test"@{DOMAIN}>',
        f'<"someone%remote.test"@{DOMAIN}>',
        f"<someone@remote.test@{DOMAIN}>",
        f"<@{DOMAIN}:someone@remote.test>",
        "<someone@[192.0.2.7]>",
        "<postmaster@remote.test.>",
    ],
)
def test_no_open_relay(world: World, rcpt: str) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        code, text = s.docmd(f"RCPT TO:{rcpt}")
        assert code == 501 or 550 <= code <= 554, (code, text)  # 501: not even a path
        assert s.docmd("DATA")[0] == 503


def test_source_route_to_local_user_is_ignored_not_relayed(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        assert s.docmd(f"RCPT TO:<@hop.remote.test:{ALICE}>")[0] == 250
        assert s.data(message())[0] == 250
    assert world.count(ALICE) == 1


def test_size_limits(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        code, text = s.docmd("MAIL FROM:<x@remote.test> SIZE=300000")
        assert (code, text[:5]) == (552, b"5.3.4")
        assert s.mail("x@remote.test")[0] == 250
        assert s.rcpt(ALICE)[0] == 250
        code, text = s.data(message(body="x" * 900 + "\r\n") * 250)
        assert (code, text[:5]) == (552, b"5.3.4")
        # the session is still usable
        assert s.sendmail("x@remote.test", [ALICE], message()) == {}
    assert world.count(ALICE) == 1


def test_max_recipients(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_MAX_RECIPIENTS="2")
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        assert s.rcpt(ALICE)[0] == 250
        assert s.rcpt(BOB)[0] == 250
        code, text = s.rcpt(f"al@{DOMAIN}")
        assert (code, text[:5]) == (452, b"4.5.3")
        assert s.data(message())[0] == 250
    assert world.count(ALICE) == 1 and world.count(BOB) == 1


def test_over_quota(world: World) -> None:
    from services.gen.kubemail.v1 import directory_pb2 as directory_pb

    small = f"small@{DOMAIN}"  # quota 100 bytes
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        assert s.rcpt(small)[0] == 250  # nothing used yet
        code, text = s.data(message(body="y" * 300 + "\r\n"))
        assert (code, text[:5]) == (552, b"5.2.2")  # this message would exceed it
    assert world.count(small) == 0
    # bob receives one message, then his quota is lowered below his usage: refused at RCPT
    with world.smtp() as s:
        s.ehlo()
        assert s.sendmail("x@remote.test", [BOB], message()) == {}

    async def lower_quota() -> None:
        await world.client.directory.UpsertUser(
            directory_pb.UpsertUserRequest(user=directory_pb.User(address=BOB, quota_bytes=10, enabled=True))
        )

    world.run(lower_quota())
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        code, text = s.rcpt(BOB)
        assert (code, text[:5]) == (452, b"4.2.2")
        assert s.rcpt(ALICE)[0] == 250
        assert s.data(message())[0] == 250
    assert world.count(BOB) == 1 and world.count(ALICE) == 1


def test_bad_command_order(world: World) -> None:
    with world.smtp() as s:
        code, text = s.docmd("MAIL FROM:<x@remote.test>")
        assert (code, text[:5]) == (503, b"5.5.1")
        s.ehlo()
        assert s.docmd("RCPT TO:<alice@example.test>")[:1] == (503,)
        assert s.docmd("DATA")[0] == 503
        assert s.mail("x@remote.test")[0] == 250
        assert s.docmd("MAIL FROM:<y@remote.test>")[0] == 503
        assert s.docmd("DATA")[0] == 503
        assert s.docmd("STARTTLS", "x")[0] == 501
        assert s.noop()[0] == 250


def test_overlong_lines(world: World) -> None:
    with world.smtp() as s:
        s.ehlo()
        code, text = s.docmd("NOOP " + "x" * 2000)
        assert (code, text[:5]) == (500, b"5.5.2")
        code, text = s.docmd("MAIL FROM:<" + "x" * 700 + "@remote.test>")  # over 512 + SIZE, SMTPUTF8, DSN
        assert code == 500 and text[:5] == b"5.5.2"
        s.mail("x@remote.test")
        s.rcpt(ALICE)
        code, text = s.data(message(body="z" * 1500 + "\r\n"))
        assert (code, text[:5]) == (500, b"5.5.2")
        assert s.noop()[0] == 250
    assert world.count(ALICE) == 0


def test_slow_client_is_timed_out(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_SMTP_TIMEOUT="0.5", KUBEMAIL_SMTP_DATA_TIMEOUT="0.8")
    with socket.create_connection(("127.0.0.1", world.mx), timeout=5) as sock:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"EHLO slow.test\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        start = time.monotonic()
        assert f.readline().startswith(b"421 4.4.2")
        assert f.readline() == b""  # closed
        assert time.monotonic() - start < 4
    # a client that starts DATA and then stalls is cut off too; nothing is stored
    with socket.create_connection(("127.0.0.1", world.mx), timeout=5) as sock:
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"HELO slow.test\r\nMAIL FROM:<x@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        for _ in range(4):
            f.readline()
        sock.sendall(b"Subject: partial\r\n\r\nno end")
        assert f.readline().startswith(b"421 4.4.2")
    assert world.count(ALICE) == 0


def test_pipelining(world: World) -> None:
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"EHLO pipe.test\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        sock.sendall(
            b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
            b"RCPT TO:<bob@example.test>\r\nDATA\r\n"
        )
        codes = [f.readline()[:3] for _ in range(5)]
        assert codes == [b"250", b"250", b"550", b"250", b"354"]
        sock.sendall(b"Subject: piped\r\n\r\nbody\r\n.\r\nMAIL FROM:<q@remote.test>\r\nRSET\r\nQUIT\r\n")
        codes = [f.readline()[:3] for _ in range(4)]
        assert codes == [b"250", b"250", b"250", b"221"]
    assert world.count(ALICE) == 1 and world.count(BOB) == 1


def test_proxy_protocol_per_listener(make_world: Callable[..., World]) -> None:
    """KUBEMAIL_PROXY_LISTENERS: only the named listeners expect the header (#17 item 4)."""
    world = make_world(KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8", KUBEMAIL_PROXY_LISTENERS="submission")
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:  # no header needed
        assert sock.makefile("rb").readline().startswith(b"220 ")
    with socket.create_connection(("127.0.0.1", world.submission), timeout=10) as sock:
        sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 587\r\n")
        assert sock.makefile("rb").readline().startswith(b"220 ")
    with socket.create_connection(("127.0.0.1", world.submission), timeout=10) as sock:
        sock.sendall(b"EHLO no-header.test\r\n")  # a peer there without a header is dropped
        assert not sock.makefile("rb").readline().startswith(b"250")


def test_proxy_protocol_v1_and_v2(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8")
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n")
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"HELO v1.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        for _ in range(4):
            f.readline()
        sock.sendall(b"Subject: v1\r\n\r\nx\r\n.\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 ")
    import ipaddress
    import struct

    v2 = (
        b"\r\n\r\n\x00\r\nQUIT\n"
        + bytes([0x21, 0x11])
        + struct.pack("!H", 12)
        + ipaddress.ip_address("198.51.100.9").packed
        + ipaddress.ip_address("192.0.2.1").packed
        + struct.pack("!HH", 40001, 25)
    )
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        sock.sendall(v2)
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"HELO v2.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
        for _ in range(4):
            f.readline()
        sock.sendall(b"Subject: v2\r\n\r\nx\r\n.\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 ")
    stored = b"\n".join(world.messages(ALICE))
    assert b"from v1.test ([203.0.113.7])" in stored
    assert b"from v2.test ([198.51.100.9])" in stored
    # a garbage header from a proxy address is dropped without a greeting
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        sock.sendall(b"HELO not-a-proxy-header\r\n")
        assert sock.makefile("rb").readline() == b""


def test_proxy_header_ignored_from_untrusted_peer(world: World) -> None:
    with socket.create_connection(("127.0.0.1", world.mx), timeout=10) as sock:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n")
        assert f.readline()[:3] == b"500"


def test_connection_rate_limit(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_CONN_PER_IP="2")
    for _ in range(2):
        with world.smtp() as s:
            assert s.noop()[0] == 250
    with pytest.raises(smtplib.SMTPConnectError) as exc:
        world.smtp()
    assert exc.value.smtp_code == 421


def test_blob_store_down_gives_451_and_stores_nothing(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_S3_ENDPOINT="127.0.0.1:9")
    before = _sample("kubemail_smtp_messages_total", result="tempfail", reason="blob")
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        s.rcpt(ALICE)
        code, text = s.data(message())
        assert (code, text[:5]) == (451, b"4.3.0")
    assert world.count(ALICE) == 0
    assert _sample("kubemail_smtp_messages_total", result="tempfail", reason="blob") == before + 1


def test_commands_metric_counts_results(world: World) -> None:
    before = _sample("kubemail_smtp_commands_total", command="RCPT", result="permfail")
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        s.rcpt(f"nobody@{DOMAIN}")
    assert _sample("kubemail_smtp_commands_total", command="RCPT", result="permfail") == before + 1


def test_identical_transactions_are_distinct_messages(world: World) -> None:
    """Replaces the content-key test (issue #13 item 11): deduplication absorbs retries within one
    transaction only (DESIGN invariant 9, decision 0010). Two transactions with the same bytes from
    the same sender are two messages, whatever the recipients; RFC 5321 6.1 accepts the duplicate
    that a client's resend after a lost reply can cause."""
    raw = message(msgid="<resend@t>")
    with world.smtp() as s:
        s.ehlo()
        assert s.sendmail("r@remote.test", [ALICE, BOB], raw) == {}
        assert s.sendmail("r@remote.test", [ALICE], raw) == {}
        assert s.sendmail("r@remote.test", [BOB, ALICE], raw) == {}
        assert s.sendmail("other@remote.test", [ALICE], raw) == {}
    assert world.count(ALICE) == 4 and world.count(BOB) == 2


def test_identical_bytes_in_separate_sessions_both_stored(world: World) -> None:
    raw = message(msgid="<same@t>")
    for _ in range(2):
        with world.smtp() as s:
            s.ehlo()
            assert s.sendmail("r@remote.test", [ALICE], raw) == {}
    assert world.count(ALICE) == 2


def test_identical_bytes_after_the_first_was_deleted_is_stored(world: World) -> None:
    raw = message(msgid="<again@t>")
    with world.smtp() as s:
        s.ehlo()
        assert s.sendmail("r@remote.test", [ALICE], raw) == {}
    assert world.count(ALICE) == 1
    world.run(_expunge_inbox(world, world.users[ALICE].id))
    assert world.count(ALICE) == 0
    with world.smtp() as s:
        s.ehlo()
        assert s.sendmail("r@remote.test", [ALICE], raw) == {}
    assert world.count(ALICE) == 1


async def _expunge_inbox(world: World, user_id: str) -> None:
    mbox = (
        await world.client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX"))
    ).mailbox
    every = [types_pb.UidRange(lo=1, hi=0)]
    await world.client.messages.StoreFlags(
        messages_pb.StoreFlagsRequest(
            user_id=user_id,
            mailbox_id=mbox.id,
            uids=every,
            mode=messages_pb.StoreFlagsRequest.MODE_ADD,
            flags=["\\Deleted"],
        )
    )
    await world.client.messages.Expunge(messages_pb.ExpungeRequest(user_id=user_id, mailbox_id=mbox.id))


@pytest.fixture
def full_blob_dir(tmp_path: Path) -> Iterator[Path]:
    """A blob directory on a file system with no room left (a 64 KiB tmpfs, filled up)."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        with contextlib.suppress(OSError), open(mnt / "filler", "wb") as f:
            while True:
                f.write(b"x" * 4096)
                f.flush()
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_blob_store_gives_452_insufficient_storage(make_world: Callable[..., World], full_blob_dir: Path) -> None:
    """#13 item 19: a full store is RFC 3463 4.3.1 (insufficient system storage), not 4.3.0."""
    world = make_world(KUBEMAIL_BLOB_BACKEND="fs", KUBEMAIL_BLOB_DIR=str(full_blob_dir))
    before = _sample("kubemail_smtp_messages_total", result="tempfail", reason="storage_full")
    with world.smtp() as s:
        s.ehlo()
        s.mail("x@remote.test")
        s.rcpt(ALICE)
        code, text = s.data(message())
        assert (code, text[:5]) == (452, b"4.3.1"), (code, text)
    assert world.count(ALICE) == 0
    assert _sample("kubemail_smtp_messages_total", result="tempfail", reason="storage_full") == before + 1


@needs_ipv6
def test_dual_stack_listeners(make_world: Callable[..., World]) -> None:
    """The default host `::` takes IPv6 and IPv4 clients on one port (#17 item 4)."""
    world = make_world(KUBEMAIL_SMTP_HOST="::")
    for host in ("::1", "127.0.0.1"):
        assert first_line(host, world.mx).startswith(b"220 "), host
        assert first_line(host, world.submission).startswith(b"220 "), host
