"""services/common/auth.py against the real metadata service (Redis + S3 fixtures)."""

from __future__ import annotations

import asyncio

import pytest

from services.common import config
from services.common.auth import AUTH_ATTEMPTS, Authenticator, AuthLimits, LoginOutcome, connection_allowed
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import closed_port

pytestmark = pytest.mark.timeout(60)


def counter(service: str, result: str) -> float:
    return AUTH_ATTEMPTS.labels(service, "command", result)._value.get()  # type: ignore[attr-defined]


def test_limits_from_environment() -> None:
    lim = config.load(
        AuthLimits,
        {
            "KUBEMAIL_AUTH_FAIL_PER_IP": "7",
            "KUBEMAIL_AUTH_FAIL_PER_USER": "3",
            "KUBEMAIL_AUTH_FAIL_WINDOW": "60",
            "KUBEMAIL_CONN_PER_IP": "100",
            "KUBEMAIL_CONN_WINDOW": "10",
            "KUBEMAIL_AUTH_FAIL_DELAY": "0.5",
        },
    )
    assert (lim.fail_per_ip, lim.fail_per_user, lim.fail_window, lim.conn_per_ip, lim.conn_window, lim.fail_delay) == (
        7,
        3,
        60,
        100,
        10,
        0.5,
    )
    assert AuthLimits in config.ALL_CONFIGS
    assert "KUBEMAIL_AUTH_FAIL_PER_IP" in config.markdown_table()


async def test_login_success_failure_and_user_lockout(metadata) -> None:  # type: ignore[no-untyped-def]
    async with MetadataClient(metadata.addr, timeout=5) as client:
        user = await seed_user(client, "alice@example.test", "right")
        auth = Authenticator(client, "imap", AuthLimits(fail_per_ip=100, fail_per_user=3, fail_window=60))
        ok0 = counter("imap", "ok")
        res = await auth.login("Alice@Example.test ", b"right", "192.0.2.1")
        assert res.ok and res.user is not None and res.user.id == user.id and res.outcome is LoginOutcome.OK
        assert counter("imap", "ok") == ok0 + 1

        for _ in range(3):
            res = await auth.login("alice@example.test", b"wrong", "192.0.2.1")
            assert not res.ok and res.outcome.value == "bad-credentials" and not res.temporary
        # locked: even the right password is refused, before it is checked
        res = await auth.login("alice@example.test", b"right", "192.0.2.99")
        assert not res.ok and res.outcome.value == "rate-limited" and res.temporary and res.retry_after > 0
        # other users are not affected
        await seed_user(client, "bob@example.test", "pw")
        assert (await auth.login("bob@example.test", b"pw", "192.0.2.1")).ok


async def test_ip_limit_across_users_and_bad_input(metadata) -> None:  # type: ignore[no-untyped-def]
    async with MetadataClient(metadata.addr, timeout=5) as client:
        await seed_user(client, "carol@example.test", "pw")
        auth = Authenticator(client, "pop3", AuthLimits(fail_per_ip=4, fail_per_user=100, fail_window=60))
        attempts: list[tuple[str, bytes]] = [
            ("nobody@example.test", b"x"),
            ("", b"x"),
            ("carol@example.test", b""),
            ("a b\x01@example.test", b"x"),
        ]
        for name, pw in attempts:
            res = await auth.login(name, pw, "198.51.100.7")
            assert not res.ok and res.outcome.value == "bad-credentials"
        res = await auth.login("carol@example.test", b"pw", "198.51.100.7")
        assert res.outcome.value == "rate-limited"
        # another address is fine
        assert (await auth.login("carol@example.test", b"pw", "198.51.100.8")).ok


async def test_disabled_user(metadata) -> None:  # type: ignore[no-untyped-def]
    async with MetadataClient(metadata.addr, timeout=5) as client:
        await seed_user(client, "dave@example.test", "pw")
        u = (await client.directory.GetUser(directory_pb.GetUserRequest(address="dave@example.test"))).user
        u.enabled = False
        await client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=u))
        auth = Authenticator(client, "smtp", AuthLimits())
        res = await auth.login("dave@example.test", b"pw", "192.0.2.3")
        assert not res.ok and res.outcome.value in ("disabled", "bad-credentials") and not res.temporary


async def test_connection_rate(metadata) -> None:  # type: ignore[no-untyped-def]
    async with MetadataClient(metadata.addr, timeout=5) as client:
        lim = AuthLimits(conn_per_ip=3, conn_window=60)
        got = [await connection_allowed(client, lim, "203.0.113.1", "smtp") for _ in range(4)]
        assert [a for a, _ in got] == [True, True, True, False]
        assert got[3][1] > 0
        assert (await connection_allowed(client, lim, "203.0.113.2"))[0]
        assert (await connection_allowed(client, AuthLimits(conn_per_ip=0), "203.0.113.1")) == (True, 0)


async def test_unavailable_backend() -> None:
    async with MetadataClient(f"127.0.0.1:{closed_port()}", timeout=0.5) as client:
        auth = Authenticator(client, "imap", AuthLimits())
        res = await auth.login("a@b.test", b"pw", "192.0.2.1")
        assert not res.ok and res.outcome.value == "unavailable" and res.temporary
        # connection limits fail open
        assert await connection_allowed(client, AuthLimits(conn_per_ip=5), "192.0.2.1") == (True, 0)


