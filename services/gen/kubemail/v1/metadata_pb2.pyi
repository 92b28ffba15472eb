from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Domain(_message.Message):
    __slots__ = ("name", "enabled", "catch_all", "aliases", "default_quota_bytes", "max_users", "max_message_bytes", "dkim_selector")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CATCH_ALL_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_QUOTA_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_USERS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DKIM_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    enabled: bool
    catch_all: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    default_quota_bytes: int
    max_users: int
    max_message_bytes: int
    dkim_selector: str
    def __init__(self, name: _Optional[str] = ..., enabled: _Optional[bool] = ..., catch_all: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., default_quota_bytes: _Optional[int] = ..., max_users: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., dkim_selector: _Optional[str] = ...) -> None: ...

class GetDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDomainsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDomainsResponse(_message.Message):
    __slots__ = ("domains",)
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    domains: _containers.RepeatedCompositeFieldContainer[Domain]
    def __init__(self, domains: _Optional[_Iterable[_Union[Domain, _Mapping]]] = ...) -> None: ...

class DeleteDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDomainResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "address", "display_name", "password_hash", "quota_bytes", "aliases", "forward_to", "enabled", "used_bytes", "has_password", "clear_password")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_HASH_FIELD_NUMBER: _ClassVar[int]
    QUOTA_BYTES_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    FORWARD_TO_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    HAS_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLEAR_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    id: str
    address: str
    display_name: str
    password_hash: str
    quota_bytes: int
    aliases: _containers.RepeatedScalarFieldContainer[str]
    forward_to: _containers.RepeatedScalarFieldContainer[str]
    enabled: bool
    used_bytes: int
    has_password: bool
    clear_password: bool
    def __init__(self, id: _Optional[str] = ..., address: _Optional[str] = ..., display_name: _Optional[str] = ..., password_hash: _Optional[str] = ..., quota_bytes: _Optional[int] = ..., aliases: _Optional[_Iterable[str]] = ..., forward_to: _Optional[_Iterable[str]] = ..., enabled: _Optional[bool] = ..., used_bytes: _Optional[int] = ..., has_password: _Optional[bool] = ..., clear_password: _Optional[bool] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("id", "address")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    address: str
    def __init__(self, id: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("domain",)
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    domain: str
    def __init__(self, domain: _Optional[str] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("address", "purge_mail")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PURGE_MAIL_FIELD_NUMBER: _ClassVar[int]
    address: str
    purge_mail: bool
    def __init__(self, address: _Optional[str] = ..., purge_mail: _Optional[bool] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ("messages_removed",)
    MESSAGES_REMOVED_FIELD_NUMBER: _ClassVar[int]
    messages_removed: int
    def __init__(self, messages_removed: _Optional[int] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("username", "password", "remote_ip", "service")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REMOTE_IP_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: bytes
    remote_ip: str
    service: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[bytes] = ..., remote_ip: _Optional[str] = ..., service: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("ok", "user", "reason")
    OK_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    user: User
    reason: str
    def __init__(self, ok: _Optional[bool] = ..., user: _Optional[_Union[User, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ResolveRecipientsRequest(_message.Message):
    __slots__ = ("addresses",)
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    addresses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, addresses: _Optional[_Iterable[str]] = ...) -> None: ...

class ResolveRecipientsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[Resolution]
    def __init__(self, results: _Optional[_Iterable[_Union[Resolution, _Mapping]]] = ...) -> None: ...

class Resolution(_message.Message):
    __slots__ = ("address", "status", "user_ids", "forward_to")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Resolution.Status]
        LOCAL: _ClassVar[Resolution.Status]
        UNKNOWN_USER: _ClassVar[Resolution.Status]
        NOT_LOCAL: _ClassVar[Resolution.Status]
        DISABLED: _ClassVar[Resolution.Status]
        INVALID: _ClassVar[Resolution.Status]
    STATUS_UNSPECIFIED: Resolution.Status
    LOCAL: Resolution.Status
    UNKNOWN_USER: Resolution.Status
    NOT_LOCAL: Resolution.Status
    DISABLED: Resolution.Status
    INVALID: Resolution.Status
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    FORWARD_TO_FIELD_NUMBER: _ClassVar[int]
    address: str
    status: Resolution.Status
    user_ids: _containers.RepeatedScalarFieldContainer[str]
    forward_to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, address: _Optional[str] = ..., status: _Optional[_Union[Resolution.Status, str]] = ..., user_ids: _Optional[_Iterable[str]] = ..., forward_to: _Optional[_Iterable[str]] = ...) -> None: ...

class Mailbox(_message.Message):
    __slots__ = ("id", "name", "uidvalidity", "uidnext", "highest_modseq", "messages", "unseen", "size_bytes", "special_use", "subscribed", "deleted", "recent", "keywords", "keywords_full")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UIDNEXT_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    UNSEEN_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_USE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FULL_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    uidvalidity: int
    uidnext: int
    highest_modseq: int
    messages: int
    unseen: int
    size_bytes: int
    special_use: str
    subscribed: bool
    deleted: int
    recent: int
    keywords: _containers.RepeatedScalarFieldContainer[str]
    keywords_full: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., uidvalidity: _Optional[int] = ..., uidnext: _Optional[int] = ..., highest_modseq: _Optional[int] = ..., messages: _Optional[int] = ..., unseen: _Optional[int] = ..., size_bytes: _Optional[int] = ..., special_use: _Optional[str] = ..., subscribed: _Optional[bool] = ..., deleted: _Optional[int] = ..., recent: _Optional[int] = ..., keywords: _Optional[_Iterable[str]] = ..., keywords_full: _Optional[bool] = ...) -> None: ...

class ListMailboxesRequest(_message.Message):
    __slots__ = ("user_id", "subscribed_only")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_ONLY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    subscribed_only: bool
    def __init__(self, user_id: _Optional[str] = ..., subscribed_only: _Optional[bool] = ...) -> None: ...

class ListMailboxesResponse(_message.Message):
    __slots__ = ("mailboxes", "subscribed_nonexistent")
    MAILBOXES_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_NONEXISTENT_FIELD_NUMBER: _ClassVar[int]
    mailboxes: _containers.RepeatedCompositeFieldContainer[Mailbox]
    subscribed_nonexistent: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mailboxes: _Optional[_Iterable[_Union[Mailbox, _Mapping]]] = ..., subscribed_nonexistent: _Optional[_Iterable[str]] = ...) -> None: ...

class GetMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name", "mailbox_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    mailbox_id: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., mailbox_id: _Optional[str] = ...) -> None: ...

class CreateMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name", "special_use")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_USE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    special_use: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., special_use: _Optional[str] = ...) -> None: ...

class DeleteMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteMailboxResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RenameMailboxRequest(_message.Message):
    __slots__ = ("user_id", "old_name", "new_name")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    old_name: str
    new_name: str
    def __init__(self, user_id: _Optional[str] = ..., old_name: _Optional[str] = ..., new_name: _Optional[str] = ...) -> None: ...

class SetSubscribedRequest(_message.Message):
    __slots__ = ("user_id", "name", "subscribed")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    subscribed: bool
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., subscribed: _Optional[bool] = ...) -> None: ...

class SetSubscribedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuotaRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Quota(_message.Message):
    __slots__ = ("used_bytes", "limit_bytes", "messages")
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    used_bytes: int
    limit_bytes: int
    messages: int
    def __init__(self, used_bytes: _Optional[int] = ..., limit_bytes: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class UidRange(_message.Message):
    __slots__ = ("lo", "hi")
    LO_FIELD_NUMBER: _ClassVar[int]
    HI_FIELD_NUMBER: _ClassVar[int]
    lo: int
    hi: int
    def __init__(self, lo: _Optional[int] = ..., hi: _Optional[int] = ...) -> None: ...

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
    summary: MessageSummary
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    internal_date: int
    idempotency_key: str
    def __init__(self, blob_id: _Optional[str] = ..., size: _Optional[int] = ..., summary: _Optional[_Union[MessageSummary, _Mapping]] = ..., deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., internal_date: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("user_id", "mailbox_id", "uidvalidity", "uid", "modseq")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uidvalidity: int
    uid: int
    modseq: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uidvalidity: _Optional[int] = ..., uid: _Optional[int] = ..., modseq: _Optional[int] = ...) -> None: ...

class AppendRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "blob_id", "size", "summary", "flags", "internal_date", "idempotency_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    blob_id: str
    size: int
    summary: MessageSummary
    flags: _containers.RepeatedScalarFieldContainer[str]
    internal_date: int
    idempotency_key: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., blob_id: _Optional[str] = ..., size: _Optional[int] = ..., summary: _Optional[_Union[MessageSummary, _Mapping]] = ..., flags: _Optional[_Iterable[str]] = ..., internal_date: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AppendResponse(_message.Message):
    __slots__ = ("mailbox_id", "uidvalidity", "uid", "modseq")
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    mailbox_id: str
    uidvalidity: int
    uid: int
    modseq: int
    def __init__(self, mailbox_id: _Optional[str] = ..., uidvalidity: _Optional[int] = ..., uid: _Optional[int] = ..., modseq: _Optional[int] = ...) -> None: ...

class FetchMessagesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "include_summary", "changed_since", "limit", "flags_only")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_SINCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FLAGS_ONLY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[UidRange]
    include_summary: bool
    changed_since: int
    limit: int
    flags_only: bool
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[UidRange, _Mapping]]] = ..., include_summary: _Optional[bool] = ..., changed_since: _Optional[int] = ..., limit: _Optional[int] = ..., flags_only: _Optional[bool] = ...) -> None: ...

