from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecipientState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECIPIENT_STATE_UNSPECIFIED: _ClassVar[RecipientState]
    RECIPIENT_STATE_PENDING: _ClassVar[RecipientState]
    RECIPIENT_STATE_DEFERRED: _ClassVar[RecipientState]
    RECIPIENT_STATE_DELIVERED: _ClassVar[RecipientState]
    RECIPIENT_STATE_FAILED: _ClassVar[RecipientState]
RECIPIENT_STATE_UNSPECIFIED: RecipientState
RECIPIENT_STATE_PENDING: RecipientState
RECIPIENT_STATE_DEFERRED: RecipientState
RECIPIENT_STATE_DELIVERED: RecipientState
RECIPIENT_STATE_FAILED: RecipientState

class RecipientDsn(_message.Message):
    __slots__ = ("notify", "orcpt")
    NOTIFY_FIELD_NUMBER: _ClassVar[int]
    ORCPT_FIELD_NUMBER: _ClassVar[int]
    notify: _containers.RepeatedScalarFieldContainer[str]
    orcpt: str
    def __init__(self, notify: _Optional[_Iterable[str]] = ..., orcpt: _Optional[str] = ...) -> None: ...

class EnvelopeDsn(_message.Message):
    __slots__ = ("ret", "envid")
    class Ret(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        RET_UNSPECIFIED: _ClassVar[EnvelopeDsn.Ret]
        RET_FULL: _ClassVar[EnvelopeDsn.Ret]
        RET_HDRS: _ClassVar[EnvelopeDsn.Ret]
    RET_UNSPECIFIED: EnvelopeDsn.Ret
    RET_FULL: EnvelopeDsn.Ret
    RET_HDRS: EnvelopeDsn.Ret
    RET_FIELD_NUMBER: _ClassVar[int]
    ENVID_FIELD_NUMBER: _ClassVar[int]
    ret: EnvelopeDsn.Ret
    envid: str
    def __init__(self, ret: _Optional[_Union[EnvelopeDsn.Ret, str]] = ..., envid: _Optional[str] = ...) -> None: ...

class QueueRecipient(_message.Message):
    __slots__ = ("address", "dsn")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DSN_FIELD_NUMBER: _ClassVar[int]
    address: str
    dsn: RecipientDsn
    def __init__(self, address: _Optional[str] = ..., dsn: _Optional[_Union[RecipientDsn, _Mapping]] = ...) -> None: ...

class QueueRequest(_message.Message):
    __slots__ = ("blob_id", "mail_from", "recipients", "submitted_by", "size", "idempotency_key", "dsn_recipients", "dsn")
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    MAIL_FROM_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    DSN_RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    DSN_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    mail_from: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    submitted_by: str
    size: int
    idempotency_key: str
    dsn_recipients: _containers.RepeatedCompositeFieldContainer[QueueRecipient]
    dsn: EnvelopeDsn
    def __init__(self, blob_id: _Optional[str] = ..., mail_from: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., submitted_by: _Optional[str] = ..., size: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., dsn_recipients: _Optional[_Iterable[_Union[QueueRecipient, _Mapping]]] = ..., dsn: _Optional[_Union[EnvelopeDsn, _Mapping]] = ...) -> None: ...

class QueueResponse(_message.Message):
    __slots__ = ("queue_id",)
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    def __init__(self, queue_id: _Optional[str] = ...) -> None: ...

class OutboundRecipient(_message.Message):
    __slots__ = ("address", "state", "attempts", "last_reply", "dsn")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_REPLY_FIELD_NUMBER: _ClassVar[int]
    DSN_FIELD_NUMBER: _ClassVar[int]
    address: str
    state: RecipientState
    attempts: int
    last_reply: str
    dsn: RecipientDsn
    def __init__(self, address: _Optional[str] = ..., state: _Optional[_Union[RecipientState, str]] = ..., attempts: _Optional[int] = ..., last_reply: _Optional[str] = ..., dsn: _Optional[_Union[RecipientDsn, _Mapping]] = ...) -> None: ...

class OutboundEntry(_message.Message):
    __slots__ = ("queue_id", "mail_from", "recipients", "blob_id", "size", "dsn", "submitted_by", "queued_at", "attempt", "lease_token", "lease_expires_at", "last_error")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    MAIL_FROM_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DSN_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LEASE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    mail_from: str
    recipients: _containers.RepeatedCompositeFieldContainer[OutboundRecipient]
    blob_id: str
    size: int
    dsn: EnvelopeDsn
    submitted_by: str
    queued_at: int
    attempt: int
    lease_token: str
    lease_expires_at: int
    last_error: str
    def __init__(self, queue_id: _Optional[str] = ..., mail_from: _Optional[str] = ..., recipients: _Optional[_Iterable[_Union[OutboundRecipient, _Mapping]]] = ..., blob_id: _Optional[str] = ..., size: _Optional[int] = ..., dsn: _Optional[_Union[EnvelopeDsn, _Mapping]] = ..., submitted_by: _Optional[str] = ..., queued_at: _Optional[int] = ..., attempt: _Optional[int] = ..., lease_token: _Optional[str] = ..., lease_expires_at: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class LeaseRequest(_message.Message):
    __slots__ = ("holder", "max_entries", "lease_seconds")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    MAX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    holder: str
    max_entries: int
    lease_seconds: int
    def __init__(self, holder: _Optional[str] = ..., max_entries: _Optional[int] = ..., lease_seconds: _Optional[int] = ...) -> None: ...

class LeaseResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[OutboundEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[OutboundEntry, _Mapping]]] = ...) -> None: ...

