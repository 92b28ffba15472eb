"""Removing a MailUser's passwordSecretRef clears the stored password."""

from __future__ import annotations

from typing import Any

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.operator.conftest import USERS, Emulator, eventually, obj, patch, wait_event
from tests.operator.test_lifecycle import PW, auth, setup_domain_and_user


async def test_removing_password_secret_ref_clears_the_password(
    k8s: Emulator, operator: Any, client: MetadataClient
) -> None:
    await setup_domain_and_user(k8s)
    assert await auth(client, "alice@example.test", PW)
    # a JSON merge patch with null removes the field
    await patch(k8s, USERS, "alice", {"spec": {"passwordSecretRef": None}})

    async def cleared() -> None:
        assert not await auth(client, "alice@example.test", PW)
        user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
        assert not user.has_password
        u = obj(k8s, USERS, "alice")
        assert u is not None and u["status"]["observedGeneration"] == 2

    await eventually(cleared)
    await wait_event(k8s, "PasswordCleared")
    # the rest of the user is untouched
    user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
    assert user.display_name == "Alice" and user.quota_bytes == 512 * 2**20 and user.enabled
    # setting the reference again restores a working password
    await patch(k8s, USERS, "alice", {"spec": {"passwordSecretRef": {"name": "alice-pw"}}})

    async def restored() -> None:
        assert await auth(client, "alice@example.test", PW)

    await eventually(restored)
