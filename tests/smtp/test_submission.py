"""Submission (587 STARTTLS, 465 implicit TLS): AUTH, sender ownership, outbound queue; swaks."""

from __future__ import annotations

import base64
import shutil
import smtplib
import subprocess
import time
from collections.abc import Callable

import pytest

from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from tests.fixtures.outbound import outbound_entries
from tests.fixtures.seed import seed_user
from tests.smtp.conftest import DOMAIN, PASSWORD, World, message

ALICE = f"alice@{DOMAIN}"
BOB = f"bob@{DOMAIN}"


def _outbound_entries(world: World) -> list[dict[bytes, bytes]]:
    """Every entry of the outbound queue."""
    return outbound_entries(world.env["KUBEMAIL_REDIS_URL"])


def test_auth_before_starttls_refused(world: World) -> None:
    with world.smtp(world.submission) as s:
        s.ehlo()
        assert s.has_extn("starttls") and not s.has_extn("auth")
        code, text = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQtcHc=")
        assert (code, text[:6]) == (538, b"5.7.11")
        code, text = s.docmd("MAIL FROM:<alice@example.test>")
        assert (code, text[:5]) == (530, b"5.7.0")


def test_submission_starttls_auth_own_addresses_and_outbound(world: World) -> None:
    with world.smtp(world.submission) as s:
        s.starttls(context=world.tls_context())
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as bad:
            s.login(ALICE, "wrong")
        assert bad.value.smtp_code == 535
        s.login(ALICE, PASSWORD)
        code, text = s.mail(BOB)
        assert (code, text[:5]) == (553, b"5.7.1")
        code, text = s.mail("<>")
        assert code == 553
        assert s.mail(f"al@{DOMAIN}")[0] == 250  # an alias is the user's own
        assert s.rcpt(BOB)[0] == 250
        assert s.rcpt("friend@remote.test")[0] == 250  # authenticated: remote allowed
        assert s.data(message(msgid="<sub@t>"))[0] == 250
    stored = world.messages(BOB)
    assert len(stored) == 1 and b"<sub@t>" in stored[0]
    assert b"with ESMTPSA id" in stored[0] and b"(using TLSv1." in stored[0]
    entries = _outbound_entries(world)
    assert any(b"friend@remote.test" in b"".join(e.values()) for e in entries), entries


def test_auth_login_over_implicit_tls(world: World) -> None:
    with smtplib.SMTP_SSL(
        "127.0.0.1", world.submissions, context=world.tls_context(), local_hostname="c.test", timeout=10
    ) as s:
        s.ehlo()
        assert not s.has_extn("starttls")
        s.user, s.password = ALICE, PASSWORD
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235
        assert s.sendmail(ALICE, [BOB], message(msgid="<465@t>")) == {}
    assert b"<465@t>" in world.messages(BOB)[0]


def test_auth_plain_from_trusted_network_without_tls(make_world: Callable[..., World]) -> None:
    world = make_world(KUBEMAIL_TRUSTED_NETWORKS="127.0.0.0/8")
    with world.smtp(world.submission) as s:
        s.ehlo()
        assert s.has_extn("auth")
        s.login(ALICE, PASSWORD)
        assert s.sendmail(ALICE, [BOB], message()) == {}
    assert world.count(BOB) == 1


def test_auth_failures_are_rate_limited(world: World) -> None:
    import base64

    def plain(user: str, pw: str) -> str:
        return "PLAIN " + base64.b64encode(f"\0{user}\0{pw}".encode()).decode()

    codes = []
    for _ in range(4):
        with world.smtp(world.submission) as s:
            s.starttls(context=world.tls_context())
            s.ehlo()
            for _ in range(4):
                codes.append(s.docmd("AUTH", plain(BOB, "nope"))[0])
    assert codes[0] == 535
    assert codes[-1] == 454, codes
    with world.smtp(world.submission) as s:
        s.starttls(context=world.tls_context())
        s.ehlo()
        code, text = s.docmd("AUTH", plain(BOB, PASSWORD))
        assert (code, text[:5]) == (454, b"4.7.0")  # even the right password, for now
        code, _ = s.docmd("AUTH", plain(ALICE, PASSWORD))
        assert code == 235  # another account from the same IP is not locked out


swaks = pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed")