class MessageMeta(_message.Message):
    __slots__ = ("uid", "modseq", "flags", "internal_date", "size", "blob_id", "summary")
    UID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_DATE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    uid: int
    modseq: int
    flags: _containers.RepeatedScalarFieldContainer[str]
    internal_date: int
    size: int
    blob_id: str
    summary: MessageSummary
    def __init__(self, uid: _Optional[int] = ..., modseq: _Optional[int] = ..., flags: _Optional[_Iterable[str]] = ..., internal_date: _Optional[int] = ..., size: _Optional[int] = ..., blob_id: _Optional[str] = ..., summary: _Optional[_Union[MessageSummary, _Mapping]] = ...) -> None: ...

class FetchMessagesResponse(_message.Message):
    __slots__ = ("messages", "next_uid")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_UID_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    next_uid: int
    def __init__(self, messages: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., next_uid: _Optional[int] = ...) -> None: ...

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
        REPLACE: _ClassVar[StoreFlagsRequest.Mode]
        ADD: _ClassVar[StoreFlagsRequest.Mode]
        REMOVE: _ClassVar[StoreFlagsRequest.Mode]
    MODE_UNSPECIFIED: StoreFlagsRequest.Mode
    REPLACE: StoreFlagsRequest.Mode
    ADD: StoreFlagsRequest.Mode
    REMOVE: StoreFlagsRequest.Mode
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_SINCE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[UidRange]
    mode: StoreFlagsRequest.Mode
    flags: _containers.RepeatedScalarFieldContainer[str]
    unchanged_since: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[UidRange, _Mapping]]] = ..., mode: _Optional[_Union[StoreFlagsRequest.Mode, str]] = ..., flags: _Optional[_Iterable[str]] = ..., unchanged_since: _Optional[int] = ...) -> None: ...

