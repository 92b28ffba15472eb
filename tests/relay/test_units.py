"""The relay's pure parts: MX ordering, SRS, MTA-STS policies, DSN rules, message facts."""

from __future__ import annotations

import asyncio
import random

import pytest

from services.common import srs
from services.relay import dsn, mtasts
from services.relay.message import needs_smtputf8, strip_return_path
from services.relay.routing import is_null_mx, make_resolver, order_mx
from services.relay.smarthost import parse_hostport
from services.relay.transfer import xtext
from services.relay.worker import DomainLimiter, backoff


def test_mx_order_is_by_preference_random_among_equals() -> None:
    records = [(20, "c.test."), (10, "a.test."), (10, "b.test."), (30, "A.test.")]
    seen = set()
    for seed in range(40):
        order = order_mx(records, random.Random(seed))
        assert order[2:] == ["c.test"]  # a.test (again, at 30) is dropped as a duplicate
        assert set(order[:2]) == {"a.test", "b.test"}
        seen.add(tuple(order[:2]))
    assert len(seen) == 2  # both orders occur


def test_null_mx() -> None:
    assert is_null_mx([(0, ".")])
    assert not is_null_mx([(0, "mx.test.")])


def test_resolver_settings() -> None:
    r = make_resolver(["127.0.0.1:5353"])
    assert (r.nameservers, r.port) == (["127.0.0.1"], 5353)
    r = make_resolver(["::1"])
    assert (r.nameservers, r.port) == (["::1"], 53)


def test_srs_round_trip_forgery_and_expiry() -> None:
    secret = b"0123456789abcdef0123"
    now = 1_800_000_000.0
    a = srs.forward("Alice@Example.org", secret, "fwd.test", now=now)
    assert a.startswith("SRS0=") and a.endswith("@fwd.test")
    assert srs.reverse(a, secret, now=now + 86400) == "Alice@Example.org"
    assert srs.reverse(a.upper().replace("@FWD.TEST", "@fwd.test"), secret, now=now).lower() == "alice@example.org"
    with pytest.raises(srs.SrsError):
        srs.reverse(a.replace("Alice", "Mallory"), secret, now=now)
    with pytest.raises(srs.SrsError):
        srs.reverse(a, b"another-secret-value", now=now)
    with pytest.raises(srs.SrsError):
        srs.reverse(a, secret, now=now + 30 * 86400)
    with pytest.raises(srs.SrsError):
        srs.reverse("bob@fwd.test", secret)
    assert srs.forward("x@fwd.test", secret, "fwd.test") == "x@fwd.test"


def test_mta_sts_policy_parsing_and_matching() -> None:
    p = mtasts.parse_policy(
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
    )
    assert p.enforce and p.max_age == 86400
    assert p.matches("mail.example.com") and p.matches("MX1.example.net.")
    assert not p.matches("a.b.example.net") and not p.matches("example.net") and not p.matches("evil.com")
    for bad in (
        "version: STSv2\nmode: enforce\nmx: a\nmax_age: 1",
        "version: STSv1\nmode: bogus\nmx: a\nmax_age: 1",
        "version: STSv1\nmode: enforce\nmax_age: 1",
        "version: STSv1\nmode: enforce\nmx: a\nmax_age: x",
    ):
        with pytest.raises(mtasts.PolicyError):
            mtasts.parse_policy(bad)
    assert mtasts.parse_policy("version: STSv1\nmode: none\nmax_age: 9999999999").max_age == mtasts.MAX_AGE_LIMIT
    assert mtasts.parse_txt(["v=STSv1; id=20160831085700Z;"]) == "20160831085700Z"
    assert mtasts.parse_txt(["v=STSv1; id=a", "v=STSv1; id=b"]) is None  # two records: none
    assert mtasts.parse_txt(["v=spf1 -all"]) is None


def test_dsn_notify_rules() -> None:
    assert dsn.wants_notice("a@b", [], "failed") and dsn.wants_notice("a@b", [], "delayed")
    assert not dsn.wants_notice("a@b", [], "relayed")
    assert not dsn.wants_notice("", [], "failed")  # never a bounce for a null sender
    assert not dsn.wants_notice("a@b", ["NEVER"], "failed")
    assert dsn.wants_notice("a@b", ["SUCCESS"], "relayed") and not dsn.wants_notice("a@b", ["SUCCESS"], "failed")
    assert dsn.status_of("550 5.1.1 no such user", True) == "5.1.1"
    assert dsn.status_of("550 no such user", True) == "5.0.0"
    assert dsn.status_of("421 closing", False) == "4.0.0"


def test_message_facts() -> None:
    assert strip_return_path(b"Return-Path: <a@b>\r\nReceived: x\r\n\r\nbody") == b"Received: x\r\n\r\nbody"
    assert strip_return_path(b"Return-Path:\r\n <a@b>\r\nX: y\r\n\r\n") == b"X: y\r\n\r\n"
    assert strip_return_path(b"X: y\r\nReturn-Path: <a@b>\r\n\r\n").startswith(b"X: y")
    assert needs_smtputf8("a@b", ["c@d"], "Subject: grüße\r\n\r\nbody".encode())
    assert not needs_smtputf8("a@b", ["c@d"], "Subject: hi\r\n\r\nbödy".encode())
    assert needs_smtputf8("ä@b", ["c@d"], b"\r\n")
    assert xtext("a+b=c d") == "a+2Bb+3Dc+20d"
    assert [backoff(["60", "120"], n) for n in (1, 2, 3, 9)] == [60, 120, 120, 120]
    assert parse_hostport("smtp.example.com:465") == ("smtp.example.com", 465)
    assert parse_hostport("[2001:db8::1]:25") == ("2001:db8::1", 25)
    assert parse_hostport("smtp.example.com") == ("smtp.example.com", 587)


async def test_domain_limiter_bounds_concurrency_and_forgets_idle_domains() -> None:
    limiter = DomainLimiter(2)
    active, peak = 0, 0

    async def one() -> None:
        nonlocal active, peak
        async with limiter.slot("a.test"):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1

    await asyncio.gather(*(one() for _ in range(6)))
    assert peak == 2
    assert len(limiter) == 0
