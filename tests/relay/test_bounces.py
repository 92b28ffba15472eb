"""Retries, bounces and delivery status notifications (RFC 3464) with real remote MTAs."""

from __future__ import annotations

import email.message
import time
from typing import Any

from tests.fixtures.smtpsink import Behaviour
from tests.relay.conftest import DOMAIN, RelayWorld, message

ALICE = f"alice@{DOMAIN}"


def report_parts(dsn: email.message.Message) -> tuple[str, list[email.message.Message], email.message.Message]:
    """(human text, [per-message fields, per-recipient fields...], returned part) of a DSN."""
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    human, status, returned = dsn.get_payload()  # type: ignore[misc]
    assert status.get_content_type() == "message/delivery-status"
    return human.get_content(), status.get_payload(), returned


def test_5xx_bounces_at_once_with_a_report_in_the_senders_inbox(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world(
        {"127.0.0.2": Behaviour(rcpt={"nobody@remote.test": "550 5.1.1 <nobody@remote.test>: no such user"})}
    )
    w.start_relay()
    msg = message("to nobody", to="nobody@remote.test")
    w.submit(["nobody@remote.test"], msg)
    (dsn,) = w.wait_inbox(1)
    assert dsn["From"].addresses[0].username == "MAILER-DAEMON"
    assert dsn["Auto-Submitted"] == "auto-replied"
    human, fields, returned = report_parts(dsn)
    assert "nobody@remote.test" in human
    per_message, per_rcpt = fields
    assert per_message["Reporting-MTA"] == "dns; mx.example.test"
    assert per_rcpt["Final-Recipient"] == "rfc822; nobody@remote.test"
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert per_rcpt["Remote-MTA"] == "dns; mx.remote.test"
    assert per_rcpt["Diagnostic-Code"] == "smtp; 550 5.1.1 <nobody@remote.test>: no such user"
    assert returned.get_content_type() == "message/rfc822"
    assert returned.get_payload()[0]["Subject"] == "to nobody"  # type: ignore[index]
    w.wait_queue_empty()
    assert w.sink.received == []


def test_null_mx_bounces_without_a_connection(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world()
    w.start_relay()
    w.submit(["x@nullmx.test"], message("null mx", to="x@nullmx.test"))
    (dsn,) = w.wait_inbox(1)
    _, (_, per_rcpt), _ = report_parts(dsn)
    assert per_rcpt["Status"] == "5.1.10"
    assert per_rcpt["Action"] == "failed"
    w.wait_queue_empty()
    assert w.sink.connections == []


def test_three_domains_one_failing_bounces_only_that_recipient(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world(
        {
            "127.0.0.2": Behaviour(),
            "127.0.0.3": Behaviour(),
            "127.0.0.4": Behaviour(rcpt={"c@bad.test": "550 5.7.1 c@bad.test refuses your mail"}),
        }
    )
    w.start_relay()
    to = ["a@remote.test", "b@other.test", "c@bad.test"]
    w.submit(to, message("three domains"))
    got = w.sink.wait(2)
    assert sorted((r.host, tuple(r.rcpt_to)) for r in got) == [
        ("127.0.0.2", ("a@remote.test",)),
        ("127.0.0.3", ("b@other.test",)),
    ]
    (dsn,) = w.wait_inbox(1)
    _, (_, *per_rcpt), _ = report_parts(dsn)
    assert [p["Final-Recipient"] for p in per_rcpt] == ["rfc822; c@bad.test"]
    assert per_rcpt[0]["Status"] == "5.7.1"
    w.wait_queue_empty()
    time.sleep(0.5)
    assert len(w.inbox()) == 1


def test_4xx_is_retried_on_schedule_then_bounced_after_the_lifetime(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(rcpt={"later@remote.test": "451 4.3.2 try later"})})
    w.start_relay(KUBEMAIL_RELAY_RETRY_SCHEDULE="1", KUBEMAIL_RELAY_MAX_LIFETIME="4", KUBEMAIL_RELAY_DELAY_WARNING="0")
    w.submit(["later@remote.test"], message("later", to="later@remote.test"))
    (dsn,) = w.wait_inbox(1, timeout=30)
    attempts = [a for a in w.sink.rcpt_attempts if a[1] == "later@remote.test"]
    assert 3 <= len(attempts) <= 7  # about one per second for four seconds
    _, (per_message, per_rcpt), _ = report_parts(dsn)
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "4.4.7"
    assert "451 4.3.2 try later" in per_rcpt["Diagnostic-Code"]
    assert "Arrival-Date" in per_message
    w.wait_queue_empty()


def test_delay_warning_once_then_delivery(make_relay_world: Any) -> None:
    sink_hosts = {"127.0.0.2": Behaviour(rcpt={"slow@remote.test": "451 4.3.2 try later"})}
    w: RelayWorld = make_relay_world(sink_hosts)
    w.start_relay(KUBEMAIL_RELAY_RETRY_SCHEDULE="1", KUBEMAIL_RELAY_DELAY_WARNING="2")
    w.submit(["slow@remote.test"], message("slow", to="slow@remote.test"))
    (dsn,) = w.wait_inbox(1, timeout=30)
    _, (_, per_rcpt), _ = report_parts(dsn)
    assert per_rcpt["Action"] == "delayed"
    assert per_rcpt["Will-Retry-Until"]
    del sink_hosts["127.0.0.2"].rcpt["slow@remote.test"]  # the remote recovers
    (got,) = w.sink.wait(1, timeout=30)
    assert got.rcpt_to == ["slow@remote.test"]
    w.wait_queue_empty()
    assert len(w.inbox()) == 1  # one delay notice, no failure notice


def test_notify_never_and_null_sender_get_no_report(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(rcpt={"nobody@remote.test": "550 5.1.1 no such user"})})
    w.start_relay()
    w.submit(["nobody@remote.test"], message("never"), rcpt_options=["NOTIFY=NEVER"])
    w.wait_queue_empty()
    time.sleep(0.5)
    assert w.inbox() == []


def test_smtputf8_message_to_a_peer_without_it_bounces_with_5_6_7(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(smtputf8=False)})
    w.start_relay()
    msg = message("utf8").replace(b"Subject: utf8", "Subject: grüße".encode())
    w.submit(["bob@remote.test"], msg, mail_options=["SMTPUTF8"])
    (dsn,) = w.wait_inbox(1)
    _, (_, per_rcpt), _ = report_parts(dsn)
    assert per_rcpt["Status"] == "5.6.7"
    assert w.sink.received == []