class StoreFlagsResponse(_message.Message):
    __slots__ = ("updated", "modified")
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    updated: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    modified: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, updated: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., modified: _Optional[_Iterable[int]] = ...) -> None: ...

class CopyMessagesRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "uids", "destination")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    uids: _containers.RepeatedCompositeFieldContainer[UidRange]
    destination: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[UidRange, _Mapping]]] = ..., destination: _Optional[str] = ...) -> None: ...

class CopyMessagesResponse(_message.Message):
    __slots__ = ("uidvalidity", "source_uids", "destination_uids")
    UIDVALIDITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_UIDS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_UIDS_FIELD_NUMBER: _ClassVar[int]
    uidvalidity: int
    source_uids: _containers.RepeatedScalarFieldContainer[int]
    destination_uids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, uidvalidity: _Optional[int] = ..., source_uids: _Optional[_Iterable[int]] = ..., destination_uids: _Optional[_Iterable[int]] = ...) -> None: ...

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
    uids: _containers.RepeatedCompositeFieldContainer[UidRange]
    only_deleted: bool
    fencing_token: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., uids: _Optional[_Iterable[_Union[UidRange, _Mapping]]] = ..., only_deleted: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...

class ExpungeResponse(_message.Message):
    __slots__ = ("expunged", "modseq")
    EXPUNGED_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    expunged: _containers.RepeatedScalarFieldContainer[int]
    modseq: int
    def __init__(self, expunged: _Optional[_Iterable[int]] = ..., modseq: _Optional[int] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    key: SearchKey
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., key: _Optional[_Union[SearchKey, _Mapping]] = ...) -> None: ...

class SearchKey(_message.Message):
    __slots__ = ("all", "flag", "no_flag", "uids", "larger", "smaller", "before", "on", "since", "sent_before", "sent_on", "sent_since", "header", "body", "text", "modseq", "recent")
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
    all: bool
    flag: str
    no_flag: str
    uids: UidSet
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
    def __init__(self, all: _Optional[bool] = ..., flag: _Optional[str] = ..., no_flag: _Optional[str] = ..., uids: _Optional[_Union[UidSet, _Mapping]] = ..., larger: _Optional[int] = ..., smaller: _Optional[int] = ..., before: _Optional[int] = ..., on: _Optional[int] = ..., since: _Optional[int] = ..., sent_before: _Optional[int] = ..., sent_on: _Optional[int] = ..., sent_since: _Optional[int] = ..., header: _Optional[_Union[HeaderMatch, _Mapping]] = ..., body: _Optional[str] = ..., text: _Optional[str] = ..., modseq: _Optional[int] = ..., recent: _Optional[bool] = ..., **kwargs) -> None: ...

class SearchKeys(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[SearchKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[SearchKey, _Mapping]]] = ...) -> None: ...

