"""Connections age out (GOAWAY): unary calls carry on, Watch consumers reconnect and keep getting pushes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest

from services.common import config
from services.common.watch import WatchHub
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.metadata.config import MetadataConfig
from services.metadata.server import server_options
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.metadata.conftest import World, make_world, message

AGE = {
    "KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS": "0.5",
    "KUBEMAIL_METADATA_MAX_CONNECTION_AGE_GRACE_SECONDS": "0.3",
}


@pytest.fixture
def aging_metadata(backend_env: dict[str, str]) -> Iterator[MetadataHandle]:
    h = _start_metadata({**backend_env, **AGE})
    yield h
    _stop_metadata(h)


@pytest.fixture
async def aging(aging_metadata: MetadataHandle) -> AsyncIterator[World]:
    async for w in make_world(aging_metadata):
        yield w


def test_options_follow_the_settings() -> None:
    opts = dict(server_options(config.load(MetadataConfig, AGE)))
    assert opts["grpc.max_connection_age_ms"] == 500 and opts["grpc.max_connection_age_grace_ms"] == 300
    off = dict(server_options(config.load(MetadataConfig, {"KUBEMAIL_METADATA_MAX_CONNECTION_AGE_SECONDS": "0"})))
    assert "grpc.max_connection_age_ms" not in off
    assert dict(server_options(config.load(MetadataConfig, {})))["grpc.max_connection_age_ms"] == 300_000


async def test_the_server_cuts_long_streams_after_age_and_grace(aging: World) -> None:
    call = aging.client.changes.Watch(changes_pb.WatchRequest(user_id=aging.user.id), timeout=20)
    start = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError):
        async for _ in call:
            pass
    assert time.monotonic() - start < 5


async def test_unary_calls_succeed_across_goaways(aging: World) -> None:
    deadline = time.monotonic() + 3  # several connection lifetimes
    calls = 0
    while time.monotonic() < deadline:
        user = (await aging.client.directory.GetUser(directory_pb.GetUserRequest(address="bob@example.test"))).user
        assert user.id == aging.user.id
        calls += 1
        await asyncio.sleep(0.02)
    assert calls > 50


async def test_watch_hub_keeps_receiving_after_the_server_closed_its_connection(aging: World) -> None:
    # A retry far longer than a connection's life: only an immediate reconnect keeps pushes coming.
    hub = WatchHub(aging.client, retry=5.0)
    ev = hub.subscribe(aging.user.id)
    try:
        await asyncio.wait_for(ev.wait(), 5)  # HELLO
        deadline = time.monotonic() + 4  # several connection lifetimes (0.5s + 0.3s grace)
        n = 0
        while time.monotonic() < deadline:
            ev.clear()
            await aging.deliver(message(f"pushed {n}"))
            await asyncio.wait_for(ev.wait(), 2)
            n += 1
            await asyncio.sleep(0.1)
        assert n >= 10
    finally:
        await hub.close()
