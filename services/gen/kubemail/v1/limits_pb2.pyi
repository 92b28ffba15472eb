from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class HitRequest(_message.Message):
    __slots__ = ("bucket", "key", "limit", "window_seconds", "cost")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    limit: int
    window_seconds: int
    cost: int
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., limit: _Optional[int] = ..., window_seconds: _Optional[int] = ..., cost: _Optional[int] = ...) -> None: ...

class HitResponse(_message.Message):
    __slots__ = ("allowed", "count", "retry_after_seconds")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    count: int
    retry_after_seconds: int
    def __init__(self, allowed: _Optional[bool] = ..., count: _Optional[int] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class PeekRequest(_message.Message):
    __slots__ = ("bucket", "key", "limit", "window_seconds")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    limit: int
    window_seconds: int
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., limit: _Optional[int] = ..., window_seconds: _Optional[int] = ...) -> None: ...

class PeekResponse(_message.Message):
    __slots__ = ("allowed", "count", "retry_after_seconds")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    count: int
    retry_after_seconds: int
    def __init__(self, allowed: _Optional[bool] = ..., count: _Optional[int] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...
