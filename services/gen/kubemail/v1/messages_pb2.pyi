from services.gen.kubemail.v1 import mime_pb2 as _mime_pb2
from services.gen.kubemail.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MessageMeta(_message.Message):
    __slots__ = ("uid", "modseq", "flags", "internal_date", "size", "blob_id", "summary", "email_id", "thread_id", "save_date")
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SAVE_DATE_FIELD_NUMBER: _ClassVar[int]
    uid: int
    modseq: int
    flags: _containers.RepeatedScalarFieldContainer[str]
    internal_date: int
    size: int
    blob_id: str
    summary: _mime_pb2.MessageSummary
    email_id: str
    thread_id: str
    save_date: int
    def __init__(self, uid: _Optional[int] = ..., modseq: _Optional[int] = ..., flags: _Optional[_Iterable[str]] = ..., internal_date: _Optional[int] = ..., size: _Optional[int] = ..., blob_id: _Optional[str] = ..., summary: _Optional[_Union[_mime_pb2.MessageSummary, _Mapping]] = ..., email_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., save_date: _Optional[int] = ...) -> None: ...

class DeliverRequest(_message.Message):
    __slots__ = ("blob_id", "size", "summary", "deliveries", "internal_date", "idempotency_key")
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    size: int
    summary: _mime_pb2.MessageSummary
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    internal_date: int
    idempotency_key: str
    def __init__(self, blob_id: _Optional[str] = ..., size: _Optional[int] = ..., summary: _Optional[_Union[_mime_pb2.MessageSummary, _Mapping]] = ..., deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., internal_date: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("user_id", "mailbox", "flags")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    flags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., flags: _Optional[_Iterable[str]] = ...) -> None: ...

class DeliverResponse(_message.Message):
    __slots__ = ("delivered",)
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    delivered: _containers.RepeatedCompositeFieldContainer[Delivered]
    def __init__(self, delivered: _Optional[_Iterable[_Union[Delivered, _Mapping]]] = ...) -> None: ...

class Delivered(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uidvalidity", "uid", "modseq", "email_id", "thread_id", "prior_modseq")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    PRIOR_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uidvalidity: int
    uid: int
    modseq: int
    email_id: str
    thread_id: str
    prior_modseq: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uidvalidity: _Optional[int] = ..., uid: _Optional[int] = ..., modseq: _Optional[int] = ..., email_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., prior_modseq: _Optional[int] = ...) -> None: ...

class AppendRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "blob_id", "size", "summary", "flags", "internal_date", "idempotency_key", "claim_recent")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CLAIM_RECENT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    blob_id: str
    size: int
    summary: _mime_pb2.MessageSummary
    flags: _containers.RepeatedScalarFieldContainer[str]
    internal_date: int
    idempotency_key: str
    claim_recent: bool
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., blob_id: _Optional[str] = ..., size: _Optional[int] = ..., summary: _Optional[_Union[_mime_pb2.MessageSummary, _Mapping]] = ..., flags: _Optional[_Iterable[str]] = ..., internal_date: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., claim_recent: _Optional[bool] = ...) -> None: ...

class AppendResponse(_message.Message):
    __slots__ = ("mailbox_id", "uidvalidity", "uid", "modseq", "email_id", "thread_id", "prior_modseq")
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    PRIOR_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    mailbox_id: str
    uidvalidity: int
    uid: int
    modseq: int
    email_id: str
    thread_id: str
    prior_modseq: int
    def __init__(self, mailbox_id: _Optional[str] = ..., uidvalidity: _Optional[int] = ..., uid: _Optional[int] = ..., modseq: _Optional[int] = ..., email_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., prior_modseq: _Optional[int] = ...) -> None: ...

class AppendManyRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "items", "idempotency_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    items: _containers.RepeatedCompositeFieldContainer[AppendItem]
    idempotency_key: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., items: _Optional[_Iterable[_Union[AppendItem, _Mapping]]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AppendItem(_message.Message):
    __slots__ = ("blob_id", "size", "summary", "flags", "internal_date")
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    size: int
    summary: _mime_pb2.MessageSummary
    flags: _containers.RepeatedScalarFieldContainer[str]
    internal_date: int
    def __init__(self, blob_id: _Optional[str] = ..., size: _Optional[int] = ..., summary: _Optional[_Union[_mime_pb2.MessageSummary, _Mapping]] = ..., flags: _Optional[_Iterable[str]] = ..., internal_date: _Optional[int] = ...) -> None: ...

class AppendManyResponse(_message.Message):
    __slots__ = ("appended",)
    APPENDED_FIELD_NUMBER: _ClassVar[int]
    appended: _containers.RepeatedCompositeFieldContainer[AppendResponse]
    def __init__(self, appended: _Optional[_Iterable[_Union[AppendResponse, _Mapping]]] = ...) -> None: ...

class FetchMessagesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "include_summary", "changed_since", "limit", "flags_only", "columns")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FLAGS_ONLY_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[_types_pb2.UidRange]
    include_summary: bool
    changed_since: int
    limit: int
    flags_only: bool
    columns: bool
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[_types_pb2.UidRange, _Mapping]]] = ..., include_summary: _Optional[bool] = ..., changed_since: _Optional[int] = ..., limit: _Optional[int] = ..., flags_only: _Optional[bool] = ..., columns: _Optional[bool] = ...) -> None: ...

class FetchMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_uid", "columns")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_UID_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    next_uid: int
    columns: FlagColumns
    def __init__(self, messages: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., next_uid: _Optional[int] = ..., columns: _Optional[_Union[FlagColumns, _Mapping]] = ...) -> None: ...

class FlagColumns(_message.Message):
    __slots__ = ("uids", "modseqs", "flag_set", "sets")
    UIDS_FIELD_NUMBER: _ClassVar[int]
    MODSEQS_FIELD_NUMBER: _ClassVar[int]
    FLAG_SET_FIELD_NUMBER: _ClassVar[int]
    SETS_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[int]
    modseqs: _containers.RepeatedScalarFieldContainer[int]
    flag_set: _containers.RepeatedScalarFieldContainer[int]
    sets: _containers.RepeatedCompositeFieldContainer[FlagSet]
    def __init__(self, uids: _Optional[_Iterable[int]] = ..., modseqs: _Optional[_Iterable[int]] = ..., flag_set: _Optional[_Iterable[int]] = ..., sets: _Optional[_Iterable[_Union[FlagSet, _Mapping]]] = ...) -> None: ...

class FlagSet(_message.Message):
    __slots__ = ("flags",)
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    flags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, flags: _Optional[_Iterable[str]] = ...) -> None: ...

class ListUidsRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ...) -> None: ...

class ListUidsResponse(_message.Message):
    __slots__ = ("uids", "uidvalidity", "uidnext", "highest_modseq", "first_unseen")
    UIDS_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UIDNEXT_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNSEEN_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[int]
    uidvalidity: int
    uidnext: int
    highest_modseq: int
    first_unseen: int
    def __init__(self, uids: _Optional[_Iterable[int]] = ..., uidvalidity: _Optional[int] = ..., uidnext: _Optional[int] = ..., highest_modseq: _Optional[int] = ..., first_unseen: _Optional[int] = ...) -> None: ...

class StoreFlagsRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "mode", "flags", "unchanged_since")
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[StoreFlagsRequest.Mode]
        MODE_REPLACE: _ClassVar[StoreFlagsRequest.Mode]
        MODE_ADD: _ClassVar[StoreFlagsRequest.Mode]
        MODE_REMOVE: _ClassVar[StoreFlagsRequest.Mode]
    MODE_UNSPECIFIED: StoreFlagsRequest.Mode
    MODE_REPLACE: StoreFlagsRequest.Mode
    MODE_ADD: StoreFlagsRequest.Mode
    MODE_REMOVE: StoreFlagsRequest.Mode
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_SINCE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[_types_pb2.UidRange]
    mode: StoreFlagsRequest.Mode
    flags: _containers.RepeatedScalarFieldContainer[str]
    unchanged_since: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[_types_pb2.UidRange, _Mapping]]] = ..., mode: _Optional[_Union[StoreFlagsRequest.Mode, str]] = ..., flags: _Optional[_Iterable[str]] = ..., unchanged_since: _Optional[int] = ...) -> None: ...

class StoreFlagsResponse(_message.Message):
    __slots__ = ("updated", "modified", "modseq", "prior_modseq")
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    PRIOR_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    updated: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    modified: _containers.RepeatedScalarFieldContainer[int]
    modseq: int
    prior_modseq: int
    def __init__(self, updated: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., modified: _Optional[_Iterable[int]] = ..., modseq: _Optional[int] = ..., prior_modseq: _Optional[int] = ...) -> None: ...

class CopyMessagesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "destination", "idempotency_key", "destination_user_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[_types_pb2.UidRange]
    destination: str
    idempotency_key: str
    destination_user_id: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[_types_pb2.UidRange, _Mapping]]] = ..., destination: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., destination_user_id: _Optional[str] = ...) -> None: ...

class CopyMessagesResponse(_message.Message):
    __slots__ = ("uidvalidity", "source_uids", "destination_uids")
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_UIDS_FIELD_NUMBER: _ClassVar[int]
    uidvalidity: int
    source_uids: _containers.RepeatedScalarFieldContainer[int]
    destination_uids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, uidvalidity: _Optional[int] = ..., source_uids: _Optional[_Iterable[int]] = ..., destination_uids: _Optional[_Iterable[int]] = ...) -> None: ...

class MoveMessagesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "destination", "idempotency_key", "destination_user_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[_types_pb2.UidRange]
    destination: str
    idempotency_key: str
    destination_user_id: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[_types_pb2.UidRange, _Mapping]]] = ..., destination: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., destination_user_id: _Optional[str] = ...) -> None: ...

class MoveMessagesResponse(_message.Message):
    __slots__ = ("uidvalidity", "source_uids", "destination_uids", "modseq")
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_UIDS_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    uidvalidity: int
    source_uids: _containers.RepeatedScalarFieldContainer[int]
    destination_uids: _containers.RepeatedScalarFieldContainer[int]
    modseq: int
    def __init__(self, uidvalidity: _Optional[int] = ..., source_uids: _Optional[_Iterable[int]] = ..., destination_uids: _Optional[_Iterable[int]] = ..., modseq: _Optional[int] = ...) -> None: ...

class ExpungeRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "only_deleted", "fencing_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    ONLY_DELETED_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[_types_pb2.UidRange]
    only_deleted: bool
    fencing_token: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[_types_pb2.UidRange, _Mapping]]] = ..., only_deleted: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class ExpungeResponse(_message.Message):
    __slots__ = ("expunged", "modseq", "prior_modseq")
    EXPUNGED_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    PRIOR_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    expunged: _containers.RepeatedScalarFieldContainer[int]
    modseq: int
    prior_modseq: int
    def __init__(self, expunged: _Optional[_Iterable[int]] = ..., modseq: _Optional[int] = ..., prior_modseq: _Optional[int] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "key", "skip_highest_modseq")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SKIP_HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    key: SearchKey
    skip_highest_modseq: bool
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., key: _Optional[_Union[SearchKey, _Mapping]] = ..., skip_highest_modseq: _Optional[bool] = ...) -> None: ...