def test_ret_hdrs_envid_and_orcpt_shape_the_report(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world({"127.0.0.2": Behaviour(rcpt={"nobody@remote.test": "550 5.1.1 no such user"})})
    w.start_relay()
    w.submit(
        ["nobody@remote.test"],
        message("headers only", body="secret body text\r\n"),
        mail_options=["RET=HDRS", "ENVID=env+2B42"],
        rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;alias+40remote.test"],
    )
    (dsn,) = w.wait_inbox(1)
    _, (per_message, per_rcpt), returned = report_parts(dsn)
    assert per_message["Original-Envelope-Id"] == "env+42"
    assert per_rcpt["Original-Recipient"] == "rfc822;alias+40remote.test"
    assert returned.get_content_type() == "text/rfc822-headers"
    assert "Subject: headers only" in returned.get_content()
    assert "secret body text" not in dsn.as_string()


def test_notify_success_to_a_peer_without_dsn_gives_a_relayed_notice(make_relay_world: Any) -> None:
    w: RelayWorld = make_relay_world()
    w.start_relay()
    w.submit(["bob@remote.test"], message("success please"), rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    (got,) = w.sink.wait(1)
    assert got.rcpt_options == []  # the sink does not offer DSN: the parameters are not passed on
    (dsn,) = w.wait_inbox(1)
    _, (_, per_rcpt), _ = report_parts(dsn)
    assert (per_rcpt["Action"], per_rcpt["Status"]) == ("relayed", "2.0.0")
    assert per_rcpt["Remote-MTA"] == "dns; mx.remote.test"
    w.wait_queue_empty()
