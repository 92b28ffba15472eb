"""A resync that finds nothing to do writes nothing; a restart does not re-hash passwords."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from kubemail_operator.context import Context

from services.common.grpcclient import MetadataClient
from tests.operator.conftest import (
    DOMAINS,
    USERS,
    Emulator,
    OperatorThread,
    eventually,
    obj,
    operator_env,
    patch,
    ready,
)
from tests.operator.test_lifecycle import PW, auth, setup_domain_and_user


def _rv(k8s: Emulator, plural: str, name: str) -> str:
    o = obj(k8s, plural, name)
    assert o is not None
    return str(o["metadata"]["resourceVersion"])


async def _settled(k8s: Emulator, client: MetadataClient) -> None:
    async def check() -> None:
        assert ready(obj(k8s, DOMAINS, "example"))["status"] == "True"
        assert ready(obj(k8s, USERS, "alice"))["status"] == "True"
        assert await auth(client, "alice@example.test", PW)

    await eventually(check)


async def test_resync_without_changes_patches_nothing(k8s: Emulator, operator: Any, client: MetadataClient) -> None:
    await setup_domain_and_user(k8s)
    await _settled(k8s, client)
    await asyncio.sleep(1.5)  # the first resyncs may still record what create did
    before = (_rv(k8s, DOMAINS, "example"), _rv(k8s, USERS, "alice"))
    await asyncio.sleep(3.5)  # resync interval is 1s: at least three resyncs of each object
    assert (_rv(k8s, DOMAINS, "example"), _rv(k8s, USERS, "alice")) == before


async def test_restart_does_not_rehash_unchanged_passwords(
    k8s: Emulator, metadata: Any, client: MetadataClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[bytes] = []
    original = Context.hash_password

    async def counting(self: Context, password: bytes) -> str:
        hashed.append(password)
        return await original(self, password)

    monkeypatch.setattr(Context, "hash_password", counting)
    op = await OperatorThread(str(k8s.url), operator_env(metadata.env)).start()
    try:
        await setup_domain_and_user(k8s)
        await _settled(k8s, client)

        async def recorded() -> None:
            u = obj(k8s, USERS, "alice")
            assert u is not None and u["status"].get("passwordSource"), u.get("status")

        await eventually(recorded)
        assert len(hashed) == 1
    finally:
        await op.stop()
    op = await OperatorThread(str(k8s.url), operator_env(metadata.env)).start()
    try:
        await asyncio.sleep(3)  # resume handler plus a couple of resyncs
        assert await auth(client, "alice@example.test", PW)
        assert len(hashed) == 1, "a restart re-hashed an unchanged password"
        # a changed Secret is still picked up (and hashed once) by the restarted operator
        new = base64.b64encode(b"n3w-Pa55").decode()
        await patch(k8s, "secrets", "alice-pw", {"data": {"password": new}}, group=False)

        async def changed() -> None:
            assert await auth(client, "alice@example.test", "n3w-Pa55")

        await eventually(changed)
        assert len(hashed) == 2
    finally:
        await op.stop()
