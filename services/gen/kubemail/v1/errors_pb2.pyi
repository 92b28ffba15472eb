from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INVALID_ARGUMENT: _ClassVar[ErrorReason]
    NO_SUCH_USER: _ClassVar[ErrorReason]
    NO_SUCH_DOMAIN: _ClassVar[ErrorReason]
    NO_SUCH_MAILBOX: _ClassVar[ErrorReason]
    NO_SUCH_DESTINATION: _ClassVar[ErrorReason]
    MAILBOX_EXISTS: _ClassVar[ErrorReason]
    ALIAS_TAKEN: _ClassVar[ErrorReason]
    QUOTA_EXCEEDED: _ClassVar[ErrorReason]
    MESSAGE_TOO_LARGE: _ClassVar[ErrorReason]
    USER_LIMIT: _ClassVar[ErrorReason]
    KEYWORD_LIMIT: _ClassVar[ErrorReason]
    BLOB_MISSING: _ClassVar[ErrorReason]
    DOMAIN_NOT_EMPTY: _ClassVar[ErrorReason]
    INBOX_PROTECTED: _ClassVar[ErrorReason]
    LEASE_LOST: _ClassVar[ErrorReason]
    BLOB_COLLECTING: _ClassVar[ErrorReason]
    BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
    TIMEOUT: _ClassVar[ErrorReason]
    UNIMPLEMENTED: _ClassVar[ErrorReason]
    INTERNAL: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INVALID_ARGUMENT: ErrorReason
NO_SUCH_USER: ErrorReason
NO_SUCH_DOMAIN: ErrorReason
NO_SUCH_MAILBOX: ErrorReason
NO_SUCH_DESTINATION: ErrorReason
MAILBOX_EXISTS: ErrorReason
ALIAS_TAKEN: ErrorReason
QUOTA_EXCEEDED: ErrorReason
MESSAGE_TOO_LARGE: ErrorReason
USER_LIMIT: ErrorReason
KEYWORD_LIMIT: ErrorReason
BLOB_MISSING: ErrorReason
DOMAIN_NOT_EMPTY: ErrorReason
INBOX_PROTECTED: ErrorReason
LEASE_LOST: ErrorReason
BLOB_COLLECTING: ErrorReason
BACKEND_UNAVAILABLE: ErrorReason
TIMEOUT: ErrorReason
UNIMPLEMENTED: ErrorReason
INTERNAL: ErrorReason
