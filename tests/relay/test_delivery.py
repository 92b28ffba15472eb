"""Outbound delivery end to end: submission -> queue -> relay -> remote MX (aiosmtpd sinks on
127.0.0.x found through a real DNS server), DKIM verified with dkimpy against the zone."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dkim
import dns.resolver

from services.common import config, srs
from services.common.blobstore import blob_id_of, make_blobstore
from services.common.config import CommonConfig
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.fixtures.ipv6 import needs_ipv6
from tests.fixtures.smtpsink import Behaviour
from tests.relay.conftest import DOMAIN, PASSWORD, SELECTOR, RelayWorld, base_zone, message


def _dnsfunc(resolver: dns.resolver.Resolver) -> Callable[..., bytes]:
    def lookup(name: bytes, timeout: int = 5) -> bytes:
        answer = resolver.resolve(name.decode().rstrip("."), "TXT")
        return b"".join(answer[0].strings)  # type: ignore[attr-defined,no-any-return]

    return lookup


def split_signature(data: bytes) -> tuple[bytes, bytes]:
    """(the leading DKIM-Signature header fields, the rest)."""
    lines = data.split(b"\r\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(b"DKIM-Signature:") or (i and lines[i][:1] in (b" ", b"\t"))):
        i += 1
    head = b"\r\n".join(lines[:i]) + b"\r\n"
    return head, data[len(head) :]


def test_submission_arrives_byte_for_byte_with_a_valid_dkim_signature(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world()
    w.start_relay()
    msg = message("byte exact")
    w.submit(["bob@remote.test"], msg)
    (got,) = w.sink.wait(1)
    assert (got.host, got.mail_from, got.rcpt_to) == ("127.0.0.2", f"alice@{DOMAIN}", ["bob@remote.test"])
    signature, rest = split_signature(got.data)
    assert signature.count(b"DKIM-Signature:") == 1
    assert b"s=" + SELECTOR.encode() + b";" in signature.replace(b"\r\n", b"").replace(b" ", b"")
    # the rest is the stored blob exactly (content-addressed: its id is its hash) = trace + client
    # bytes, without the Return-Path that belongs to final delivery only (RFC 5321 4.4)
    assert rest.endswith(msg) and rest.startswith(b"Received: ")
    stored = f"Return-Path: <alice@{DOMAIN}>\r\n".encode() + rest
    blobs = make_blobstore(config.load(CommonConfig, w.env))
    assert w.smtp.run(blobs.stat(blob_id_of(stored))) == len(stored)
    resolver = w.dns.resolver()
    assert dkim.verify(got.data, dnsfunc=_dnsfunc(resolver))
    assert not dkim.verify(got.data.replace(b"Hello there.", b"Hello there!"), dnsfunc=_dnsfunc(resolver))
    w.wait_queue_empty()
    assert got.tls is False  # the sink offers no STARTTLS


@needs_ipv6
def test_an_ipv6_only_mx_is_reached_over_ipv6(make_relay_world: Any, dkim_key: tuple[Path, str]) -> None:
    zone = base_zone(dkim_key[1]).mx("v6.test", "mx.v6.test", 10).host("mx.v6.test", "::1")
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(), "::1": Behaviour()}, zone=zone)
    w.start_relay()
    w.submit(["dave@v6.test"], message("over v6", to="dave@v6.test"))
    (got,) = w.sink.wait(1)
    assert (got.host, got.rcpt_to) == ("::1", ["dave@v6.test"])
    w.wait_queue_empty()


def test_a_forward_from_a_foreign_sender_gets_an_srs_reverse_path(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world()
    secret = Path(w.env["KUBEMAIL_SRS_SECRET_FILE"])  # the MX and the relay share it
    bob = w.smtp.users[f"bob@{DOMAIN}"]
    bob.forward_to.append("carol@remote.test")

    async def upsert() -> None:
        await w.smtp.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=bob))

    w.smtp.run(upsert())
    w.start_relay()
    with smtplib.SMTP("127.0.0.1", w.smtp.mx, local_hostname="sender.foreign.test", timeout=10) as s:
        s.sendmail("someone@other.test", [f"bob@{DOMAIN}"], message("forwarded", to=f"bob@{DOMAIN}"))
    (got,) = w.sink.wait(1)
    assert got.rcpt_to == ["carol@remote.test"]
    assert got.mail_from.startswith("SRS0=") and got.mail_from.endswith(f"@{DOMAIN}")
    assert srs.reverse(got.mail_from, secret.read_bytes().strip()) == "someone@other.test"
    assert len(w.smtp.messages(f"bob@{DOMAIN}")) == 1  # bob keeps his copy
    # the next hop bounces to the SRS address: our MX turns it back to the original sender
    with smtplib.SMTP("127.0.0.1", w.smtp.mx, local_hostname="mx.remote.test", timeout=10) as s:
        forged = got.mail_from.replace("SRS0=", "SRS0=x", 1)
        s.ehlo()
        assert s.docmd("MAIL FROM:<>")[0] == 250
        assert s.docmd(f"RCPT TO:<{forged}>")[0] == 550  # a forged hash is an unknown user
        s.rset()
        s.sendmail("", [got.mail_from], message("bounce", to=got.mail_from))
    bounce = w.sink.wait(2)[1]
    assert (bounce.host, bounce.mail_from, bounce.rcpt_to) == ("127.0.0.3", "<>", ["someone@other.test"])


def test_a_forward_is_arc_sealed_with_the_mx_results(make_relay_world: Any) -> None:
    """Issue 15 item 5: the MX verified the message (Authentication-Results of its authserv-id);
    the relay forwards it with an ARC set over those results, signed with the SRS domain's key,
    which a verifier (dkimpy against the same DNS) accepts; mail a user submits is not sealed."""
    w: RelayWorld = make_relay_world(trust=True)
    bob = w.smtp.users[f"bob@{DOMAIN}"]
    bob.forward_to.append("carol@remote.test")

    async def upsert() -> None:
        await w.smtp.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=bob))

    w.smtp.run(upsert())
    w.start_relay()
    with smtplib.SMTP("127.0.0.1", w.smtp.mx, local_hostname="sender.foreign.test", timeout=10) as s:
        forwarded = message("sealed", to=f"bob@{DOMAIN}").replace(f"alice@{DOMAIN}".encode(), b"x@other.test")
        s.sendmail("someone@other.test", [f"bob@{DOMAIN}"], forwarded)
    (got,) = w.sink.wait(1)
    assert got.data.startswith(b"ARC-Seal: i=1; ")
    assert f"d={DOMAIN}".encode() in got.data.split(b"ARC-Message-Signature:", 1)[1].split(b"\r\n\r\n", 1)[0]
    aar = got.data.split(b"ARC-Authentication-Results: ", 1)[1].split(b"\r\n", 1)[0]
    assert aar.startswith(b"i=1; mx.example.test")

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        answers = w.dns.resolver().resolve(name.decode().rstrip("."), "TXT")
        return b"".join(answers[0].strings)  # type: ignore[attr-defined]

    cv, _results, reason = dkim.arc_verify(got.data, dnsfunc=txt)
    assert cv == dkim.CV_Pass, reason
    # alice submits to carol herself: no ARC set
    with smtplib.SMTP("127.0.0.1", w.smtp.submission, local_hostname="client.test", timeout=10) as s:
        s.starttls(context=w.smtp.tls_context())
        s.login(f"alice@{DOMAIN}", PASSWORD)
        s.sendmail(f"alice@{DOMAIN}", ["carol@remote.test"], message("own", to="carol@remote.test"))
    own = w.sink.wait(2)[1]
    assert b"ARC-Seal:" not in own.data
