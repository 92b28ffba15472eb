from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Device(_message.Message):
    __slots__ = ("device_id", "device_type", "user_agent", "version", "state", "first_seen", "last_seen", "wipe_requested", "info", "wipe_acknowledged")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    WIPE_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    WIPE_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    device_type: str
    user_agent: str
    version: int
    state: bytes
    first_seen: int
    last_seen: int
    wipe_requested: bool
    info: DeviceInfo
    wipe_acknowledged: int
    def __init__(self, device_id: _Optional[str] = ..., device_type: _Optional[str] = ..., user_agent: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[bytes] = ..., first_seen: _Optional[int] = ..., last_seen: _Optional[int] = ..., wipe_requested: _Optional[bool] = ..., info: _Optional[_Union[DeviceInfo, _Mapping]] = ..., wipe_acknowledged: _Optional[int] = ...) -> None: ...

class DeviceInfo(_message.Message):
    __slots__ = ("model", "imei", "friendly_name", "os", "os_language", "phone_number", "mobile_operator", "user_agent")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    IMEI_FIELD_NUMBER: _ClassVar[int]
    FRIENDLY_NAME_FIELD_NUMBER: _ClassVar[int]
    OS_FIELD_NUMBER: _ClassVar[int]
    OS_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MOBILE_OPERATOR_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    model: str
    imei: str
    friendly_name: str
    os: str
    os_language: str
    phone_number: str
    mobile_operator: str
    user_agent: str
    def __init__(self, model: _Optional[str] = ..., imei: _Optional[str] = ..., friendly_name: _Optional[str] = ..., os: _Optional[str] = ..., os_language: _Optional[str] = ..., phone_number: _Optional[str] = ..., mobile_operator: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class GetDeviceRequest(_message.Message):
    __slots__ = ("user_id", "device_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    device_id: str
    def __init__(self, user_id: _Optional[str] = ..., device_id: _Optional[str] = ...) -> None: ...

class GetDeviceResponse(_message.Message):
    __slots__ = ("found", "device")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    found: bool
    device: Device
    def __init__(self, found: _Optional[bool] = ..., device: _Optional[_Union[Device, _Mapping]] = ...) -> None: ...

class PutDeviceRequest(_message.Message):
    __slots__ = ("user_id", "device", "expected_version")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    device: Device
    expected_version: int
    def __init__(self, user_id: _Optional[str] = ..., device: _Optional[_Union[Device, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class PutDeviceResponse(_message.Message):
    __slots__ = ("device",)
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    device: Device
    def __init__(self, device: _Optional[_Union[Device, _Mapping]] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices",)
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[Device]
    def __init__(self, devices: _Optional[_Iterable[_Union[Device, _Mapping]]] = ...) -> None: ...

class DeleteDeviceRequest(_message.Message):
    __slots__ = ("user_id", "device_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    device_id: str
    def __init__(self, user_id: _Optional[str] = ..., device_id: _Optional[str] = ...) -> None: ...

class DeleteDeviceResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class OutOfOffice(_message.Message):
    __slots__ = ("state", "start_time", "end_time", "internal_enabled", "internal_message", "external_known_enabled", "external_known_message", "external_unknown_enabled", "external_unknown_message", "body_type")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[OutOfOffice.State]
        STATE_DISABLED: _ClassVar[OutOfOffice.State]
        STATE_ENABLED: _ClassVar[OutOfOffice.State]
        STATE_SCHEDULED: _ClassVar[OutOfOffice.State]
    STATE_UNSPECIFIED: OutOfOffice.State
    STATE_DISABLED: OutOfOffice.State
    STATE_ENABLED: OutOfOffice.State
    STATE_SCHEDULED: OutOfOffice.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_ENABLED_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_KNOWN_ENABLED_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_KNOWN_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_UNKNOWN_ENABLED_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_UNKNOWN_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BODY_TYPE_FIELD_NUMBER: _ClassVar[int]
    state: OutOfOffice.State
    start_time: int
    end_time: int
    internal_enabled: bool
    internal_message: str
    external_known_enabled: bool
    external_known_message: str
    external_unknown_enabled: bool
    external_unknown_message: str
    body_type: str
    def __init__(self, state: _Optional[_Union[OutOfOffice.State, str]] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., internal_enabled: _Optional[bool] = ..., internal_message: _Optional[str] = ..., external_known_enabled: _Optional[bool] = ..., external_known_message: _Optional[str] = ..., external_unknown_enabled: _Optional[bool] = ..., external_unknown_message: _Optional[str] = ..., body_type: _Optional[str] = ...) -> None: ...

class UserSettings(_message.Message):
    __slots__ = ("oof", "updated")
    OOF_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    oof: OutOfOffice
    updated: int
    def __init__(self, oof: _Optional[_Union[OutOfOffice, _Mapping]] = ..., updated: _Optional[int] = ...) -> None: ...

class GetUserSettingsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetUserSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: UserSettings
    def __init__(self, settings: _Optional[_Union[UserSettings, _Mapping]] = ...) -> None: ...

class PutUserSettingsRequest(_message.Message):
    __slots__ = ("user_id", "settings")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    settings: UserSettings
    def __init__(self, user_id: _Optional[str] = ..., settings: _Optional[_Union[UserSettings, _Mapping]] = ...) -> None: ...

class PutUserSettingsResponse(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: UserSettings
    def __init__(self, settings: _Optional[_Union[UserSettings, _Mapping]] = ...) -> None: ...
