"""MailUser spec.remoteWipe through the real kopf runtime (kmock emulator) into the real metadata
service: the device ids reach the directory (User.wipe_devices, what the web front-end reads),
status.devices shows each device and its wipe Pending until the device's confirmation
(recorded by the web front-end in the device record) turns it Acknowledged; bad ids are refused."""

from __future__ import annotations

from typing import Any

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from tests.operator.conftest import USERS, Emulator, eventually, obj, patch, ready
from tests.operator.test_lifecycle import setup_domain_and_user


async def test_remote_wipe_reaches_the_directory_and_the_status(
    k8s: Emulator, operator: Any, client: MetadataClient
) -> None:
    await setup_domain_and_user(k8s)
    user = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
    for dev in ("PHONE1", "TABLET2"):  # as the web front-end records devices
        await client.devices.PutDevice(
            devices_pb.PutDeviceRequest(
                user_id=user.id,
                device=devices_pb.Device(
                    device_id=dev, device_type="SmartPhone", info=devices_pb.DeviceInfo(model="X")
                ),
            )
        )
    await patch(k8s, USERS, "alice", {"spec": {"remoteWipe": ["PHONE1"]}})

    async def pending() -> None:
        got = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
        assert list(got.wipe_devices) == ["PHONE1"]
        u = obj(k8s, USERS, "alice")
        assert u is not None
        devices = {d["deviceId"]: d for d in (u.get("status") or {}).get("devices", [])}
        assert set(devices) == {"PHONE1", "TABLET2"}, devices  # an assertion: the status may lag
        assert devices["PHONE1"]["wipe"] == "Pending" and devices["PHONE1"]["model"] == "X"
        assert "wipe" not in devices["TABLET2"]

    await eventually(pending, timeout=30)

    # the device confirms (the web front-end writes the time into its record)
    got = await client.devices.GetDevice(devices_pb.GetDeviceRequest(user_id=user.id, device_id="PHONE1"))
    d = got.device
    d.wipe_requested, d.wipe_acknowledged = True, 1767225600  # 2026-01-01T00:00:00Z
    await client.devices.PutDevice(devices_pb.PutDeviceRequest(user_id=user.id, device=d, expected_version=d.version))

    async def acknowledged() -> None:
        u = obj(k8s, USERS, "alice")
        assert u is not None
        devices = {d["deviceId"]: d for d in (u.get("status") or {}).get("devices", [])}
        assert devices.get("PHONE1", {}).get("wipe") == "Acknowledged", devices
        assert devices["PHONE1"]["wipeAcknowledged"] == "2026-01-01T00:00:00Z"

    await eventually(acknowledged, timeout=30)

    # removing the id lifts the request
    await patch(k8s, USERS, "alice", {"spec": {"remoteWipe": []}})

    async def lifted() -> None:
        got = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
        assert list(got.wipe_devices) == []

    await eventually(lifted, timeout=30)

    # a device id that is not printable ASCII: InvalidSpec, nothing applied
    await patch(k8s, USERS, "alice", {"spec": {"remoteWipe": ["bad\tid"]}})

    async def refused() -> None:
        cond = ready(obj(k8s, USERS, "alice"))
        assert cond["status"] == "False" and cond["reason"] == "InvalidSpec", cond

    await eventually(refused, timeout=30)
    got = (await client.directory.GetUser(directory_pb.GetUserRequest(address="alice@example.test"))).user
    assert list(got.wipe_devices) == []
