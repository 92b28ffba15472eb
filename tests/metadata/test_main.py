"""`python -m services.metadata` as a process: gRPC health, /metrics, /readyz, SIGTERM."""

from __future__ import annotations

import signal
import socket
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import directory_pb2_grpc as directory_rpc
from tests.fixtures.servers import ServiceProcess


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def test_entry_point_serves_health_metrics_and_stops_on_sigterm(backend_env: dict[str, str], tmp_path: Path) -> None:
    env = {
        **backend_env,
        "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:50051",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
        "KUBEMAIL_METRICS_PORT": "9100",  # enabled: bound to a free port like every listener
    }
    service = ServiceProcess("metadata", env, tmp_path, capture=True).start()
    proc = service.proc
    assert proc is not None
    port, mport = service.ports["grpc"], service.ports["metrics"]
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            health = health_pb2_grpc.HealthStub(ch)
            deadline = time.monotonic() + 15
            status = None
            while time.monotonic() < deadline:
                status = health.Check(
                    health_pb2.HealthCheckRequest(service="kubemail.v1.MessagesService"), timeout=5
                ).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    break
                time.sleep(0.1)
            assert status == health_pb2.HealthCheckResponse.SERVING
            directory_rpc.DirectoryServiceStub(ch).UpsertDomain(
                directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name="main.test", enabled=True)), timeout=10
            )
        assert _get(f"http://127.0.0.1:{mport}/readyz")[0] == 200
        code, text = _get(f"http://127.0.0.1:{mport}/metrics")
        assert code == 200
        assert 'kubemail_metadata_rpc_total{code="OK",method="UpsertDomain"} 1.0' in text
        assert "kubemail_metadata_redis_op_duration_seconds_bucket" in text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_second_server_on_a_taken_port_fails_to_bind(backend_env: dict[str, str]) -> None:
    """No SO_REUSEPORT sharing: a second metadata server on the same port must not start."""
    from services.common import config as cfgmod
    from services.common.config import CommonConfig
    from services.metadata.config import MetadataConfig
    from services.metadata.server import start

    env = {**backend_env, "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:0"}
    common, mcfg = cfgmod.load(CommonConfig, env), cfgmod.load(MetadataConfig, env)
    first = await start(mcfg, common)
    try:
        with pytest.raises(OSError):
            taken = cfgmod.load(MetadataConfig, {**env, "KUBEMAIL_METADATA_LISTEN": f"127.0.0.1:{first.port}"})
            second = await start(taken, common)
            await second.stop(0)
    finally:
        await first.stop(0)


def test_health_knows_every_service_before_the_first_redis_probe(backend_env: dict[str, str], tmp_path: Path) -> None:
    """A Check between the port opening and the first Redis probe gets NOT_SERVING, never
    NOT_FOUND (seen once in a pristine-root run). Redis here accepts but never answers, so the
    first probe takes its full timeout."""
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(16)
        env = {
            **backend_env,
            "KUBEMAIL_REDIS_URL": f"redis://127.0.0.1:{mute.getsockname()[1]}/0",
            "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:50051",
        }
        service = ServiceProcess("metadata", env, tmp_path, capture=True).start()
        try:
            with grpc.insecure_channel(f"127.0.0.1:{service.ports['grpc']}") as ch:
                health = health_pb2_grpc.HealthStub(ch)
                for name in ("", "kubemail.v1.MessagesService", "kubemail.v1.DevicesService"):
                    status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
                    assert status == health_pb2.HealthCheckResponse.NOT_SERVING, name
        finally:
            service.kill()
