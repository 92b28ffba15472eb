"""Inbound trust at the MX (issue 15) with real parts: dnsmasq serving SPF, DKIM and DMARC
records, messages signed with dkimpy, the in-process metadata service, smtplib as the client.
Every verdict is made at the end of DATA: a refusal is the DATA reply, nothing is stored."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import authres
import authres.arc
import authres.dmarc
import dkim
import grpc
import pytest
from kubemail_operator import dkim as operator_dkim

from services.common import config
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.smtp import metrics
from tests.fixtures.dns import DnsServer, Zone
from tests.fixtures.seed import seed_domain, seed_user
from tests.smtp.conftest import DOMAIN, PASSWORD, World

AUTHSERV = "mx.example.test"
OTHER_IP = "192.0.2.77"  # never the client: the tests connect from 127.0.0.1
PEM = operator_dkim.generate_private_pem(1024)
FEATURES = authres.FeatureContext(authres.dmarc, authres.arc)


def zone() -> Zone:
    key = operator_dkim.txt_value(PEM)
    return (
        Zone()
        # SPF passes for 127.0.0.1, DKIM key published, DMARC reject
        .txt("signed.test", "v=spf1 ip4:127.0.0.1 -all")
        .txt("sel._domainkey.signed.test", key)
        .txt("_dmarc.signed.test", "v=DMARC1; p=reject")
        # SPF -all from another address, DMARC reject / quarantine / none
        .txt("forged.test", f"v=spf1 ip4:{OTHER_IP} -all")
        .txt("_dmarc.forged.test", "v=DMARC1; p=reject; sp=reject")
        .txt("quarantine.test", f"v=spf1 ip4:{OTHER_IP} -all")
        .txt("_dmarc.quarantine.test", "v=DMARC1; p=quarantine")
        .txt("nopolicy.test", f"v=spf1 ip4:{OTHER_IP} -all")
        .txt("sel._domainkey.nopolicy.test", key)
        .txt("_dmarc.nopolicy.test", "v=DMARC1; p=none")
        # signed by its own key, no SPF, DMARC reject: DKIM alone decides
        .txt("dkimonly.test", "v=DMARC1-not-spf")
        .txt("sel._domainkey.dkimonly.test", key)
        .txt("_dmarc.dkimonly.test", "v=DMARC1; p=reject")
        # a sender with no records at all
        .host("plain.test", "127.0.0.9")
    )


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with DnsServer(zone()) as server:
        yield server


@pytest.fixture
def trust_world(make_world: Callable[..., World], dns: DnsServer) -> World:
    w = make_world(KUBEMAIL_SMTP_TRUST="true", KUBEMAIL_SMTP_DNS_SERVERS=dns.address, KUBEMAIL_SMTP_DNS_TIMEOUT="3")
    lenient = directory_pb.InboundPolicy(dmarc_reject=directory_pb.INBOUND_ACTION_DELIVER)
    w.run(seed_domain(w.client, "lenient.test", inbound=lenient))
    w.users["carol@lenient.test"] = w.run(seed_user(w.client, "carol@lenient.test", PASSWORD))
    return w


def compose(sender: str, to: str = f"alice@{DOMAIN}", body: str = "Hello there.\r\n", extra: str = "") -> bytes:
    return (
        f"From: Sender <{sender}>\r\nTo: {to}\r\nSubject: trust\r\nMessage-ID: <t1@{sender.split('@')[1]}>\r\n"
        f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n{extra}\r\n{body}"
    ).encode()


def signed(message: bytes, domain: str) -> bytes:
    sig = dkim.sign(message, b"sel", domain.encode(), PEM, include_headers=[b"from", b"to", b"subject"])
    return sig + message


def send(w: World, mail_from: str, message: bytes, to: str = f"alice@{DOMAIN}") -> tuple[int, bytes]:
    with w.smtp() as s:
        s.ehlo("client.test")
        s.mail(mail_from)
        code, _ = s.rcpt(to)
        assert code == 250
        s.putcmd("data")
        code, _ = s.getreply()
        assert code == 354
        s.send(message.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        return s.getreply()


def stored(w: World, address: str, mailbox: str = "INBOX") -> list[bytes]:
    return w.run(_read(w, w.users[address].id, mailbox))  # type: ignore[no-any-return]


async def _read(w: World, user_id: str, mailbox: str) -> list[bytes]:
    req = mailboxes_pb.GetMailboxRequest(user_id=user_id, name=mailbox)
    try:
        mb = (await w.client.mailboxes.GetMailbox(req)).mailbox
    except grpc.aio.AioRpcError:
        return []
    resp = await w.client.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(user_id=user_id, mailbox_id=mb.id, uids=[types_pb.UidRange(lo=1, hi=0)])
    )
    blobs = make_blobstore(config.load(CommonConfig, w.env))
    return [await blobs.get(m.blob_id) for m in resp.messages]


async def _call(call: Any) -> Any:
    return await call


def auth_results(raw: bytes) -> list[Any]:
    """Every Authentication-Results field of a stored message, parsed with authres."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    unfolded = head.replace("\r\n\t", " ").replace("\r\n ", " ").split("\r\n")
    return [FEATURES.parse(line) for line in unfolded if line.lower().startswith("authentication-results:")]


