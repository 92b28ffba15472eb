"""ActiveSync remote wipe, requested only by an administrator through the directory
(User.wipe_devices, the MailUser spec.remoteWipe): every command of that device gets Status 140,
Provision sends the RemoteWipe, the device's confirmation is recorded in its record, other
devices of the user are untouched; our own WBXML codec over real HTTP on the real services."""

from __future__ import annotations

import time

import grpc
from prometheus_client import REGISTRY

from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.web.wbxml.codec import decode, el
from tests.web.conftest import USER, Eas, F, P

S, ST = "AirSync", "Settings"


def set_wipe(eas: Eas, *devices: str) -> None:
    async def go() -> None:
        got = await eas.client.directory.GetUser(directory_pb.GetUserRequest(address=USER))
        u = got.user
        del u.wipe_devices[:]
        u.wipe_devices.extend(devices)
        await eas.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=u))

    eas.loop.run(go())


def device(eas: Eas, device_id: str) -> devices_pb.Device:
    async def go() -> devices_pb.Device:
        got = await eas.client.devices.GetDevice(devices_pb.GetDeviceRequest(user_id=eas.user_id, device_id=device_id))
        return got.device

    return eas.loop.run(go())  # type: ignore[no-any-return]


def wipes(event: str) -> float:
    return REGISTRY.get_sample_value("kubemail_web_eas_remote_wipes_total", {"event": event}) or 0.0


def test_remote_wipe_requested_by_the_directory_and_acknowledged(eas: Eas) -> None:
    key = eas.provision()
    other = eas.provision(device="DEV0002")
    folder_sync = el(F, "FolderSync", el(F, "SyncKey", "0"))
    eas.wbxml("FolderSync", folder_sync, key)
    # the device's own user cannot ask for it: nothing a device sends sets it
    settings = el(ST, "Settings", el(ST, "DeviceInformation", el(ST, "Set", el(ST, "Model", "RemoteWipe"))))
    eas.wbxml("Settings", settings, key)
    assert not device(eas, "DEV0001").wipe_requested

    requested = wipes("requested")
    set_wipe(eas, "DEV0001")
    # any command: Status 140 in the command's own namespace, whatever the policy key (on both pods)
    for server, (cmd, body, ns) in enumerate(
        [("FolderSync", folder_sync, F), ("Sync", el(S, "Sync"), S), ("Settings", settings, ST)]
    ):
        resp = eas.wbxml(cmd, body, key if server != 2 else 0, server=server % 2)
        assert resp.ns == ns and resp.find(ns, "Status").value() == "140"  # type: ignore[union-attr]
    assert device(eas, "DEV0001").wipe_requested and wipes("requested") >= requested + 3
    # the user's other device syncs as before
    resp = eas.wbxml("FolderSync", folder_sync, other, device="DEV0002")
    assert resp.find(F, "Status").value() == "1"  # type: ignore[union-attr]
    assert not device(eas, "DEV0002").wipe_requested

    # Provision: the RemoteWipe instead of a policy
    policy = el(P, "Policies", el(P, "Policy", el(P, "PolicyType", "MS-EAS-Provisioning-WBXML")))
    status, _, data = eas.request("Provision", el(P, "Provision", policy))
    answer = decode(data)
    assert status == 200 and answer.find(P, "Status").value() == "1"  # type: ignore[union-attr]
    assert answer.find(P, "RemoteWipe") is not None and answer.find(P, "Policies") is None
    assert device(eas, "DEV0001").wipe_acknowledged == 0
    # the device confirms: recorded with the time
    acknowledged = wipes("acknowledged")
    confirm = el(P, "Provision", el(P, "RemoteWipe", el(P, "Status", 1)))
    status, _, data = eas.request("Provision", confirm, server=1)
    assert status == 200 and decode(data).find(P, "Status").value() == "1"  # type: ignore[union-attr]
    acked = device(eas, "DEV0001").wipe_acknowledged
    assert abs(acked - time.time()) < 60 and wipes("acknowledged") == acknowledged + 1

    # the administrator removes the request: the device provisions and syncs again
    set_wipe(eas)
    key = eas.provision()
    resp = eas.wbxml("FolderSync", folder_sync, key)
    assert resp.find(F, "Status").value() == "1"  # type: ignore[union-attr]
    d = device(eas, "DEV0001")
    assert not d.wipe_requested and d.wipe_acknowledged == acked  # the confirmation stays on record
    # a confirmation no administrator asked for records nothing
    eas.request("Provision", confirm)
    assert device(eas, "DEV0002").wipe_acknowledged == 0
    status, _, data = eas.request("Provision", confirm, device="DEV0002")
    assert status == 200 and device(eas, "DEV0002").wipe_acknowledged == 0


def test_wipe_devices_are_bounded_in_the_directory(eas: Eas) -> None:
    async def go(devices: list[str]) -> int:
        got = await eas.client.directory.GetUser(directory_pb.GetUserRequest(address=USER))
        u = got.user
        u.wipe_devices.extend(devices)
        try:
            await eas.client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=u))
        except grpc.aio.AioRpcError as exc:
            return int(reason_of(exc))
        return 0

    assert eas.loop.run(go(["x" * 129])) == er.ERROR_REASON_INVALID_ARGUMENT
    assert eas.loop.run(go([f"d{i}" for i in range(101)])) == er.ERROR_REASON_INVALID_ARGUMENT
    assert eas.loop.run(go(["phone-1", "phone-1"])) == 0

    async def stored() -> list[str]:
        got = await eas.client.directory.GetUser(directory_pb.GetUserRequest(address=USER))
        return list(got.user.wipe_devices)

    assert eas.loop.run(stored()) == ["phone-1"]