@swaks
def test_swaks_mx_delivery(world: World) -> None:
    out = subprocess.run(
        [
            "swaks",
            "--server",
            f"127.0.0.1:{world.mx}",
            "--to",
            ALICE,
            "--from",
            "s@remote.test",
            "--header",
            "Subject: via swaks",
            "--body",
            "swaks body\n.leading dot\n",
            "--pipeline",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    stored = world.messages(ALICE)
    assert len(stored) == 1
    assert b"Subject: via swaks" in stored[0] and b"\r\n.leading dot\r\n" in stored[0]


@swaks
def test_swaks_submission_tls_auth_and_refusals(world: World) -> None:
    base = ["swaks", "--server", f"127.0.0.1:{world.submission}", "--from", ALICE, "--to", BOB]
    ok = subprocess.run(
        [*base, "--tls", "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", PASSWORD],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert world.count(BOB) == 1
    # AUTH without TLS on 587: swaks cannot even see AUTH offered
    no_tls = subprocess.run(
        [*base, "--auth", "PLAIN", "--auth-user", ALICE, "--auth-password", PASSWORD],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert no_tls.returncode != 0
    relay = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{world.mx}", "--from", "x@remote.test", "--to", "y@elsewhere.test"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert relay.returncode != 0 and "5.7.1" in relay.stdout
    assert world.count(BOB) == 1


def test_proxy_header_before_implicit_tls(make_world: Callable[..., World]) -> None:
    import socket

    world = make_world(KUBEMAIL_PROXY_NETWORKS="127.0.0.0/8")
    raw = socket.create_connection(("127.0.0.1", world.submissions), timeout=10)
    raw.sendall(b"PROXY TCP6 2001:db8::5 2001:db8::1 40000 465\r\n")
    with world.tls_context().wrap_socket(raw) as tls:
        f = tls.makefile("rb")
        assert f.readline().startswith(b"220 ")
        plain = base64.b64encode(f"\0{ALICE}\0{PASSWORD}".encode())
        tls.sendall(b"EHLO p.test\r\nAUTH PLAIN " + plain + b"\r\n")
        lines = [f.readline() for _ in range(11)]  # 10 EHLO lines, then the AUTH reply
        assert lines[-1].startswith(b"235 "), lines
        tls.sendall(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        assert [f.readline()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        tls.sendall(b"Subject: proxied tls\r\n\r\nhi\r\n.\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 ")
    stored = world.messages(BOB)[0]
    assert b"from p.test ([2001:db8::5])" in stored and b"with ESMTPSA" in stored


def test_connections_gauge_tracks_open_sessions(world: World) -> None:
    from prometheus_client import REGISTRY

    def gauge() -> float:
        return REGISTRY.get_sample_value("kubemail_smtp_connections", {"listener": "submission"}) or 0.0

    base = gauge()
    s1, s2 = world.smtp(world.submission), world.smtp(world.submission)
    assert s1.noop()[0] == 250 and s2.noop()[0] == 250
    assert gauge() == base + 2
    s1.quit()
    s2.quit()
    deadline = time.monotonic() + 5
    while gauge() != base and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gauge() == base


def test_forward_to_copy_is_queued_through_outbound_rpcs(world: World) -> None:
    """MX mail to a user with forward_to: a local copy, and the forward queued (Outbound.Queue),
    visible to a relay through Outbound.Lease."""
    world.users[f"fwd@{DOMAIN}"] = world.run(seed_user(world.client, f"fwd@{DOMAIN}", forward_to=["far@remote.test"]))
    with world.smtp(world.mx) as s:
        assert s.sendmail("sender@remote.test", [f"fwd@{DOMAIN}"], message(msgid="<fwd@t>")) == {}
    assert b"<fwd@t>" in world.messages(f"fwd@{DOMAIN}")[0]

    async def lease() -> outbound_pb.LeaseResponse:
        return await world.client.outbound.Lease(  # type: ignore[no-any-return]
            outbound_pb.LeaseRequest(holder="test", max_entries=10, lease_seconds=60)
        )

    leased = world.run(lease())
    (entry,) = leased.entries
    assert [r.address for r in entry.recipients] == ["far@remote.test"]
    assert entry.mail_from == "sender@remote.test" and not entry.submitted_by
