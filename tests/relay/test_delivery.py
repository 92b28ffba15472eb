"""Outbound delivery end to end: submission -> queue -> relay -> remote MX (aiosmtpd sinks on
127.0.0.x found through a real DNS server), DKIM verified with dkimpy against the zone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dkim
import dns.resolver

from services.common import config
from services.common.blobstore import blob_id_of, make_blobstore
from services.common.config import CommonConfig
from tests.relay.conftest import DOMAIN, SELECTOR, RelayWorld, message


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