def test_signed_message_passes_with_exact_header(trust_world: World) -> None:
    w = trust_world
    code, _ = send(w, "news@signed.test", signed(compose("news@signed.test"), "signed.test"))
    assert code == 250
    [raw] = stored(w, f"alice@{DOMAIN}")
    assert raw.startswith(b"Return-Path: <news@signed.test>\r\nAuthentication-Results: ")
    [ar] = auth_results(raw)
    assert ar.authserv_id == AUTHSERV
    assert str(ar) == (
        f"Authentication-Results: {AUTHSERV}; spf=pass smtp.mailfrom=news@signed.test; "
        "spf=none smtp.helo=client.test; dkim=pass header.d=signed.test header.i=@signed.test header.s=sel; "
        "dmarc=pass header.from=signed.test policy.dmarc=reject; arc=none"
    )


def test_body_changed_after_signing_fails(trust_world: World) -> None:
    w = trust_world
    message = signed(compose("a@nopolicy.test"), "nopolicy.test").replace(b"Hello there.", b"Hello THERE.")
    assert send(w, "a@nopolicy.test", message)[0] == 250  # p=none: delivered, recorded as failed
    [raw] = stored(w, f"alice@{DOMAIN}")
    [ar] = auth_results(raw)
    by_method = {r.method: r for r in ar.results if r.method != "spf"}
    assert by_method["dkim"].result == "fail"
    assert by_method["dkim"].header_d == "nopolicy.test"
    assert by_method["dmarc"].result == "fail"


def test_dkim_alone_decides_under_p_reject(trust_world: World) -> None:
    w = trust_world
    good = signed(compose("x@dkimonly.test"), "dkimonly.test")
    assert send(w, "x@dkimonly.test", good)[0] == 250
    code, text = send(w, "x@dkimonly.test", good.replace(b"Hello there.", b"Pay this invoice."))
    assert (code, text[:5]) == (550, b"5.7.1")
    assert len(stored(w, f"alice@{DOMAIN}")) == 1


def test_spf_fail_with_dmarc_reject_is_550_at_end_of_data(trust_world: World) -> None:
    w = trust_world
    before = metrics.TRUST_ACTIONS.labels("dmarc_reject", "reject")._value.get()
    code, text = send(w, "ceo@forged.test", compose("ceo@forged.test"))
    assert code == 550 and text.startswith(b"5.7.1")
    assert stored(w, f"alice@{DOMAIN}") == []
    assert metrics.TRUST_ACTIONS.labels("dmarc_reject", "reject")._value.get() == before + 1


def test_dmarc_quarantine_lands_in_a_created_junk(trust_world: World) -> None:
    w = trust_world
    uid = w.users[f"bob@{DOMAIN}"].id
    w.run(_call(w.client.mailboxes.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=uid, name="Junk"))))
    code, _ = send(w, "promo@quarantine.test", compose("promo@quarantine.test", f"bob@{DOMAIN}"), f"bob@{DOMAIN}")
    assert code == 250
    assert stored(w, f"bob@{DOMAIN}") == []
    [raw] = stored(w, f"bob@{DOMAIN}", "Junk")
    [ar] = auth_results(raw)
    dm = next(r for r in ar.results if r.method == "dmarc")
    assert (dm.result, dm.policy) == ("fail", "quarantine")
    boxes = w.run(_call(w.client.mailboxes.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid)))).mailboxes
    assert [(m.name, m.special_use) for m in boxes if m.name == "Junk"] == [("Junk", "\\Junk")]


