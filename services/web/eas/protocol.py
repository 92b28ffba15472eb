"""Exchange ActiveSync over HTTP ([MS-ASHTTP]): what a request says, with no I/O.

A request is `POST /Microsoft-Server-ActiveSync?Cmd=<command>&User=<user>&DeviceId=<id>&
DeviceType=<type>` (the plain query form) with `MS-ASProtocolVersion` and `X-MS-PolicyKey`
headers and a WBXML body; `OPTIONS` asks for the versions and commands. The base64-encoded query
form ([MS-ASHTTP] 2.2.1.1.1.1) is decoded too.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping

VERSIONS = ("14.0", "14.1", "16.0", "16.1")
# commands answered by this server (OPTIONS lists them; others get HTTP 501)
COMMANDS = (
    "Sync", "SendMail", "SmartForward", "SmartReply", "FolderSync", "FolderCreate", "FolderDelete", "FolderUpdate",
    "MoveItems", "GetItemEstimate", "Ping", "ItemOperations", "Provision", "Search", "Settings", "ResolveRecipients",
    "Find",
)  # fmt: skip
# [MS-ASHTTP] 2.2.1.1.1.1.2: command codes of the base64 query form
_CODES = {
    0: "Sync", 1: "SendMail", 2: "SmartForward", 3: "SmartReply", 4: "GetAttachment", 9: "FolderSync",
    10: "FolderCreate", 11: "FolderDelete", 12: "FolderUpdate", 13: "MoveItems", 14: "GetItemEstimate",
    15: "MeetingResponse", 16: "Search", 17: "Settings", 18: "Ping", 19: "ItemOperations", 20: "Provision",
    21: "ResolveRecipients", 22: "ValidateCert", 23: "Find",
}  # fmt: skip


class ProtocolError(ValueError):
    """The HTTP request is not an ActiveSync request (HTTP 400)."""


@dataclasses.dataclass(frozen=True)
class EasRequest:
    command: str
    user: str
    device_id: str
    device_type: str
    version: str
    policy_key: int


def _device_id_ok(value: str) -> bool:
    return 1 <= len(value) <= 128 and value.isascii() and value.isprintable()


def _b64_query(raw: str) -> tuple[str, str, str, str, str, int]:
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("malformed base64 query") from None
    try:
        version = f"{data[0] // 10}.{data[0] % 10}"
        command = _CODES.get(data[1], "")
        pos = 4  # version, command, locale (2)
        n = data[pos]
        device_id = data[pos + 1 : pos + 1 + n].hex().upper()
        pos += 1 + n
        n = data[pos]
        policy_key = int.from_bytes(data[pos + 1 : pos + 1 + n], "little") if n else 0
        pos += 1 + n
        n = data[pos]
        device_type = data[pos + 1 : pos + 1 + n].decode("ascii")
    except (IndexError, UnicodeDecodeError):
        raise ProtocolError("truncated base64 query") from None
    return command, "", device_id, device_type, version, policy_key


def parse(query: Mapping[str, str], query_string: str, headers: Mapping[str, str]) -> EasRequest:
    if "Cmd" in query:
        command, user = query.get("Cmd", ""), query.get("User", "")
        device_id, device_type = query.get("DeviceId", ""), query.get("DeviceType", "")
        version = headers.get("MS-ASProtocolVersion", "")
        key = headers.get("X-MS-PolicyKey", "0").strip() or "0"
        if not key.isdigit() or len(key) > 10:
            raise ProtocolError("X-MS-PolicyKey is not a number")
        policy_key = int(key)
    else:
        command, user, device_id, device_type, version, policy_key = _b64_query(query_string)
    if not command or not _device_id_ok(device_id) or len(device_type) > 64 or len(user) > 320:
        raise ProtocolError("Cmd, DeviceId (1..128 printable ASCII) and DeviceType (<= 64) are required")
    if version not in VERSIONS:
        raise ProtocolError(f"protocol version {version[:10]!r} is not supported")
    return EasRequest(command, user, device_id, device_type, version, policy_key)


def options_headers() -> dict[str, str]:
    return {
        "MS-Server-ActiveSync": "16.1",
        "MS-ASProtocolVersions": ",".join(VERSIONS),
        "MS-ASProtocolCommands": ",".join(COMMANDS),
        "Allow": "OPTIONS,POST",
        "Public": "OPTIONS,POST",
    }
