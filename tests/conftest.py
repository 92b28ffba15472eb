"""Shared fixtures: real redis-server, Redis Cluster and S3 endpoint; in-process metadata."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.rspamd import RspamdServer
from tests.fixtures.servers import LoopThread, RedisCluster, RedisServer, S3Server, wait_port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    cl = RedisCluster(tmp_path_factory.mktemp("rcluster")).start()
    yield cl
    cl.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    srv = S3Server().start()
    yield srv
    srv.stop()


@dataclasses.dataclass
class MetadataHandle:
    """A running in-process metadata service and the environment that reaches it."""

    addr: str
    env: dict[str, str]
    redis_url: str
    server: object
    loop: LoopThread


def _start_metadata(env: dict[str, str]) -> MetadataHandle:
    from services.common import config
    from services.common.config import CommonConfig
    from services.metadata.config import MetadataConfig
    from services.metadata.server import start

    env = {"KUBEMAIL_METADATA_LISTEN": "127.0.0.1:0", **env}  # loopback only, like every test server
    common = config.load(CommonConfig, env)
    mcfg = config.load(MetadataConfig, env)
    lt = LoopThread()
    srv = lt.run(start(mcfg, common))  # KUBEMAIL_METADATA_LISTEN 127.0.0.1:0
    # Seen a few times under heavy load: the first call right after start() was refused. Do
    # not hand the address out before the port accepts connections and gRPC answers on it.
    wait_port(srv.port)
    _wait_serving(f"127.0.0.1:{srv.port}")
    addr = f"127.0.0.1:{srv.port}"
    return MetadataHandle(addr, {**env, "KUBEMAIL_METADATA_ADDR": addr}, env["KUBEMAIL_REDIS_URL"], srv, lt)


def _wait_serving(addr: str, timeout: float = 15.0) -> None:
    """Until the health service answers SERVING: the port answers NOT_SERVING until the first
    Redis probe has passed (a test that checked health at once saw it in a pristine-root run)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(addr) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while True:
            left = max(deadline - time.monotonic(), 0.1)
            status = stub.Check(health_pb2.HealthCheckRequest(), timeout=left, wait_for_ready=True).status
            if status == health_pb2.HealthCheckResponse.SERVING:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"metadata at {addr} not SERVING after {timeout:g} s: {status}")
            time.sleep(0.05)


def _stop_metadata(h: MetadataHandle) -> None:
    h.loop.run(h.server.stop(0))  # type: ignore[attr-defined]
    h.loop.close()


@pytest.fixture
def backend_env(redis_server: RedisServer, s3_server: S3Server, tmp_path: Path) -> dict[str, str]:
    """Environment for a fresh world: flushed Redis, a new S3 bucket."""
    redis_server.flush()
    bucket = f"t{uuid.uuid4().hex[:16]}"
    return {
        **s3_server.env(bucket),
        "KUBEMAIL_REDIS_URL": redis_server.url,
        "KUBEMAIL_METRICS_PORT": "0",
        "KUBEMAIL_BLOB_DIR": str(tmp_path / "blobs"),
    }


@pytest.fixture
def metadata(backend_env: dict[str, str]) -> Iterator[MetadataHandle]:
    """The metadata service in-process on real Redis and the S3 endpoint."""
    h = _start_metadata(backend_env)
    yield h
    _stop_metadata(h)


@pytest.fixture
def metadata_cluster(redis_cluster: RedisCluster, s3_server: S3Server) -> Iterator[MetadataHandle]:
    """The metadata service on the 3-master Redis Cluster."""
    redis_cluster.flush()
    env = {
        **s3_server.env(f"c{uuid.uuid4().hex[:16]}"),
        "KUBEMAIL_REDIS_URL": redis_cluster.url,
        "KUBEMAIL_REDIS_CLUSTER": "true",
        "KUBEMAIL_METRICS_PORT": "0",
    }
    h = _start_metadata(env)
    yield h
    _stop_metadata(h)


@pytest.fixture(scope="session")
def rspamd() -> Iterator[RspamdServer]:
    """A real rspamd (tests/fixtures/rspamd.py), shared: it takes seconds to start."""
    with RspamdServer() as server:
        yield server
