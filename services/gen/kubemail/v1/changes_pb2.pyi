from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ...) -> None: ...

class WatchResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: ChangeEvent
    def __init__(self, event: _Optional[_Union[ChangeEvent, _Mapping]] = ...) -> None: ...

class ChangeEvent(_message.Message):
    __slots__ = ("kind", "user_id", "mailbox_id", "modseq")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ChangeEvent.Kind]
        KIND_HELLO: _ClassVar[ChangeEvent.Kind]
        KIND_MESSAGES: _ClassVar[ChangeEvent.Kind]
        KIND_MAILBOXES: _ClassVar[ChangeEvent.Kind]
    KIND_UNSPECIFIED: ChangeEvent.Kind
    KIND_HELLO: ChangeEvent.Kind
    KIND_MESSAGES: ChangeEvent.Kind
    KIND_MAILBOXES: ChangeEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    kind: ChangeEvent.Kind
    user_id: str
    mailbox_id: str
    modseq: int
    def __init__(self, kind: _Optional[_Union[ChangeEvent.Kind, str]] = ..., user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., modseq: _Optional[int] = ...) -> None: ...
