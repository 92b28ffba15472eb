"""DevicesService: ActiveSync device records per user, compare-and-set on the version, bounded,
gone with the user's mail on purge."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import devices_pb2 as pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from tests.metadata.conftest import World, redis_of


async def put(w: World, device_id: str, state: bytes, expected: int, **kw: object) -> pb.Device:
    resp = await w.client.devices.PutDevice(
        pb.PutDeviceRequest(
            user_id=w.user.id, device=pb.Device(device_id=device_id, state=state, **kw), expected_version=expected
        )
    )
    return resp.device  # type: ignore[no-any-return]


async def test_put_get_list_delete(world: World) -> None:
    w = world
    got = await w.client.devices.GetDevice(pb.GetDeviceRequest(user_id=w.user.id, device_id="ABC123"))
    assert not got.found
    d1 = await put(w, "ABC123", b"\x00state-1", 0, device_type="iPhone", user_agent="Apple-iPhone/1")
    assert (d1.version, d1.device_type) == (1, "iPhone") and d1.first_seen > 0 and d1.last_seen >= d1.first_seen
    d2 = await put(w, "ABC123", b"state-2", 1, device_type="iPhone")
    assert d2.version == 2 and d2.first_seen == d1.first_seen
    got = await w.client.devices.GetDevice(pb.GetDeviceRequest(user_id=w.user.id, device_id="ABC123"))
    assert got.found and got.device.state == b"state-2" and got.device.version == 2
    await put(w, "other", b"x", 0)
    listed = (await w.client.devices.ListDevices(pb.ListDevicesRequest(user_id=w.user.id))).devices
    assert [d.device_id for d in listed] == ["ABC123", "other"] and all(d.state == b"" for d in listed)
    assert (await w.client.devices.DeleteDevice(pb.DeleteDeviceRequest(user_id=w.user.id, device_id="other"))).deleted
    assert not (
        await w.client.devices.DeleteDevice(pb.DeleteDeviceRequest(user_id=w.user.id, device_id="other"))
    ).deleted


async def test_concurrent_writers_one_wins_the_other_gets_version_conflict(world: World) -> None:
    w = world
    await put(w, "dev", b"0", 0)
    results = await asyncio.gather(*(put(w, "dev", bytes([i]), 1) for i in range(5)), return_exceptions=True)
    ok = [r for r in results if isinstance(r, pb.Device)]
    lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(ok) == 1 and len(lost) == 4
    assert all(e.code() == grpc.StatusCode.ABORTED and reason_of(e) == er.ERROR_REASON_VERSION_CONFLICT for e in lost)
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await put(w, "new", b"", 5)  # a new device must be written with expected_version 0
    assert reason_of(exc.value) == er.ERROR_REASON_VERSION_CONFLICT


async def test_bounds_and_unknown_user(world: World) -> None:
    w = world
    for bad in ("", "x" * 129, "tab\there"):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await put(w, bad, b"", 0)
        assert reason_of(exc.value) == er.ERROR_REASON_INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await put(w, "big", b"x" * (1024 * 1024 + 1), 0)
    assert reason_of(exc.value) == er.ERROR_REASON_INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await w.client.devices.GetDevice(pb.GetDeviceRequest(user_id="0123456789abcdef0123456789abcdef", device_id="d"))
    assert reason_of(exc.value) == er.ERROR_REASON_NO_SUCH_USER


async def test_device_information_and_wipe_acknowledgement_are_kept(world: World) -> None:
    w = world
    info = pb.DeviceInfo(model="Pixel", os="Android 16", imei="123")
    d = await put(w, "phone", b"s", 0, info=info, wipe_requested=True, wipe_acknowledged=1700000000)
    assert d.info == info and d.wipe_requested and d.wipe_acknowledged == 1700000000
    listed = (await w.client.devices.ListDevices(pb.ListDevicesRequest(user_id=w.user.id))).devices
    assert listed[0].info.model == "Pixel" and listed[0].wipe_acknowledged == 1700000000
    d = await put(w, "phone", b"s", 1)  # a writer that leaves them out clears them
    assert d.info == pb.DeviceInfo() and d.wipe_acknowledged == 0
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await put(w, "phone", b"s", 2, info=pb.DeviceInfo(model="m" * 513))
    assert reason_of(exc.value) == er.ERROR_REASON_INVALID_ARGUMENT


async def test_user_settings_round_trip_and_bounds(world: World) -> None:
    w = world
    got = await w.client.devices.GetUserSettings(pb.GetUserSettingsRequest(user_id=w.user.id))
    assert got.settings.oof.state == pb.OutOfOffice.STATE_UNSPECIFIED and got.settings.updated == 0
    oof = pb.OutOfOffice(state=pb.OutOfOffice.STATE_SCHEDULED, start_time=100, end_time=200,
                         internal_enabled=True, internal_message="away", body_type="TEXT")  # fmt: skip
    put_resp = await w.client.devices.PutUserSettings(
        pb.PutUserSettingsRequest(user_id=w.user.id, settings=pb.UserSettings(oof=oof))
    )
    assert put_resp.settings.updated > 0
    got = await w.client.devices.GetUserSettings(pb.GetUserSettingsRequest(user_id=w.user.id))
    assert got.settings.oof == oof
    for bad in (
        pb.OutOfOffice(state=pb.OutOfOffice.STATE_SCHEDULED, start_time=300, end_time=200),
        pb.OutOfOffice(state=pb.OutOfOffice.STATE_ENABLED, internal_message="x" * (64 * 1024 + 1)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await w.client.devices.PutUserSettings(
                pb.PutUserSettingsRequest(user_id=w.user.id, settings=pb.UserSettings(oof=bad))
            )
        assert reason_of(exc.value) == er.ERROR_REASON_INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as exc:
        await w.client.devices.GetUserSettings(pb.GetUserSettingsRequest(user_id="0123456789abcdef0123456789abcdef"))
    assert reason_of(exc.value) == er.ERROR_REASON_NO_SUCH_USER


async def test_purged_user_takes_its_devices(world: World) -> None:
    w = world
    await put(w, "phone", b"s", 0)
    await w.client.devices.PutUserSettings(
        pb.PutUserSettingsRequest(
            user_id=w.user.id, settings=pb.UserSettings(oof=pb.OutOfOffice(state=pb.OutOfOffice.STATE_ENABLED))
        )
    )
    r = redis_of(w.handle)
    assert await asyncio.to_thread(r.exists, f"{{u:{w.user.id}}}:dev")
    assert await asyncio.to_thread(r.exists, f"{{u:{w.user.id}}}:settings")
    await w.client.directory.DeleteUser(directory_pb.DeleteUserRequest(address=w.user.address, purge_mail=True))
    assert not await asyncio.to_thread(r.exists, f"{{u:{w.user.id}}}:dev")
    assert not await asyncio.to_thread(r.exists, f"{{u:{w.user.id}}}:settings")
