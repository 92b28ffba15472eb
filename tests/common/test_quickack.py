"""services.common.sockets.ack_now: TCP_QUICKACK on the connection's socket (Linux)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from services.common.sockets import ack_now

pytestmark = pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="Linux only")


async def test_ack_now_sets_quickack_on_the_accepted_socket() -> None:
    accepted: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accepted.put(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, client = await asyncio.open_connection("127.0.0.1", port)
    writer = await asyncio.wait_for(accepted.get(), 5)
    sock = writer.get_extra_info("socket")
    # the kernel leaves quick-ack mode once the connection settled: off after an exchange
    client.write(b"x" * 10)
    await client.drain()
    await asyncio.sleep(0.05)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 0
    ack_now(writer)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
    client.close()
    writer.close()
    server.close()
    await server.wait_closed()
