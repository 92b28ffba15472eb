from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class AcquireRequest(_message.Message):
    __slots__ = ("user_id", "holder", "ttl_seconds")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    holder: str
    ttl_seconds: int
    def __init__(self, user_id: _Optional[str] = ..., holder: _Optional[str] = ..., ttl_seconds: _Optional[int] = ...) -> None: ...

class AcquireResponse(_message.Message):
    __slots__ = ("acquired", "fencing_token")
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    fencing_token: int
    def __init__(self, acquired: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ("user_id", "holder", "ttl_seconds", "fencing_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    holder: str
    ttl_seconds: int
    fencing_token: int
    def __init__(self, user_id: _Optional[str] = ..., holder: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class RefreshResponse(_message.Message):
    __slots__ = ("acquired", "fencing_token")
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    fencing_token: int
    def __init__(self, acquired: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class ReleaseRequest(_message.Message):
    __slots__ = ("user_id", "holder", "ttl_seconds", "fencing_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    holder: str
    ttl_seconds: int
    fencing_token: int
    def __init__(self, user_id: _Optional[str] = ..., holder: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class ReleaseResponse(_message.Message):
    __slots__ = ("acquired", "fencing_token")
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    fencing_token: int
    def __init__(self, acquired: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...
