"""A new MetadataClient never inherits another channel's failed connection.

grpc shares subchannels between channels to the same address by default. After a metadata
server went away, that shared subchannel sits in TRANSIENT_FAILURE with a reconnect backoff;
a new client to a new server on the same address then failed its first calls at once with
the old "Connection refused" (seen as sporadic fixture errors under load). MetadataClient
uses a subchannel pool of its own.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.common.grpcclient import MetadataClient


async def _server(port: int) -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound


async def _check(client: MetadataClient) -> int:
    stub = health_pb2_grpc.HealthStub(client.channel)
    resp = await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    return int(resp.status)


async def test_new_client_to_a_restarted_server_connects_at_once() -> None:
    first, port = await _server(0)
    old = MetadataClient(f"127.0.0.1:{port}", timeout=5)
    assert await _check(old) == health_pb2.HealthCheckResponse.SERVING
    await first.stop(0)
    with pytest.raises(grpc.aio.AioRpcError):  # the old channel's subchannel is now failing
        await _check(old)
    try:
        second, _ = await _server(port)  # the same address again, as a restarted pod would have
    except RuntimeError:
        pytest.skip(f"port {port} was taken by another process in between")
    try:
        new = MetadataClient(f"127.0.0.1:{port}", timeout=5)
        try:
            assert await asyncio.wait_for(_check(new), 5) == health_pb2.HealthCheckResponse.SERVING
        finally:
            await new.close()
    finally:
        await old.close()
        await second.stop(0)