async def test_backoff_per_account_and_source(metadata) -> None:  # type: ignore[no-untyped-def]
    """#17 item 4: failures of one account from one source block that pair with a doubling
    delay; the account still logs in from elsewhere, and a success resets the pair."""
    async with MetadataClient(metadata.addr, timeout=5) as client:
        await seed_user(client, "erin@example.test", "pw")
        lim = AuthLimits(fail_per_ip=0, fail_per_user=1000, backoff_after=2, backoff_base=1, backoff_max=2)
        auth = Authenticator(client, "imap", lim)
        for _ in range(2):
            assert (
                await auth.login("erin@example.test", b"wrong", "192.0.2.10")
            ).outcome is LoginOutcome.BAD_CREDENTIALS
        blocked = await auth.login("Erin@example.test.", b"pw", "192.0.2.10")
        assert blocked.outcome is LoginOutcome.RATE_LIMITED and blocked.retry_after == 1
        assert (await auth.login("erin@example.test", b"pw", "192.0.2.11")).ok  # another source
        await asyncio.sleep(1.1)
        assert (await auth.login("erin@example.test", b"wrong", "192.0.2.10")).outcome is LoginOutcome.BAD_CREDENTIALS
        assert (await auth.login("erin@example.test", b"pw", "192.0.2.10")).retry_after == 2  # doubled
        await asyncio.sleep(2.1)
        assert (await auth.login("erin@example.test", b"pw", "192.0.2.10")).ok
        # the success reset the pair: one failure does not block again
        assert (await auth.login("erin@example.test", b"wrong", "192.0.2.10")).outcome is LoginOutcome.BAD_CREDENTIALS
        assert (await auth.login("erin@example.test", b"pw", "192.0.2.10")).ok


async def test_shared_networks_get_no_per_ip_limits(metadata) -> None:  # type: ignore[no-untyped-def]
    """A burst of failures from a shared (NAT / load balancer) address does not lock out the
    other users behind it; the same burst from a real client IP does."""
    async with MetadataClient(metadata.addr, timeout=5) as client:
        await seed_user(client, "frank@example.test", "pw")
        lim = AuthLimits(fail_per_ip=3, conn_per_ip=2, conn_window=60, shared_networks=("10.0.0.0/8", "fd00::/8"))
        auth = Authenticator(client, "smtp", lim)
        for source in ("10.1.2.3", "fd00::7", "198.51.100.20"):
            for i in range(4):
                await auth.login(f"guess{i}@example.test", b"x", source)
        assert (await auth.login("frank@example.test", b"pw", "10.1.2.3")).ok
        assert (await auth.login("frank@example.test", b"pw", "fd00::7")).ok
        assert (await auth.login("frank@example.test", b"pw", "198.51.100.20")).outcome is LoginOutcome.RATE_LIMITED
        assert all([(await connection_allowed(client, lim, "10.9.9.9"))[0] for _ in range(5)])
        assert [(await connection_allowed(client, lim, "198.51.100.21"))[0] for _ in range(3)] == [True, True, False]


def test_backoff_settings_from_environment() -> None:
    lim = config.load(
        AuthLimits,
        {
            "KUBEMAIL_AUTH_BACKOFF_AFTER": "4",
            "KUBEMAIL_AUTH_BACKOFF_BASE": "2",
            "KUBEMAIL_AUTH_BACKOFF_MAX": "60",
            "KUBEMAIL_AUTH_SHARED_NETWORKS": "10.0.0.0/8, 100.64.0.0/10",
        },
    )
    assert (lim.backoff_after, lim.backoff_base, lim.backoff_max) == (4, 2, 60)
    assert lim.shared("100.64.1.1") and lim.shared("::ffff:10.0.0.1") and not lim.shared("192.0.2.1")
    with pytest.raises(config.ConfigError):
        AuthLimits(shared_networks=("not-a-cidr",))


class _Recording:
    """Wraps a stub: records each RPC's name and how many were in flight when it started."""

    def __init__(self, stub: object, calls: list[tuple[str, int]], flight: list[int]) -> None:
        self._stub, self._calls, self._flight = stub, calls, flight

    def __getattr__(self, name: str) -> object:
        method = getattr(self._stub, name)

        async def call(request: object) -> object:
            self._flight[0] += 1
            self._calls.append((name, self._flight[0]))
            try:
                await asyncio.sleep(0.01)  # long enough for checks asked at once to overlap
                return await method(request)
            finally:
                self._flight[0] -= 1

        return call


async def test_login_round_trips(metadata) -> None:  # type: ignore[no-untyped-def]
    """#14: a login asks its three limit checks at once (one round trip, not three) and, for a
    pair without failures, writes no BackoffReset; after a failure the success still resets."""
    async with MetadataClient(metadata.addr, timeout=5) as client:
        await seed_user(client, "gina@example.test", "pw")
        calls: list[tuple[str, int]] = []
        client.limits = _Recording(client.limits, calls, [0])  # type: ignore[assignment]
        auth = Authenticator(client, "imap", AuthLimits(fail_per_ip=10, fail_per_user=10, backoff_after=3))
        assert (await auth.login("gina@example.test", b"pw", "192.0.2.30")).ok
        assert sorted(name for name, _ in calls) == ["BackoffCheck", "Peek", "Peek"]
        assert max(n for _, n in calls) == 3  # all three in flight together
        calls.clear()
        assert (await auth.login("gina@example.test", b"bad", "192.0.2.30")).outcome is LoginOutcome.BAD_CREDENTIALS
        calls.clear()
        assert (await auth.login("gina@example.test", b"pw", "192.0.2.30")).ok
        assert [name for name, _ in calls].count("BackoffReset") == 1
        calls.clear()
        assert (await auth.login("gina@example.test", b"pw", "192.0.2.30")).ok
        assert "BackoffReset" not in [name for name, _ in calls]
