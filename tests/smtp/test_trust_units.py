"""SPF (RFC 7208), DMARC (RFC 7489) and DKIM/ARC verification against a real DNS server
(dnsmasq, tests/fixtures/dns.py) through the shared async resolver; the sans-I/O parts alone."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import dkim
import pytest
from kubemail_operator import dkim as operator_dkim

from services.common import config
from services.common.resolver import Lookup, make_resolver
from services.smtp import headers
from services.smtp.config import SmtpConfig
from services.smtp.trust import authresults, dkimcheck, dmarc, policy, spf
from services.smtp.trust.check import authenticate
from tests.fixtures.dns import DnsServer, Zone

PEM = operator_dkim.generate_private_pem(1024)
IP = "192.0.2.10"


def zone() -> Zone:
    key = operator_dkim.txt_value(PEM)
    z = (
        Zone()
        .txt("ip.test", "v=spf1 ip4:192.0.2.0/24 -all")
        .txt("ip6.test", "v=spf1 ip6:2001:db8::/32 ~all")
        .txt("inc.test", "v=spf1 include:ip.test -all")
        .txt("incnone.test", "v=spf1 include:nothing.test -all")
        .txt("redir.test", "v=spf1 redirect=ip.test")
        .txt("a.test", "v=spf1 a/24 -all")
        .host("a.test", "192.0.2.200")
        .txt("mx.test", "v=spf1 mx -all")
        .mx("mx.test", "mail.mx.test")
        .host("mail.mx.test", "192.0.2.10")
        .txt("two.test", "v=spf1 -all")
        .txt("two.test", "v=spf1 +all")
        .txt("bad.test", "v=spf1 foo:bar -all")
        .txt("macro.test", "v=spf1 exists:%{ir}.%{l}._spf.%{d} -all")
        .host("10.2.0.192.bob._spf.macro.test", "127.0.0.2")
        .txt("neutral.test", "v=spf1 ?all")
        .txt("loop.test", "v=spf1 include:loop.test -all")
        .txt("void.test", "v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test -all")
        .txt("sel._domainkey.signed.test", key)
        .txt("_dmarc.org.test", "v=DMARC1; p=reject; sp=quarantine; pct=100")
        .txt("_dmarc.half.test", "v=DMARC1; p=reject; pct=0")
        .txt("_dmarc.strict.test", "v=DMARC1; p=reject; adkim=s; aspf=s")
    )
    return z


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(zone()) as s:
        yield s


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def lookup(server: DnsServer) -> Lookup:
    return Lookup(make_resolver([server.address], 2.0))


@pytest.mark.parametrize(
    ("sender", "ip", "expected"),
    [
        ("a@ip.test", IP, "pass"),
        ("a@ip.test", "198.51.100.1", "fail"),
        ("a@ip6.test", "2001:db8::5", "pass"),
        ("a@ip6.test", "2001:db9::5", "softfail"),
        ("a@inc.test", IP, "pass"),
        ("a@inc.test", "198.51.100.1", "fail"),
        ("a@incnone.test", IP, "permerror"),  # include of a domain without SPF
        ("a@redir.test", "198.51.100.1", "fail"),
        ("a@redir.test", IP, "pass"),
        ("a@a.test", "192.0.2.77", "pass"),  # a/24
        ("a@a.test", "192.0.3.77", "fail"),
        ("a@mx.test", IP, "pass"),
        ("a@mx.test", "192.0.2.11", "fail"),
        ("a@two.test", IP, "permerror"),  # two SPF records
        ("a@bad.test", IP, "permerror"),  # unknown mechanism
        ("bob@macro.test", IP, "pass"),  # exists:%{ir}.%{l}._spf.%{d}
        ("eve@macro.test", IP, "fail"),
        ("a@neutral.test", IP, "neutral"),
        ("a@nothing.test", IP, "none"),
        ("a@loop.test", IP, "permerror"),  # include loop: more than 10 lookups
        ("a@void.test", IP, "permerror"),  # three void lookups
        ("a@ip.test", "::ffff:192.0.2.10", "pass"),  # v4-mapped client address
    ],
)
def test_spf_check_host(server: DnsServer, sender: str, ip: str, expected: str) -> None:
    assert run(spf.check(lookup(server), ip, sender, "helo.test")).result == expected


def test_spf_helo_identity_and_dns_failure(server: DnsServer) -> None:
    assert run(spf.check(lookup(server), IP, "", "ip.test")) == spf.Result("pass", "ip.test")
    dead = Lookup(make_resolver(["127.0.0.1:9"], 0.5))
    assert run(spf.check(dead, IP, "a@ip.test", "h.test")).result == "temperror"


def test_spf_macros_and_record_grammar() -> None:
    ctx = spf.MacroContext("strong-bad@email.example.com", "email.example.com", "192.0.2.3", "mx.example.org")
    # RFC 7208 7.4 examples
    assert spf.expand("%{s}", ctx) == "strong-bad@email.example.com"
    assert spf.expand("%{o}", ctx) == "email.example.com"
    assert spf.expand("%{d4}", ctx) == "email.example.com"
    assert spf.expand("%{d2}", ctx) == "example.com"
    assert spf.expand("%{dr}", ctx) == "com.example.email"
    assert spf.expand("%{l-}", ctx) == "strong.bad"
    assert spf.expand("%{lr-}", ctx) == "bad.strong"
    assert spf.expand("%{ir}.%{v}._spf.%{d2}", ctx) == "3.2.0.192.in-addr._spf.example.com"
    v6 = spf.MacroContext("a@b.test", "b.test", "2001:db8::cb01", "h")
    assert spf.expand("%{ir}.%{v}", v6) == "1.0.b.c." + "0." * 20 + "8.b.d.0.1.0.0.2.ip6"
    with pytest.raises(spf.PermError):
        spf.expand("%{x}", ctx)
    terms = spf.parse_record("v=spf1 -ip4:1.2.3.4 ~mx redirect=x.test exp=e.test unknown-mod=1")
    assert [(t.qualifier, t.name) for t in terms if not t.modifier] == [("fail", "ip4"), ("softfail", "mx")]
    with pytest.raises(spf.PermError):
        spf.parse_record("v=spf1 redirect=a.test redirect=b.test")


def test_dmarc_record_org_domain_and_alignment() -> None:
    assert dmarc.parse_record("v=DMARC1; p=quarantine; pct=50; adkim=s") == dmarc.Record(
        "quarantine", "quarantine", 50, "s"
    )
    assert dmarc.parse_record("v=DMARC1; p=bogus") is None
    assert dmarc.parse_record("p=reject; v=DMARC1") is None  # v must come first
    assert dmarc.org_domain("a.b.example.co.uk") == "example.co.uk"
    assert dmarc.aligned("mail.example.com", "example.com", "r")
    assert not dmarc.aligned("mail.example.com", "example.com", "s")
    assert not dmarc.aligned("example.net", "example.com", "r")


def _msg(author: str) -> bytes:
    return f"From: <x@{author}>\r\nTo: y@z.test\r\nSubject: s\r\n\r\nbody\r\n".encode()


def test_dmarc_discovery_sp_pct_and_strict(server: DnsServer) -> None:
    dns = lookup(server)
    sub = run(dmarc.evaluate(dns, _msg("sub.org.test"), None, []))
    assert (sub.result, sub.policy, sub.applied) == ("fail", "quarantine", "quarantine")  # sp= from the org domain
    assert run(dmarc.evaluate(dns, _msg("org.test"), "bounce.org.test", [])).result == "pass"  # relaxed SPF
    half = run(dmarc.evaluate(dns, _msg("half.test"), None, [], random.Random(1)))
    assert (half.policy, half.applied) == ("reject", "quarantine")  # pct=0: the next policy down
    assert run(dmarc.evaluate(dns, _msg("strict.test"), "mail.strict.test", [])).result == "fail"
    assert run(dmarc.evaluate(dns, _msg("strict.test"), None, ["strict.test"])).result == "pass"
    assert run(dmarc.evaluate(dns, _msg("none.test"), None, [])).result == "none"
    two_from = b"From: a@org.test\r\nFrom: b@org.test\r\n\r\nx\r\n"
    assert run(dmarc.evaluate(dns, two_from, None, [])).result == "permerror"


def test_malformed_signatures_never_raise(server: DnsServer) -> None:
    dns = lookup(server)
    bad = [
        b"DKIM-Signature: v=1; a=rsa-sha256; d=signed.test; s=sel; b=\r\n",
        b"DKIM-Signature: garbage\r\n",
        b"DKIM-Signature: v=1; d=\xff\xfe; s=\x00\r\n",
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=signed.test; s=sel; b=AAAA\r\n",
        b"ARC-Seal: i=x\r\nARC-Message-Signature: i=x\r\n",
    ]
    for header in bad:
        msg = header + b"From: a@signed.test\r\nSubject: s\r\n\r\nbody\r\n"
        sigs, arc = run(dkimcheck.verify(dns, msg))
        assert all(s.result in ("permerror", "fail", "neutral") for s in sigs), (header, sigs)
        assert arc.result in ("fail", "none"), (header, arc)


def test_arc_chain_passes_and_a_broken_seal_fails(server: DnsServer) -> None:
    dns = lookup(server)
    msg = b"From: a@signed.test\r\nTo: b@z.test\r\nSubject: forwarded\r\n\r\nhello\r\n"
    ar = b"Authentication-Results: fwd.signed.test; spf=pass smtp.mailfrom=a@signed.test\r\n"
    sealed = b"".join(dkim.arc_sign(ar + msg, b"sel", b"signed.test", PEM, b"fwd.signed.test")) + ar + msg
    _sigs, arc = run(dkimcheck.verify(dns, sealed))
    assert arc == dkimcheck.Arc("pass")
    _sigs, broken = run(dkimcheck.verify(dns, sealed.replace(b"hello", b"HELLO")))
    assert broken.result == "fail"


def test_authentication_results_and_policy_units(server: DnsServer) -> None:
    auth = run(authenticate(lookup(server), _msg("org.test"), IP, "helo.test", "x@ip.test"))
    assert auth.dmarc.result == "fail" and policy.trigger(auth, False) == policy.DMARC_REJECT
    junk = policy.decide(policy.DMARC_REJECT, {"u1": policy.directory_pb.InboundPolicy()}, policy.Defaults("junk"))
    assert (junk.rejected, junk.junk) == (False, frozenset({"u1"}))
    value = authresults.header("mx.test", auth.spf_mailfrom, auth.spf_helo, auth.mail_from, [], auth.dmarc, auth.arc)
    assert value.startswith(b"Authentication-Results: mx.test;\r\n\tspf=pass smtp.mailfrom=x@ip.test;")
    msg = b"Authentication-Results: mx.test;\r\n  dkim=pass\r\nauthentication-results: (c) MX.TEST; x=y\r\n"
    msg += b"Subject: a\r\n\r\nb"
    assert authresults.strip_ours(msg, "mx.test") == b"Subject: a\r\n\r\nb"
    assert headers.replace_field(b"Subject: a\r\nX: 1\r\n\r\nb", b"Subject", b"z") == b"Subject: z\r\nX: 1\r\n\r\nb"


def test_authentication_results_stay_parseable_for_odd_identities() -> None:
    """A quoted local part, a HELO that is no domain and a UTF-8 author domain (A-label in the
    field): authres parses the field back with every value intact."""
    value = authresults.header(
        "mx.test",
        spf.Result("pass", "x.test"),
        spf.Result("none", "h (x).test"),
        '"a;b c"@x.test',
        [dkimcheck.Signature("fail", "d.test", "s", "", "body hash mismatch")],
        dmarc.Result("fail", "exämple.test", "reject", "reject"),
        dkimcheck.Arc("none"),
    )
    parsed = authresults.FEATURES.parse(value.decode().replace("\r\n\t", " ").strip())
    by = {(r.method, i): r for i, r in enumerate(parsed.results)}
    assert by[("spf", 0)].smtp_mailfrom == '"a;b c"@x.test'
    assert by[("spf", 1)].smtp_helo == "h (x).test"
    assert by[("dkim", 2)].reason == "body hash mismatch"
    assert by[("dmarc", 3)].header_from == "xn--exmple-cua.test"


def test_policy_per_domain_over_global_and_one_reject_refuses_all() -> None:
    pb = policy.directory_pb
    lenient = pb.InboundPolicy(dmarc_reject=pb.INBOUND_ACTION_DELIVER, local_spoof=pb.INBOUND_ACTION_JUNK)
    strict = pb.InboundPolicy(dmarc_quarantine=pb.INBOUND_ACTION_REJECT)
    defaults = policy.Defaults()
    assert policy.decide(policy.DMARC_REJECT, {"a": lenient}, defaults) == policy.Decision(policy.DMARC_REJECT)
    assert policy.decide(policy.LOCAL_SPOOF, {"a": lenient}, defaults).junk == {"a"}
    # one domain says reject: one reply for all recipients, the message is refused
    mixed = policy.decide(policy.DMARC_QUARANTINE, {"a": lenient, "b": strict}, defaults)
    assert mixed.rejected and mixed.reply.startswith("550 5.7.1")
    # the default for quarantine is Junk, per user
    assert policy.decide(policy.DMARC_QUARANTINE, {"a": lenient, "c": pb.InboundPolicy()}, defaults).junk == {"a", "c"}
    # forwards only (no local mailbox): the server default
    assert policy.decide(policy.DMARC_REJECT, {}, defaults).rejected
    assert not policy.decide(policy.DMARC_REJECT, {}, policy.Defaults(dmarc_reject="deliver")).rejected
    assert policy.decide("", {"a": strict}, defaults) == policy.Decision("")


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("KUBEMAIL_SMTP_DMARC_REJECT_ACTION", "drop"),
        ("KUBEMAIL_SMTP_LOCAL_SPOOF_ACTION", "Reject"),
        ("KUBEMAIL_SMTP_SPAM_ACTION", "reject"),
    ],
)
def test_bad_trust_actions_are_config_errors(env: str, value: str) -> None:
    with pytest.raises(config.ConfigError, match=env):
        config.load(SmtpConfig, {env: value})
