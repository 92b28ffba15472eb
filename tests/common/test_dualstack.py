"""Dual-stack listeners (#17 item 4): the default host of every listener binds IPv6 and IPv4,
checked with real connections to [::1] and 127.0.0.1 on one port."""

from __future__ import annotations

import asyncio
import http.client
import socket
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common import httpserver, listener
from services.common.config import CommonConfig
from services.common.listener import Connection
from services.common.sockets import bind_socket
from services.imap.config import ImapConfig
from services.metadata.config import MetadataConfig
from services.pop3.config import Pop3Config
from services.smtp.config import SmtpConfig
from tests.conftest import _start_metadata, _stop_metadata
from tests.fixtures.ipv6 import needs_ipv6

pytestmark = [needs_ipv6, pytest.mark.timeout(60)]


def test_defaults_are_dual_stack() -> None:
    assert SmtpConfig().host == ImapConfig().host == Pop3Config().host == CommonConfig().metrics_host == "::"
    assert MetadataConfig().listen == "[::]:50051"


def test_bind_socket_takes_both_families_on_one_port() -> None:
    sock = bind_socket("::", 0, 8, blocking=True)
    try:
        port = sock.getsockname()[1]
        for host in ("::1", "127.0.0.1"):
            with socket.create_connection((host, port), timeout=5):
                conn, _ = sock.accept()
                conn.close()
    finally:
        sock.close()
    v4 = bind_socket("0.0.0.0", 0, 8)  # an explicit IPv4 address stays IPv4
    assert v4.family.name == "AF_INET"
    v4.close()


async def test_listener_on_the_default_host_sees_both_families() -> None:
    async def hello(conn: Connection) -> None:
        await conn.send(f"HELLO {conn.remote_ip}\r\n".encode())

    srv = await listener.serve(ImapConfig().host, 0, hello, name="t-dual")
    try:
        for host, seen in (("::1", b"::1"), ("127.0.0.1", b"127.0.0.1")):  # IPv4-mapped shown as IPv4
            reader, writer = await asyncio.open_connection(host, srv.port)
            assert await reader.readline() == b"HELLO " + seen + b"\r\n"
            writer.close()
    finally:
        await listener.close_and_drain(srv, 1)


def test_metrics_http_on_the_default_host() -> None:
    endpoint = httpserver.start(CommonConfig().metrics_host, 0)
    try:
        for host in ("::1", "127.0.0.1"):
            c = http.client.HTTPConnection(host, endpoint.port, timeout=5)
            c.request("GET", "/healthz")
            assert c.getresponse().status == 200
            c.close()
    finally:
        endpoint.stop()


def test_metadata_grpc_on_the_default_host(backend_env: dict[str, Any]) -> None:
    host = MetadataConfig().listen.rpartition(":")[0]
    h = _start_metadata({**backend_env, "KUBEMAIL_METADATA_LISTEN": f"{host}:0"})
    try:
        port = h.server.port  # type: ignore[attr-defined]
        for target in (f"[::1]:{port}", f"127.0.0.1:{port}"):
            with grpc.insecure_channel(target) as ch:
                resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
                assert resp.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        _stop_metadata(h)
