"""#14 item 2: the auth cache. A repeated login with the right password skips argon2; a changed
password, a disabled user or domain and a wrong password are never answered from it."""

from __future__ import annotations

import hashlib
import time

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.metadata.authcache import REQUESTS, AuthCache
from tests.fixtures.seed import hash_password
from tests.metadata.conftest import World


def _hits() -> float:
    return float(REQUESTS.labels("hit")._value.get())


async def _login(
    world: World, password: bytes, username: str = "bob@example.test"
) -> directory_pb.AuthenticateResponse:
    return await world.client.directory.Authenticate(  # type: ignore[no-any-return]
        directory_pb.AuthenticateRequest(username=username, password=password, remote_ip="192.0.2.7")
    )


async def test_a_repeated_login_skips_argon2(world: World) -> None:
    first_start = time.perf_counter()
    assert (await _login(world, b"secret")).ok
    first = time.perf_counter() - first_start
    hits = _hits()
    again = []
    for _ in range(5):
        start = time.perf_counter()
        assert (await _login(world, b"secret")).ok
        again.append(time.perf_counter() - start)
    assert _hits() == hits + 5
    # argon2id (64 MiB, t=3) costs tens of milliseconds; a hit costs a Redis read
    assert min(again) < first, (first, again)


async def test_wrong_password_after_a_cached_login_still_fails(world: World) -> None:
    assert (await _login(world, b"secret")).ok
    hits = _hits()
    bad = await _login(world, b"secret ")
    assert not bad.ok and bad.reason == "bad-credentials"
    assert _hits() == hits  # never answered from the cache


async def test_changed_password_is_never_served_from_the_cache(world: World) -> None:
    assert (await _login(world, b"secret")).ok
    user = world.user
    user.password_hash = hash_password("new secret")
    await world.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    assert not (await _login(world, b"secret")).ok
    assert (await _login(world, b"new secret")).ok


async def test_disabled_user_and_domain_are_checked_after_a_hit(world: World) -> None:
    assert (await _login(world, b"secret")).ok
    user = world.user
    user.enabled = False
    await world.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    hits = _hits()
    res = await _login(world, b"secret")
    assert not res.ok and res.reason == "disabled"
    assert _hits() == hits + 1  # the password was right (cached); the user is disabled
    user.enabled = True
    await world.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    dom = (await world.client.directory.GetDomain(directory_pb.GetDomainRequest(name="example.test"))).domain
    dom.enabled = False
    await world.client.directory.UpsertDomain(directory_pb.UpsertDomainRequest(domain=dom))
    res = await _login(world, b"secret")
    assert not res.ok and res.reason == "disabled"


def test_entries_expire_and_the_cache_is_bounded() -> None:
    now = [1000.0]
    cache = AuthCache(ttl=60, size=2, clock=lambda: now[0])
    cache.add("u1", "$argon2id$h1", b"pw")
    assert cache.hit("u1", "$argon2id$h1", b"pw")
    assert not cache.hit("u1", "$argon2id$h2", b"pw")  # another hash: another password
    assert not cache.hit("u2", "$argon2id$h1", b"pw")
    now[0] += 61
    assert not cache.hit("u1", "$argon2id$h1", b"pw")
    for i in range(5):
        cache.add(f"u{i}", "h", b"pw")
    assert len(cache) == 2 and cache.hit("u4", "h", b"pw") and not cache.hit("u0", "h", b"pw")
    off = AuthCache(ttl=0, size=100)
    off.add("u1", "h", b"pw")
    assert not off.hit("u1", "h", b"pw")


def test_entries_hold_no_password_or_plain_hash_of_it() -> None:
    cache = AuthCache(ttl=60, size=10)
    cache.add("u1", "$argon2id$h1", b"hunter2")
    (key,) = cache._entries
    assert hashlib.sha256(b"hunter2").digest() != key and b"hunter2" not in key