def test_local_domain_claimed_without_spf_or_dkim_is_refused(trust_world: World) -> None:
    w = trust_world
    code, text = send(w, "billing@plain.test", compose(f"billing@{DOMAIN}"))
    assert code == 550 and b"local domain" in text
    assert stored(w, f"alice@{DOMAIN}") == []


def test_domain_policy_overrides_the_default(trust_world: World) -> None:
    w = trust_world
    to = "carol@lenient.test"
    assert send(w, "ceo@forged.test", compose("ceo@forged.test", to), to)[0] == 250
    [raw] = stored(w, to)
    [ar] = auth_results(raw)
    spf_mf = next(r for r in ar.results if r.method == "spf" and r.smtp_mailfrom)
    assert spf_mf.result == "fail"
    assert next(r for r in ar.results if r.method == "dmarc").result == "fail"


def test_forged_authentication_results_of_ours_are_removed(trust_world: World) -> None:
    w = trust_world
    extra = (
        f"Authentication-Results: {AUTHSERV.upper()}; dmarc=pass header.from=signed.test\r\n"
        "Authentication-Results: relay.other.test;\r\n\tspf=pass smtp.mailfrom=a@plain.test\r\n"
    )
    assert send(w, "a@plain.test", compose("a@plain.test", extra=extra))[0] == 250
    [raw] = stored(w, f"alice@{DOMAIN}")
    ids = [ar.authserv_id for ar in auth_results(raw)]
    assert ids == [AUTHSERV, "relay.other.test"]
    ours = auth_results(raw)[0]
    assert {(r.method, r.result) for r in ours.results} == {
        ("spf", "none"),
        ("dkim", "none"),
        ("dmarc", "none"),
        ("arc", "none"),
    }


def test_dns_down_defers_nothing_and_rejects_nothing(make_world: Callable[..., World]) -> None:
    """A resolver that never answers: every result is temperror/none, the message is delivered
    within the DNS timeout instead of hanging or being refused."""
    w = make_world(KUBEMAIL_SMTP_TRUST="true", KUBEMAIL_SMTP_DNS_SERVERS="127.0.0.1:9", KUBEMAIL_SMTP_DNS_TIMEOUT="1")
    assert send(w, "ceo@forged.test", compose("ceo@forged.test"))[0] == 250
    [raw] = stored(w, f"alice@{DOMAIN}")
    [ar] = auth_results(raw)
    assert {r.result for r in ar.results if r.method in ("spf", "dmarc")} == {"temperror"}


def test_submission_is_not_verified_but_stripped(trust_world: World) -> None:
    w = trust_world
    with smtplib.SMTP("127.0.0.1", w.submission, local_hostname="client.test", timeout=10) as s:
        s.starttls(context=w.tls_context())
        s.login(f"alice@{DOMAIN}", PASSWORD)
        forged = compose(f"alice@{DOMAIN}", f"bob@{DOMAIN}", extra=f"Authentication-Results: {AUTHSERV}; dkim=pass\r\n")
        s.sendmail(f"alice@{DOMAIN}", [f"bob@{DOMAIN}"], forged)
    [raw] = stored(w, f"bob@{DOMAIN}")
    assert auth_results(raw) == []


def test_a_silent_resolver_is_bounded_by_the_trust_timeout(make_world: Callable[..., World]) -> None:
    """A DNS server that takes every question and never answers: the checks give up after
    KUBEMAIL_SMTP_TRUST_TIMEOUT (not the longer DNS timeout), the message is delivered."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        w = make_world(
            KUBEMAIL_SMTP_TRUST="true",
            KUBEMAIL_SMTP_DNS_SERVERS=f"127.0.0.1:{silent.getsockname()[1]}",
            KUBEMAIL_SMTP_DNS_TIMEOUT="30",
            KUBEMAIL_SMTP_TRUST_TIMEOUT="1",
        )
        start = time.monotonic()
        assert send(w, "ceo@forged.test", compose("ceo@forged.test"))[0] == 250
        assert time.monotonic() - start < 6
        [raw] = stored(w, f"alice@{DOMAIN}")
        [ar] = auth_results(raw)
        assert {r.result for r in ar.results if r.method in ("spf", "dmarc")} == {"temperror"}
    finally:
        silent.close()
