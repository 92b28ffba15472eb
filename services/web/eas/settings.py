"""Settings ([MS-ASCMD] 2.2.1.18): Oof Get/Set (the out-of-office record the vacation responder
reads, DevicesService.Get/PutUserSettings), DeviceInformation Set (kept in the device's record;
Provision carries the same element), UserInformation Get (the primary address and aliases) and
DevicePassword Set (refused: the policy does not enable password recovery). Each part gets its
own Status; the top Status 2 answers a request that is not a Settings request."""

from __future__ import annotations

import datetime
import time

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.web.wbxml.codec import Element, el

ST = "Settings"
OK, PROTOCOL_ERROR, INVALID_ARGUMENTS, CONFLICTING, DENIED = 1, 2, 5, 6, 7
Oof = devices_pb.OutOfOffice
MAX_MESSAGE = 64 * 1024
MAX_INFO = 512
_SCOPES = (
    ("AppliesToInternal", "internal"),
    ("AppliesToExternalKnown", "external_known"),
    ("AppliesToExternalUnknown", "external_unknown"),
)
_INFO = {
    "Model": "model", "IMEI": "imei", "FriendlyName": "friendly_name", "OS": "os", "OSLanguage": "os_language",
    "PhoneNumber": "phone_number", "MobileOperator": "mobile_operator", "UserAgent": "user_agent",
}  # fmt: skip


class InvalidSettingError(ValueError):
    """An argument out of range (Status 5)."""


def _time(value: str) -> int:
    try:
        dt = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidSettingError("bad time") from None
    return int((dt if dt.tzinfo else dt.replace(tzinfo=datetime.UTC)).timestamp())


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def device_info(e: Element) -> devices_pb.DeviceInfo:
    """The DeviceInformation (its Set child or itself) as a DeviceInfo, fields cut to 512 characters."""
    src = e.find(ST, "Set") or e
    info = devices_pb.DeviceInfo()
    for c in src.children:
        field = _INFO.get(c.tag) if c.ns == ST else None
        if field is not None:
            setattr(info, field, c.value()[:MAX_INFO])
    return info


def oof_set(s: Element, old: devices_pb.OutOfOffice) -> devices_pb.OutOfOffice:
    """The new record from an Oof Set (parts left out keep their value)."""
    oof = devices_pb.OutOfOffice()
    oof.CopyFrom(old)
    state = s.find(ST, "OofState")
    if state is not None:
        if state.value() not in ("0", "1", "2"):
            raise InvalidSettingError("OofState is 0, 1 or 2")
        oof.state = int(state.value()) + 1  # type: ignore[assignment]  # EAS 0..2 = STATE_DISABLED..SCHEDULED
    start, end = s.find(ST, "StartTime"), s.find(ST, "EndTime")
    if start is not None:
        oof.start_time = _time(start.value())
    if end is not None:
        oof.end_time = _time(end.value())
    if oof.state == Oof.STATE_SCHEDULED and not 0 < oof.start_time < oof.end_time:
        raise InvalidSettingError("a scheduled OOF needs StartTime before EndTime")
    for msg in s.findall(ST, "OofMessage"):
        scopes = [field for tag, field in _SCOPES if msg.find(ST, tag) is not None]
        if len(scopes) != 1:
            raise InvalidSettingError("an OofMessage applies to exactly one audience")
        enabled, reply, body_type = msg.find(ST, "Enabled"), msg.find(ST, "ReplyMessage"), msg.find(ST, "BodyType")
        if enabled is not None:
            setattr(oof, f"{scopes[0]}_enabled", enabled.value() == "1")
        if reply is not None:
            if len(reply.value()) > MAX_MESSAGE:
                raise InvalidSettingError("ReplyMessage is too long")
            setattr(oof, f"{scopes[0]}_message", reply.value())
        if body_type is not None:
            if body_type.value().upper() not in ("TEXT", "HTML"):
                raise InvalidSettingError("BodyType is Text or HTML")
            oof.body_type = body_type.value().upper()
    return oof


