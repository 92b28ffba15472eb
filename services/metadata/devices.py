# ruff: noqa: N802  -- gRPC method names come from the proto
"""ActiveSync device records (DevicesService): one hash per user, `P dev`, a JSON record per
device, written only through a compare-and-set script so two web pods serving the same device
never overwrite each other's SyncKeys unseen."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from google.protobuf import json_format

from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import devices_pb2_grpc as devices_rpc
from services.metadata import keys
from services.metadata.directory import DirectoryData
from services.metadata.errors import invalid
from services.metadata.store import Store

MAX_STATE = 1024 * 1024
MAX_DEVICES = 100
MAX_INFO = 512
MAX_OOF_MESSAGE = 64 * 1024


def _check_id(device_id: str) -> None:
    if not 1 <= len(device_id) <= 128 or not device_id.isprintable():
        raise invalid("device_id must be 1..128 printable characters")


def _to_pb(raw: bytes | str, device_id: str, with_state: bool = True) -> devices_pb.Device:
    rec = json.loads(raw)
    return devices_pb.Device(
        device_id=device_id,
        device_type=rec.get("t", ""),
        user_agent=rec.get("ua", ""),
        version=int(rec["v"]),
        state=base64.b64decode(rec.get("s", "")) if with_state else b"",
        first_seen=int(rec["first"]),
        last_seen=int(rec["last"]),
        wipe_requested=bool(rec.get("w", False)),
        info=json_format.ParseDict(rec.get("i", {}), devices_pb.DeviceInfo(), ignore_unknown_fields=True),
        wipe_acknowledged=int(rec.get("wa", 0)),
    )


def _check_settings(s: devices_pb.UserSettings) -> None:
    oof = s.oof
    texts = (oof.internal_message, oof.external_known_message, oof.external_unknown_message)
    if any(len(t) > MAX_OOF_MESSAGE for t in texts) or len(oof.body_type) > 16:
        raise invalid(f"out-of-office messages are limited to {MAX_OOF_MESSAGE} characters")
    if oof.state == devices_pb.OutOfOffice.STATE_SCHEDULED and not 0 < oof.start_time < oof.end_time:
        raise invalid("a scheduled out-of-office needs start_time < end_time")


class DevicesServicer(devices_rpc.DevicesServiceServicer):
    def __init__(self, store: Store, directory: DirectoryData) -> None:
        self.store = store
        self.dir = directory

    async def GetDevice(self, request: devices_pb.GetDeviceRequest, context: Any) -> devices_pb.GetDeviceResponse:
        await self.dir.require_user(request.user_id)
        _check_id(request.device_id)
        raw = await self.store.timed(
            "device_get", self.store.r.hget(keys.user(request.user_id).devices, request.device_id)
        )
        if raw is None:
            return devices_pb.GetDeviceResponse(found=False)
        return devices_pb.GetDeviceResponse(found=True, device=_to_pb(raw, request.device_id))

    async def PutDevice(self, request: devices_pb.PutDeviceRequest, context: Any) -> devices_pb.PutDeviceResponse:
        await self.dir.require_user(request.user_id)
        d = request.device
        _check_id(d.device_id)
        if len(d.state) > MAX_STATE:
            raise invalid(f"state larger than {MAX_STATE} bytes")
        if len(d.device_type) > 128 or len(d.user_agent) > 512:
            raise invalid("device_type (<= 128) or user_agent (<= 512) too long")
        if any(len(value) > MAX_INFO for _, value in d.info.ListFields()):
            raise invalid(f"device information fields are limited to {MAX_INFO} characters")
        rec: dict[str, Any] = {
            "t": d.device_type,
            "ua": d.user_agent,
            "s": base64.b64encode(d.state).decode(),
            "w": d.wipe_requested,
        }
        if d.info.ListFields():
            rec["i"] = json_format.MessageToDict(d.info)
        if d.wipe_acknowledged:
            rec["wa"] = d.wipe_acknowledged
        res = await self.store.user_script(
            "device_put", request.user_id, [d.device_id, request.expected_version, json.dumps(rec), MAX_DEVICES]
        )
        return devices_pb.PutDeviceResponse(device=_to_pb(json.dumps(res), d.device_id))

    async def ListDevices(self, request: devices_pb.ListDevicesRequest, context: Any) -> devices_pb.ListDevicesResponse:
        await self.dir.require_user(request.user_id)
        raw = await self.store.timed("device_list", self.store.r.hgetall(keys.user(request.user_id).devices))
        items = sorted((k.decode() if isinstance(k, bytes) else k, v) for k, v in raw.items())
        return devices_pb.ListDevicesResponse(devices=[_to_pb(v, k, with_state=False) for k, v in items])

    async def DeleteDevice(
        self, request: devices_pb.DeleteDeviceRequest, context: Any
    ) -> devices_pb.DeleteDeviceResponse:
        await self.dir.require_user(request.user_id)
        _check_id(request.device_id)
        n = await self.store.timed(
            "device_delete", self.store.r.hdel(keys.user(request.user_id).devices, request.device_id)
        )
        return devices_pb.DeleteDeviceResponse(deleted=bool(n))

    async def GetUserSettings(
        self, request: devices_pb.GetUserSettingsRequest, context: Any
    ) -> devices_pb.GetUserSettingsResponse:
        await self.dir.require_user(request.user_id)
        raw = await self.store.timed("settings_get", self.store.r.get(keys.user(request.user_id).settings))
        settings = devices_pb.UserSettings()
        if raw is not None:
            json_format.Parse(raw, settings, ignore_unknown_fields=True)
        return devices_pb.GetUserSettingsResponse(settings=settings)

    async def PutUserSettings(
        self, request: devices_pb.PutUserSettingsRequest, context: Any
    ) -> devices_pb.PutUserSettingsResponse:
        await self.dir.require_user(request.user_id)
        settings = devices_pb.UserSettings()
        settings.CopyFrom(request.settings)
        _check_settings(settings)
        settings.updated = int(time.time())
        await self.store.timed(
            "settings_put", self.store.r.set(keys.user(request.user_id).settings, json_format.MessageToJson(settings))
        )
        return devices_pb.PutUserSettingsResponse(settings=settings)
