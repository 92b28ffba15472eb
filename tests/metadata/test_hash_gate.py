"""#13 item 15c: password hashing in the metadata service is bounded and fair per source.

A storm of logins from one address must neither run more than KUBEMAIL_METADATA_HASH_WORKERS
argon2 hashes at once (memory) nor queue without bound in front of other addresses' logins."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import grpc
import pytest
from argon2 import PasswordHasher

from services.common.grpcclient import MetadataClient, reason_of
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.metadata import hashgate
from services.metadata.hashgate import HashGate, OverloadedError
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.fixtures.seed import seed_domain


async def test_storm_from_one_source_is_bounded_and_does_not_starve_another() -> None:
    gate = HashGate(workers=2, per_source=4, total=64)
    release = threading.Event()
    running = 0
    most = 0
    lock = threading.Lock()
    done: list[str] = []

    def work(name: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(5)
        with lock:
            running -= 1
        return name

    async def call(source: str, name: str) -> str:
        out = await gate.run(source, work, name)
        done.append(out)
        return out

    storm = [asyncio.create_task(call("203.0.113.1", f"a{i}")) for i in range(20)]
    await asyncio.sleep(0.05)
    legit = asyncio.create_task(call("198.51.100.7", "b"))
    await asyncio.sleep(0.05)
    assert gate.running == 2
    release.set()
    results = await asyncio.gather(*storm, legit, return_exceptions=True)
    refused = [r for r in results if isinstance(r, OverloadedError)]
    assert len(refused) == 20 - 2 - 4  # two ran at once, four waited, the rest were refused at once
    assert most <= 2 and gate.peak == 2  # never more hashes at once than workers
    assert results[-1] == "b"
    # round robin: the legitimate source got the second worker that came free, not the 7th
    assert done.index("b") <= 3, done
    gate.close()


async def test_cancelled_waiter_gives_its_turn_on() -> None:
    gate = HashGate(workers=1, per_source=4, total=8)
    release = threading.Event()
    first = asyncio.create_task(gate.run("a", release.wait, 5))
    await asyncio.sleep(0.02)
    waiting = asyncio.create_task(gate.run("a", lambda: "never"))
    other = asyncio.create_task(gate.run("b", lambda: "b"))
    await asyncio.sleep(0.02)
    waiting.cancel()
    release.set()
    assert await first is True
    assert await other == "b"
    assert gate.running == 0
    gate.close()


_SLOW = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)


@pytest.fixture
def gated_metadata(backend_env: dict[str, str]) -> Iterator[MetadataHandle]:
    h = _start_metadata(
        {**backend_env, "KUBEMAIL_METADATA_HASH_WORKERS": "1", "KUBEMAIL_METADATA_HASH_QUEUE_PER_SOURCE": "2"}
    )
    yield h
    _stop_metadata(h)


def test_login_storm_over_grpc(gated_metadata: MetadataHandle) -> None:
    """20 concurrent wrong-password logins from one IP: the legitimate login from another IP
    succeeds, and the storm's excess is refused as unavailable instead of queued."""
    domain = f"d{uuid.uuid4().hex[:8]}.test"

    async def scenario() -> tuple[directory_pb.AuthenticateResponse, list[object]]:
        client = MetadataClient(gated_metadata.addr, 30.0)
        try:
            await seed_domain(client, domain)
            user = directory_pb.User(address=f"v@{domain}", password_hash=_SLOW.hash("right"), enabled=True)
            await client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
            before = hashgate.REFUSED._value.get()

            async def login(ip: str, password: bytes) -> directory_pb.AuthenticateResponse:
                return await client.directory.Authenticate(
                    directory_pb.AuthenticateRequest(username=f"v@{domain}", password=password, remote_ip=ip)
                )

            storm = [asyncio.ensure_future(login("203.0.113.9", b"wrong")) for _ in range(20)]
            await asyncio.sleep(0.05)
            legit = await login("198.51.100.20", b"right")
            outcomes = await asyncio.gather(*storm, return_exceptions=True)
            assert hashgate.REFUSED._value.get() > before
            return legit, outcomes
        finally:
            await client.close()

    legit, outcomes = gated_metadata.loop.run(scenario())
    assert legit.ok
    # refused calls are UNAVAILABLE, which the client retries (cheap: no hash); some get through later
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert all(reason_of(o) == er.ERROR_REASON_BACKEND_UNAVAILABLE for o in refused)
    assert all(not o.ok for o in outcomes if isinstance(o, directory_pb.AuthenticateResponse))