def oof_get(oof: devices_pb.OutOfOffice) -> Element:
    parts: list[Element] = [el(ST, "OofState", max(int(oof.state) - 1, 0))]
    if oof.state == Oof.STATE_SCHEDULED:
        parts += [el(ST, "StartTime", _iso(oof.start_time)), el(ST, "EndTime", _iso(oof.end_time))]
    body_type = "HTML" if oof.body_type == "HTML" else "TEXT"
    for tag, field in _SCOPES:
        enabled, message = getattr(oof, f"{field}_enabled"), getattr(oof, f"{field}_message")
        msg = [Element(ST, tag), el(ST, "Enabled", 1 if enabled else 0)]
        if message:
            msg += [el(ST, "ReplyMessage", message), el(ST, "BodyType", body_type)]
        parts.append(el(ST, "OofMessage", *msg))
    return el(ST, "Get", *parts)


def user_information(user: directory_pb.User, version: str) -> Element:
    """UserInformation Get: 14.0 lists SMTPAddress elements; 14.1 and later an Account with the
    display name and the primary address."""
    addresses = [el(ST, "SMTPAddress", a) for a in [user.address, *user.aliases]]
    if version == "14.0":
        get = el(ST, "Get", el(ST, "EmailAddresses", *addresses))
    else:
        account = el(ST, "Account", el(ST, "UserDisplayName", user.display_name or user.address),
                     el(ST, "EmailAddresses", el(ST, "PrimarySmtpAddress", user.address), *addresses))  # fmt: skip
        get = el(ST, "Get", el(ST, "Accounts", account))
    return el(ST, "UserInformation", el(ST, "Status", OK), get)


async def _oof(client: MetadataClient, user_id: str, part: Element) -> Element:
    get, put = part.find(ST, "Get"), part.find(ST, "Set")
    if (get is None) == (put is None):
        return el(ST, "Oof", el(ST, "Status", PROTOCOL_ERROR))
    resp = await client.devices.GetUserSettings(devices_pb.GetUserSettingsRequest(user_id=user_id))
    if get is not None:
        return el(ST, "Oof", el(ST, "Status", OK), oof_get(resp.settings.oof))
    assert put is not None
    try:
        oof = oof_set(put, resp.settings.oof)
    except InvalidSettingError:
        return el(ST, "Oof", el(ST, "Status", INVALID_ARGUMENTS))
    new = devices_pb.UserSettings()
    new.CopyFrom(resp.settings)
    new.oof.CopyFrom(oof)
    await client.devices.PutUserSettings(devices_pb.PutUserSettingsRequest(user_id=user_id, settings=new))
    return el(ST, "Oof", el(ST, "Status", OK))


async def handle(
    client: MetadataClient, user: directory_pb.User, version: str, body: Element | None
) -> tuple[Element, devices_pb.DeviceInfo | None]:
    """(the response, the device information to keep when the request set it)."""
    if body is None or (body.ns, body.tag) != (ST, "Settings") or not body.children:
        return el(ST, "Settings", el(ST, "Status", PROTOCOL_ERROR)), None
    out: list[Element] = []
    info: devices_pb.DeviceInfo | None = None
    for part in body.children[:8]:
        if part.ns != ST:
            return el(ST, "Settings", el(ST, "Status", PROTOCOL_ERROR)), None
        if part.tag == "Oof":
            out.append(await _oof(client, user.id, part))
        elif part.tag == "DeviceInformation":
            ok = part.find(ST, "Set") is not None
            info = device_info(part) if ok else info
            out.append(el(ST, "DeviceInformation", el(ST, "Status", OK if ok else PROTOCOL_ERROR)))
        elif part.tag == "UserInformation":
            if part.find(ST, "Get") is None:
                out.append(el(ST, "UserInformation", el(ST, "Status", PROTOCOL_ERROR)))
            else:
                out.append(user_information(user, version))
        elif part.tag == "DevicePassword":  # recovery passwords are not kept (PasswordRecoveryEnabled 0)
            out.append(el(ST, "DevicePassword", el(ST, "Status", DENIED)))
        else:
            out.append(el(ST, part.tag, el(ST, "Status", PROTOCOL_ERROR)))
    return el(ST, "Settings", el(ST, "Status", OK), *out), info
