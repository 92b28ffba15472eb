"""Two operator replicas (two kopf runtimes, one peering object): one is active, the other takes over."""

from __future__ import annotations

import asyncio
from typing import Any

import kopf
from kubemail_operator import GROUP, USERS, VERSION
from prometheus_client import REGISTRY

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.operator.conftest import Emulator, OperatorThread, create, events, eventually, obj, operator_env, patch
from tests.operator.test_lifecycle import wait_ready


def upserts() -> float:
    return REGISTRY.get_sample_value("kubemail_metadata_rpc_total", {"method": "UpsertUser", "code": "OK"}) or 0.0


def replica(
    k8s: Emulator, env: dict[str, str], name: str, priority: int, seen: list[tuple[str, str, str]]
) -> OperatorThread:
    op = OperatorThread(str(k8s.url), operator_env(env, KUBEMAIL_OPERATOR_PRIORITY=str(priority)))

    # a probe beside the real handlers: records which replica handled which MailUser
    @kopf.on.resume(GROUP, VERSION, USERS, id="probe", registry=op.registry)
    @kopf.on.create(GROUP, VERSION, USERS, id="probe", registry=op.registry)
    @kopf.on.update(GROUP, VERSION, USERS, field="spec", id="probe", registry=op.registry)
    def probe(reason: str, name: str, **_: Any) -> None:  # type: ignore[misc]
        seen.append((op_name, str(reason), name))

    op_name = name
    return op


def ready_history(k8s: Emulator, name: str) -> tuple[str, str]:
    o = obj(k8s, USERS, name) or {}
    conds = [c for c in (o.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    return (conds[0]["status"], conds[0].get("lastTransitionTime", "")) if conds else ("", "")


async def test_one_active_replica_then_takeover(k8s: Emulator, metadata: Any, client: MetadataClient) -> None:
    seen: list[tuple[str, str, str]] = []
    a = await replica(k8s, metadata.env, "a", 200, seen).start()
    b = await replica(k8s, metadata.env, "b", 100, seen).start()
    try:
        before = upserts()
        await create(k8s, "maildomains", "example", {"domain": "example.test"})
        await create(k8s, USERS, "alice", {"address": "alice@example.test", "quota": 1000})
        await wait_ready(k8s, USERS, "alice")

        # a few resync periods (1 s): the status never flaps, only replica a acts, once
        history = set()
        for _ in range(25):
            history.add(ready_history(k8s, "alice"))
            await asyncio.sleep(0.1)
        assert history == {ready_history(k8s, "alice")} and next(iter(history))[0] == "True", history
        assert [s for s in seen if s[2] == "alice"] == [("a", "create", "alice")], seen
        assert upserts() - before == 1
        created = [
            (e["involvedObject"]["kind"], e["reason"])
            for e in events(k8s)
            if e["involvedObject"]["name"] == "alice" and e["reason"] in ("Created", "Updated", "DriftRepaired")
        ]
        assert created == [("MailUser", "Created")], created
        u = obj(k8s, USERS, "alice")
        assert u is not None and u["status"]["observedGeneration"] == 1

        # the active replica stops: b takes over (resumes the existing MailUser) and applies changes
        await a.stop()
        await eventually(lambda: _has(seen, ("b", "resume", "alice")), timeout=30)
        await patch(k8s, USERS, "alice", {"spec": {"quota": 2000}})

        async def applied() -> None:
            user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
            assert user.quota_bytes == 2000
            o = obj(k8s, USERS, "alice")
            assert o is not None and o["status"]["observedGeneration"] == 2

        await eventually(applied, timeout=30)
        assert ("b", "update", "alice") in seen and all(s[0] == "b" for s in seen[1:]), seen
    finally:
        if a.thread.is_alive():
            await a.stop()
        await b.stop()


async def _has(seen: list[tuple[str, str, str]], item: tuple[str, str, str]) -> None:
    assert item in seen, seen
