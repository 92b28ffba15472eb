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

class BackoffFailRequest(_message.Message):
    __slots__ = ("bucket", "key", "free_failures", "base_seconds", "max_seconds")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FREE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    BASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SECONDS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    free_failures: int
    base_seconds: int
    max_seconds: int
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., free_failures: _Optional[int] = ..., base_seconds: _Optional[int] = ..., max_seconds: _Optional[int] = ...) -> None: ...

class BackoffFailResponse(_message.Message):
    __slots__ = ("failures", "retry_after_seconds")
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    failures: int
    retry_after_seconds: int
    def __init__(self, failures: _Optional[int] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class BackoffCheckRequest(_message.Message):
    __slots__ = ("bucket", "key")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class BackoffCheckResponse(_message.Message):
    __slots__ = ("failures", "retry_after_seconds")
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    failures: int
    retry_after_seconds: int
    def __init__(self, failures: _Optional[int] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class BackoffResetRequest(_message.Message):
    __slots__ = ("bucket", "key")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class BackoffResetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
