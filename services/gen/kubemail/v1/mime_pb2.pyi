from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageSummary(_message.Message):
    __slots__ = ("size", "header_size", "raw_header", "envelope", "body", "sent_date", "headers", "has_8bit", "message_id", "references", "base_subject", "preview", "imap_envelope", "imap_bodystructure", "imap_render")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    HEADER_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_HEADER_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    SENT_DATE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    HAS_8BIT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    BASE_SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    IMAP_ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    IMAP_BODYSTRUCTURE_FIELD_NUMBER: _ClassVar[int]
    IMAP_RENDER_FIELD_NUMBER: _ClassVar[int]
    size: int
    header_size: int
    raw_header: bytes
    envelope: Envelope
    body: BodyPart
    sent_date: int
    headers: _containers.RepeatedCompositeFieldContainer[HeaderField]
    has_8bit: bool
    message_id: str
    references: _containers.RepeatedScalarFieldContainer[str]
    base_subject: str
    preview: str
    imap_envelope: bytes
    imap_bodystructure: bytes
    imap_render: int
    def __init__(self, size: _Optional[int] = ..., header_size: _Optional[int] = ..., raw_header: _Optional[bytes] = ..., envelope: _Optional[_Union[Envelope, _Mapping]] = ..., body: _Optional[_Union[BodyPart, _Mapping]] = ..., sent_date: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[HeaderField, _Mapping]]] = ..., has_8bit: _Optional[bool] = ..., message_id: _Optional[str] = ..., references: _Optional[_Iterable[str]] = ..., base_subject: _Optional[str] = ..., preview: _Optional[str] = ..., imap_envelope: _Optional[bytes] = ..., imap_bodystructure: _Optional[bytes] = ..., imap_render: _Optional[int] = ...) -> None: ...

class HeaderField(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class NString(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    def __init__(self, value: _Optional[bytes] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("name", "adl", "mailbox", "host")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADL_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    name: NString
    adl: NString
    mailbox: NString
    host: NString
    def __init__(self, name: _Optional[_Union[NString, _Mapping]] = ..., adl: _Optional[_Union[NString, _Mapping]] = ..., mailbox: _Optional[_Union[NString, _Mapping]] = ..., host: _Optional[_Union[NString, _Mapping]] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("date", "subject", "sender", "reply_to", "to", "cc", "bcc", "in_reply_to", "message_id")
    DATE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    CC_FIELD_NUMBER: _ClassVar[int]
    BCC_FIELD_NUMBER: _ClassVar[int]
    IN_REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    date: NString
    subject: NString
    sender: _containers.RepeatedCompositeFieldContainer[Address]
    reply_to: _containers.RepeatedCompositeFieldContainer[Address]
    to: _containers.RepeatedCompositeFieldContainer[Address]
    cc: _containers.RepeatedCompositeFieldContainer[Address]
    bcc: _containers.RepeatedCompositeFieldContainer[Address]
    in_reply_to: NString
    message_id: NString
    def __init__(self, date: _Optional[_Union[NString, _Mapping]] = ..., subject: _Optional[_Union[NString, _Mapping]] = ..., sender: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., reply_to: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., to: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., cc: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., bcc: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., in_reply_to: _Optional[_Union[NString, _Mapping]] = ..., message_id: _Optional[_Union[NString, _Mapping]] = ..., **kwargs) -> None: ...

class Param(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: bytes
    def __init__(self, name: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class Disposition(_message.Message):
    __slots__ = ("type", "params")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    type: str
    params: _containers.RepeatedCompositeFieldContainer[Param]
    def __init__(self, type: _Optional[str] = ..., params: _Optional[_Iterable[_Union[Param, _Mapping]]] = ...) -> None: ...

class BodyPart(_message.Message):
    __slots__ = ("type", "subtype", "params", "id", "description", "encoding", "size", "lines", "md5", "disposition", "language", "location", "header_offset", "body_offset", "end_offset", "parts", "envelope")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBTYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    MD5_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    HEADER_OFFSET_FIELD_NUMBER: _ClassVar[int]
    BODY_OFFSET_FIELD_NUMBER: _ClassVar[int]
    END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    type: str
    subtype: str
    params: _containers.RepeatedCompositeFieldContainer[Param]
    id: NString
    description: NString
    encoding: str
    size: int
    lines: int
    md5: NString
    disposition: Disposition
    language: _containers.RepeatedScalarFieldContainer[str]
    location: NString
    header_offset: int
    body_offset: int
    end_offset: int
    parts: _containers.RepeatedCompositeFieldContainer[BodyPart]
    envelope: Envelope
    def __init__(self, type: _Optional[str] = ..., subtype: _Optional[str] = ..., params: _Optional[_Iterable[_Union[Param, _Mapping]]] = ..., id: _Optional[_Union[NString, _Mapping]] = ..., description: _Optional[_Union[NString, _Mapping]] = ..., encoding: _Optional[str] = ..., size: _Optional[int] = ..., lines: _Optional[int] = ..., md5: _Optional[_Union[NString, _Mapping]] = ..., disposition: _Optional[_Union[Disposition, _Mapping]] = ..., language: _Optional[_Iterable[str]] = ..., location: _Optional[_Union[NString, _Mapping]] = ..., header_offset: _Optional[int] = ..., body_offset: _Optional[int] = ..., end_offset: _Optional[int] = ..., parts: _Optional[_Iterable[_Union[BodyPart, _Mapping]]] = ..., envelope: _Optional[_Union[Envelope, _Mapping]] = ...) -> None: ...