class UidSet(_message.Message):
    __slots__ = ("ranges",)
    RANGES_FIELD_NUMBER: _ClassVar[int]
    ranges: _containers.RepeatedCompositeFieldContainer[UidRange]
    def __init__(self, ranges: _Optional[_Iterable[_Union[UidRange, _Mapping]]] = ...) -> None: ...

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
    __slots__ = ("user_id", "mailbox_id", "since_modseq")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    since_modseq: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., since_modseq: _Optional[int] = ...) -> None: ...

class GetChangesResponse(_message.Message):
    __slots__ = ("changed", "expunged", "highest_modseq", "uidnext", "messages", "expunged_complete")
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    EXPUNGED_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_MODSEQ_FIELD_NUMBER: _ClassVar[int]
    UIDNEXT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    EXPUNGED_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    changed: _containers.RepeatedCompositeFieldContainer[MessageMeta]
    expunged: _containers.RepeatedScalarFieldContainer[int]
    highest_modseq: int
    uidnext: int
    messages: int
    expunged_complete: bool
    def __init__(self, changed: _Optional[_Iterable[_Union[MessageMeta, _Mapping]]] = ..., expunged: _Optional[_Iterable[int]] = ..., highest_modseq: _Optional[int] = ..., uidnext: _Optional[int] = ..., messages: _Optional[int] = ..., expunged_complete: _Optional[bool] = ...) -> None: ...

class ClaimRecentRequest(_message.Message):
    __slots__ = ("user_id", "mailbox_id", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox_id: str
    limit: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ClaimRecentResponse(_message.Message):
    __slots__ = ("uids",)
    UIDS_FIELD_NUMBER: _ClassVar[int]
    uids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, uids: _Optional[_Iterable[int]] = ...) -> None: ...

class QueueOutboundRequest(_message.Message):
    __slots__ = ("blob_id", "mail_from", "recipients", "submitted_by", "size", "idempotency_key")
    BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    MAIL_FROM_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    blob_id: str
    mail_from: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    submitted_by: str
    size: int
    idempotency_key: str
    def __init__(self, blob_id: _Optional[str] = ..., mail_from: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., submitted_by: _Optional[str] = ..., size: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class QueueOutboundResponse(_message.Message):
    __slots__ = ("queue_id",)
    QUEUE_ID_FIELD_NUMBER: _ClassVar[int]
    queue_id: str
    def __init__(self, queue_id: _Optional[str] = ...) -> None: ...

class MessageSummary(_message.Message):
    __slots__ = ("size", "header_size", "raw_header", "envelope", "body", "sent_date", "headers", "has_8bit")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    HEADER_SIZE_FIELD_NUMBER: _ClassVar[int]
    RAW_HEADER_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    SENT_DATE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    HAS_8BIT_FIELD_NUMBER: _ClassVar[int]
    size: int
    header_size: int
    raw_header: bytes
    envelope: Envelope
    body: BodyPart
    sent_date: int
    headers: _containers.RepeatedCompositeFieldContainer[HeaderField]
    has_8bit: bool
    def __init__(self, size: _Optional[int] = ..., header_size: _Optional[int] = ..., raw_header: _Optional[bytes] = ..., envelope: _Optional[_Union[Envelope, _Mapping]] = ..., body: _Optional[_Union[BodyPart, _Mapping]] = ..., sent_date: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[HeaderField, _Mapping]]] = ..., has_8bit: _Optional[bool] = ...) -> None: ...

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

class WatchRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ChangeEvent(_message.Message):
    __slots__ = ("kind", "user_id", "mailbox_id", "modseq")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[ChangeEvent.Kind]
        HELLO: _ClassVar[ChangeEvent.Kind]
        MESSAGES: _ClassVar[ChangeEvent.Kind]
        MAILBOXES: _ClassVar[ChangeEvent.Kind]
    KIND_UNSPECIFIED: ChangeEvent.Kind
    HELLO: ChangeEvent.Kind
    MESSAGES: ChangeEvent.Kind
    MAILBOXES: ChangeEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    MODSEQ_FIELD_NUMBER: _ClassVar[int]
    kind: ChangeEvent.Kind
    user_id: str
    mailbox_id: str
    modseq: int
    def __init__(self, kind: _Optional[_Union[ChangeEvent.Kind, str]] = ..., user_id: _Optional[str] = ..., mailbox_id: _Optional[str] = ..., modseq: _Optional[int] = ...) -> None: ...

class MaildropLockRequest(_message.Message):
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

class MaildropLockResponse(_message.Message):
    __slots__ = ("acquired", "fencing_token")
    ACQUIRED_FIELD_NUMBER: _ClassVar[int]
    FENCING_TOKEN_FIELD_NUMBER: _ClassVar[int]
    acquired: bool
    fencing_token: int
    def __init__(self, acquired: _Optional[bool] = ..., fencing_token: _Optional[int] = ...) -> None: ...

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