class RecipientOutcome(_message.Message):
    __slots__ = ("address", "outcome", "remote_reply")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[RecipientOutcome.Outcome]
        OUTCOME_DELIVERED: _ClassVar[RecipientOutcome.Outcome]
        OUTCOME_FAILED: _ClassVar[RecipientOutcome.Outcome]
    OUTCOME_UNSPECIFIED: RecipientOutcome.Outcome
    OUTCOME_DELIVERED: RecipientOutcome.Outcome
    OUTCOME_FAILED: RecipientOutcome.Outcome
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REMOTE_REPLY_FIELD_NUMBER: _ClassVar[int]
    address: str
    outcome: RecipientOutcome.Outcome
    remote_reply: str
    def __init__(self, address: _Optional[str] = ..., outcome: _Optional[_Union[RecipientOutcome.Outcome, str]] = ..., remote_reply: _Optional[str] = ...) -> None: ...

class CompleteRequest(_message.Message):
    __slots__ = ("queue_id", "lease_token", "outcomes")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    lease_token: str
    outcomes: _containers.RepeatedCompositeFieldContainer[RecipientOutcome]
    def __init__(self, queue_id: _Optional[str] = ..., lease_token: _Optional[str] = ..., outcomes: _Optional[_Iterable[_Union[RecipientOutcome, _Mapping]]] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("finished",)
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    finished: bool
    def __init__(self, finished: _Optional[bool] = ...) -> None: ...

class DeferRequest(_message.Message):
    __slots__ = ("queue_id", "lease_token", "recipients", "next_attempt_at", "last_error")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    lease_token: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    next_attempt_at: int
    last_error: str
    def __init__(self, queue_id: _Optional[str] = ..., lease_token: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., next_attempt_at: _Optional[int] = ..., last_error: _Optional[str] = ...) -> None: ...

class DeferResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BounceRequest(_message.Message):
    __slots__ = ("queue_id", "lease_token", "recipients", "reason")
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    lease_token: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, queue_id: _Optional[str] = ..., lease_token: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class BounceResponse(_message.Message):
    __slots__ = ("finished", "entry")
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    finished: bool
    entry: OutboundEntry
    def __init__(self, finished: _Optional[bool] = ..., entry: _Optional[_Union[OutboundEntry, _Mapping]] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("depth", "due", "oldest_queued_at", "oldest_age_seconds")
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    OLDEST_QUEUED_AT_FIELD_NUMBER: _ClassVar[int]
    OLDEST_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    depth: int
    due: int
    oldest_queued_at: int
    oldest_age_seconds: int
    def __init__(self, depth: _Optional[int] = ..., due: _Optional[int] = ..., oldest_queued_at: _Optional[int] = ..., oldest_age_seconds: _Optional[int] = ...) -> None: ...
