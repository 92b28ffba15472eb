"""The metadata service down: Ready=False/MetadataUnavailable, a Warning Event, TemporaryError retries."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from tests.fixtures.servers import closed_port
from tests.operator.conftest import (
    DOMAINS,
    Emulator,
    OperatorThread,
    create,
    events,
    eventually,
    obj,
    operator_env,
    ready,
)


def _count(result: str) -> float:
    return (
        REGISTRY.get_sample_value("kubemail_operator_reconciliations_total", {"kind": "MailDomain", "result": result})
        or 0.0
    )


async def test_metadata_unavailable_is_temporary(k8s: Emulator, backend_env: dict[str, str]) -> None:
    env = operator_env(backend_env, KUBEMAIL_METADATA_ADDR=f"127.0.0.1:{closed_port()}", KUBEMAIL_GRPC_TIMEOUT="1")
    before = _count("temporary_error")
    op = await OperatorThread(str(k8s.url), env).start()
    try:
        await create(k8s, DOMAINS, "example", {"domain": "example.test"})

        async def failing() -> dict[str, Any]:
            cond = ready(obj(k8s, DOMAINS, "example"))
            assert cond["status"] == "False" and cond["reason"] == "MetadataUnavailable", cond
            assert _count("temporary_error") >= before + 2  # retried, not given up
            return cond

        await eventually(failing)
        assert any(e["reason"] == "MetadataUnavailable" and e["type"] == "Warning" for e in events(k8s))
    finally:
        await op.stop()
