"""Sans-I/O parts: address policy, enhanced codes, trace headers."""

from __future__ import annotations

import grpc
import pytest

from services.common.mailstore import from_rpc
from services.common.rpcerrors import MetadataError
from services.gen.kubemail.v1 import errors_pb2 as er
from services.smtp import addresses, headers, replies
from services.smtp.addresses import Verdict
from services.smtp.delivery import DeliveryError, failure


@pytest.mark.parametrize(
    ("addr", "verdict"),
    [
        ("alice@example.test", Verdict.OK),
        ("Alice@EXAMPLE.test", Verdict.OK),
        ("a%remote.test@example.test", Verdict.RELAY_TRICK),
        ("a!remote.test@example.test", Verdict.RELAY_TRICK),
        ('"a@remote.test"@example.test', Verdict.RELAY_TRICK),
        ("a@remote.test@example.test", Verdict.RELAY_TRICK),
        ("a@[192.0.2.1]", Verdict.RELAY_TRICK),
        ("a@localhost", Verdict.SYNTAX),
        ("a..b@example.test", Verdict.SYNTAX),
        ("@example.test", Verdict.SYNTAX),
        ("a@", Verdict.SYNTAX),
        ("x" * 65 + "@example.test", Verdict.SYNTAX),
        ("a\x01b@example.test", Verdict.SYNTAX),
        ("\udcff@example.test", Verdict.SYNTAX),  # the byte 0xff, as aiosmtpd decodes it
    ],
)
def test_address_verdicts(addr: str, verdict: Verdict) -> None:
    assert addresses.check(addr).verdict is verdict


def test_utf8_address_normalised_to_a_label_domain() -> None:
    c = addresses.check("üser@exämple.test")
    assert c.verdict is Verdict.OK and c.needs_utf8
    assert c.address == "üser@xn--exmple-cua.test"
    assert addresses.check("alice@EXAMPLE.TEST").address == "alice@example.test"
    assert addresses.same_mailbox("Alice@Example.Test", "alice@example.test")
    assert not addresses.same_mailbox("alice@example.test", "alice@evil.test")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("500 Command line too long", "500 5.5.2 Line too long"),
        ("503 Error: need MAIL command", "503 5.5.1 Error: need MAIL command"),
        ("552 Error: Too much mail data", "552 5.3.4 Message size exceeds fixed maximum message size"),
        ("250 OK", "250 2.0.0 OK"),
        ("550 5.1.1 User unknown", "550 5.1.1 User unknown"),
        ("220 mx ESMTP", "220 mx ESMTP"),
        ("354 End data with <CR><LF>.<CR><LF>", "354 End data with <CR><LF>.<CR><LF>"),
        ("334 ", "334 "),
        ("501 Syntax: MAIL FROM: <address>", "501 5.5.4 Syntax: MAIL FROM: <address>"),
    ],
)
def test_enhanced_codes(raw: str, want: str) -> None:
    assert replies.enhance(raw) == want
    assert replies.code_of(want) == int(want[:3])


def test_received_header_shape_and_sanitising() -> None:
    t = headers.Trace(
        helo="evil\x7fhelo name",
        client_ip="203.0.113.9",
        hostname="mx.example.test",
        queue_id="ABC",
        protocol=headers.protocol_name(True, True, True, False),
        tls_version="TLSv1.3",
        tls_cipher="TLS_AES_256_GCM_SHA384",
        recipient="alice@example.test",
        timestamp=0,
    )
    out = headers.trace_headers("s@remote.test", t).decode()
    assert out.startswith("Return-Path: <s@remote.test>\r\nReceived: from evil?helo?name ([203.0.113.9])\r\n")
    assert "with ESMTPSA id ABC" in out
    assert "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)" in out
    assert out.endswith("for <alice@example.test>; Thu, 01 Jan 1970 00:00:00 GMT\r\n")
    assert all(line.startswith(("\t", "Return-Path:", "Received:")) for line in out.split("\r\n")[:-1])
    assert headers.return_path("<>") == b"Return-Path: <>\r\n"
    assert headers.protocol_name(False, False, False, False) == "SMTP"
    assert headers.protocol_name(True, True, False, True) == "UTF8SMTPS"


def test_alerted_series_exist_before_any_traffic() -> None:
    """increase()/rate() in the alerts need the series at 0 before the first failure."""
    import prometheus_client

    from services.smtp import metrics

    reg = prometheus_client.CollectorRegistry()
    for m in (metrics.COMMANDS, metrics.MESSAGES, metrics.CONNECTIONS, metrics.CONNECTIONS_TOTAL):
        reg.register(m)
    # the rules' AUTH failure alert and the tempfail ratios; the dashboard's failure reasons
    assert reg.get_sample_value("kubemail_smtp_commands_total", {"command": "AUTH", "result": "permfail"}) is not None
    for command, result in metrics.PRECREATED_COMMANDS:
        assert reg.get_sample_value("kubemail_smtp_commands_total", {"command": command, "result": result}) is not None
    for result, reason in (("tempfail", "unavailable"), ("rejected", "size"), ("accepted", "ok")):
        assert reg.get_sample_value("kubemail_smtp_messages_total", {"result": result, "reason": reason}) is not None
    for result, reason in metrics.PRECREATED_MESSAGES:
        assert reg.get_sample_value("kubemail_smtp_messages_total", {"result": result, "reason": reason}) is not None
    for listener in metrics.LISTENERS:
        assert reg.get_sample_value("kubemail_smtp_connections", {"listener": listener}) is not None


def _grpc_failure(exc: MetadataError, recipients: int) -> DeliveryError:
    """What delivery answers for a failed metadata call: the mail store's typed failure."""
    return failure(from_rpc(exc), recipients)


def _failed(reason: int, details: str) -> MetadataError:
    return MetadataError(grpc.StatusCode.RESOURCE_EXHAUSTED, reason, details)


def test_delivery_failures_follow_the_reason_not_the_text() -> None:
    too_big = _grpc_failure(_failed(er.ERROR_REASON_MESSAGE_TOO_LARGE, "over quota"), 1)
    assert too_big.reply.startswith("552 5.3.4") and too_big.reason == "size"
    full = _grpc_failure(_failed(er.ERROR_REASON_QUOTA_EXCEEDED, "message larger than size"), 1)
    assert full.reply.startswith("552 5.2.2") and full.reason == "quota"
    some = _grpc_failure(_failed(er.ERROR_REASON_QUOTA_EXCEEDED, ""), 3)
    assert some.reply.startswith("452 4.2.2") and some.temporary
    for reason in (
        er.ERROR_REASON_BACKEND_UNAVAILABLE,
        er.ERROR_REASON_INTERNAL,
        er.ERROR_REASON_BLOB_COLLECTING,
        er.ERROR_REASON_UNSPECIFIED,
    ):
        tmp = _grpc_failure(_failed(reason, "quota larger size"), 1)
        assert tmp.reply.startswith("451 4.3.0") and tmp.temporary


def test_trace_headers_never_fail_on_undecodable_client_text() -> None:
    """Bytes that were not UTF-8 (lone surrogates) become '?', not a UnicodeEncodeError at DATA."""
    t = headers.Trace(helo="\udcff\udcfe.test", client_ip="203.0.113.9", hostname="mx", queue_id="Q", protocol="ESMTP")
    out = headers.trace_headers("\udcff@b.test", t)
    assert out.startswith(b"Return-Path: <?@b.test>\r\nReceived: from ??.test ([203.0.113.9])\r\n")