class SearchKey(_message.Message):
    __slots__ = ("all", "flag", "no_flag", "uids", "larger", "smaller", "before", "on", "since", "sent_before", "sent_on", "sent_since", "header", "body", "text", "modseq", "recent", "internal_date_before", "internal_date_since", "email_id", "thread_id", "saved_before", "saved_on", "saved_since")
    ALL_FIELD_NUMBER: _ClassVar[int]
    AND_FIELD_NUMBER: _ClassVar[int]
    OR_FIELD_NUMBER: _ClassVar[int]
    NOT_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    NO_FLAG_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    LARGER_FIELD_NUMBER: _ClassVar[int]
    SMALLER_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    SENT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SENT_ON_FIELD_NUMBER: _ClassVar[int]
    SENT_SINCE_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_SINCE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    SAVED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    SAVED_ON_FIELD_NUMBER: _ClassVar[int]
    SAVED_SINCE_FIELD_NUMBER: _ClassVar[int]
    all: bool
    flag: str
    no_flag: str
    uids: _types_pb2.UidSet
    larger: int
    smaller: int
    before: int
    on: int
    since: int
    sent_before: int
    sent_on: int
    sent_since: int
    header: HeaderMatch
    body: str
    text: str
    modseq: int
    recent: bool
    internal_date_before: int
    internal_date_since: int
    email_id: str
    thread_id: str
    saved_before: int
    saved_on: int
    saved_since: int
    def __init__(self, all: _Optional[bool] = ..., flag: _Optional[str] = ..., no_flag: _Optional[str] = ..., uids: _Optional[_Union[_types_pb2.UidSet, _Mapping]] = ..., larger: _Optional[int] = ..., smaller: _Optional[int] = ..., before: _Optional[int] = ..., on: _Optional[int] = ..., since: _Optional[int] = ..., sent_before: _Optional[int] = ..., sent_on: _Optional[int] = ..., sent_since: _Optional[int] = ..., header: _Optional[_Union[HeaderMatch, _Mapping]] = ..., body: _Optional[str] = ..., text: _Optional[str] = ..., modseq: _Optional[int] = ..., recent: _Optional[bool] = ..., internal_date_before: _Optional[int] = ..., internal_date_since: _Optional[int] = ..., email_id: _Optional[str] = ..., thread_id: _Optional[str] = ..., saved_before: _Optional[int] = ..., saved_on: _Optional[int] = ..., saved_since: _Optional[int] = ..., **kwargs) -> None: ...

class SearchKeys(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SearchKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[SearchKey, _Mapping]]] = ...) -> None: ...

class HeaderMatch(_message.Message):
    __slots__ = ("field", "value")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    value: str
    def __init__(self, field: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("uids", "highest_modseq")
    UIDS_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[int]
    highest_modseq: int
    def __init__(self, uids: _Optional[_Iterable[int]] = ..., highest_modseq: _Optional[int] = ...) -> None: ...

class GetChangesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "since_modseq", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    since_modseq: int
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., since_modseq: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetChangesResponse(_message.Message):
    __slots__ = ("changed", "expunged", "highest_modseq", "uidnext", "messages", "expunged_complete", "next_page_token")
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    EXPUNGED_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    UIDNEXT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    EXPUNGED_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changed: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    expunged: _containers.RepeatedScalarFieldContainer[int]
    highest_modseq: int
    uidnext: int
    messages: int
    expunged_complete: bool
    next_page_token: str
    def __init__(self, changed: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., expunged: _Optional[_Iterable[int]] = ..., highest_modseq: _Optional[int] = ..., uidnext: _Optional[int] = ..., messages: _Optional[int] = ..., expunged_complete: _Optional[bool] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ClaimRecentRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "limit", "below_uid")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BELOW_UID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    limit: int
    below_uid: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., limit: _Optional[int] = ..., below_uid: _Optional[int] = ...) -> None: ...

class ClaimRecentResponse(_message.Message):
    __slots__ = ("uids",)
    UIDS_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, uids: _Optional[_Iterable[int]] = ...) -> None: ...
