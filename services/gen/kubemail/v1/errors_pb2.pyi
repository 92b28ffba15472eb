from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    ERROR_REASON_INVALID_ARGUMENT: _ClassVar[ErrorReason]
    ERROR_REASON_NO_SUCH_USER: _ClassVar[ErrorReason]
    ERROR_REASON_NO_SUCH_DOMAIN: _ClassVar[ErrorReason]
    ERROR_REASON_NO_SUCH_MAILBOX: _ClassVar[ErrorReason]
    ERROR_REASON_NO_SUCH_DESTINATION: _ClassVar[ErrorReason]
    ERROR_REASON_MAILBOX_EXISTS: _ClassVar[ErrorReason]
    ERROR_REASON_ALIAS_TAKEN: _ClassVar[ErrorReason]
    ERROR_REASON_QUOTA_EXCEEDED: _ClassVar[ErrorReason]
    ERROR_REASON_MESSAGE_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_USER_LIMIT: _ClassVar[ErrorReason]
    ERROR_REASON_METADATA_TOO_MANY: _ClassVar[ErrorReason]
    ERROR_REASON_METADATA_TOO_LARGE: _ClassVar[ErrorReason]
    ERROR_REASON_KEYWORD_LIMIT: _ClassVar[ErrorReason]
    ERROR_REASON_BLOB_MISSING: _ClassVar[ErrorReason]
    ERROR_REASON_DOMAIN_NOT_EMPTY: _ClassVar[ErrorReason]
    ERROR_REASON_INBOX_PROTECTED: _ClassVar[ErrorReason]
    ERROR_REASON_LEASE_LOST: _ClassVar[ErrorReason]
    ERROR_REASON_LEASE_EXPIRED: _ClassVar[ErrorReason]
    ERROR_REASON_BLOB_COLLECTING: _ClassVar[ErrorReason]
    ERROR_REASON_VERSION_CONFLICT: _ClassVar[ErrorReason]
    ERROR_REASON_BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
    ERROR_REASON_TIMEOUT: _ClassVar[ErrorReason]
    ERROR_REASON_UNIMPLEMENTED: _ClassVar[ErrorReason]
    ERROR_REASON_INTERNAL: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
ERROR_REASON_INVALID_ARGUMENT: ErrorReason
ERROR_REASON_NO_SUCH_USER: ErrorReason
ERROR_REASON_NO_SUCH_DOMAIN: ErrorReason
ERROR_REASON_NO_SUCH_MAILBOX: ErrorReason
ERROR_REASON_NO_SUCH_DESTINATION: ErrorReason
ERROR_REASON_MAILBOX_EXISTS: ErrorReason
ERROR_REASON_ALIAS_TAKEN: ErrorReason
ERROR_REASON_QUOTA_EXCEEDED: ErrorReason
ERROR_REASON_MESSAGE_TOO_LARGE: ErrorReason
ERROR_REASON_USER_LIMIT: ErrorReason
ERROR_REASON_METADATA_TOO_MANY: ErrorReason
ERROR_REASON_METADATA_TOO_LARGE: ErrorReason
ERROR_REASON_KEYWORD_LIMIT: ErrorReason
ERROR_REASON_BLOB_MISSING: ErrorReason
ERROR_REASON_DOMAIN_NOT_EMPTY: ErrorReason
ERROR_REASON_INBOX_PROTECTED: ErrorReason
ERROR_REASON_LEASE_LOST: ErrorReason
ERROR_REASON_LEASE_EXPIRED: ErrorReason
ERROR_REASON_BLOB_COLLECTING: ErrorReason
ERROR_REASON_VERSION_CONFLICT: ErrorReason
ERROR_REASON_BACKEND_UNAVAILABLE: ErrorReason
ERROR_REASON_TIMEOUT: ErrorReason
ERROR_REASON_UNIMPLEMENTED: ErrorReason
ERROR_REASON_INTERNAL: ErrorReason
