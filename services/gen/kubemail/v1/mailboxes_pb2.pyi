from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MetadataEntry(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: bytes
    def __init__(self, name: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

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

class SelectMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name", "claim_recent")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLAIM_RECENT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    claim_recent: bool
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., claim_recent: _Optional[bool] = ...) -> None: ...

class SelectMailboxResponse(_message.Message):
    __slots__ = ("mailbox", "uids", "first_unseen", "recent")
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    UIDS_FIELD_NUMBER: _ClassVar[int]
    FIRST_UNSEEN_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    mailbox: Mailbox
    uids: _containers.RepeatedScalarFieldContainer[int]
    first_unseen: int
    recent: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, mailbox: _Optional[_Union[Mailbox, _Mapping]] = ..., uids: _Optional[_Iterable[int]] = ..., first_unseen: _Optional[int] = ..., recent: _Optional[_Iterable[int]] = ...) -> None: ...

class ListMailboxesRequest(_message.Message):
    __slots__ = ("user_id", "subscribed_only", "page_size", "page_token", "include_shared")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SHARED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    subscribed_only: bool
    page_size: int
    page_token: str
    include_shared: bool
    def __init__(self, user_id: _Optional[str] = ..., subscribed_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_shared: _Optional[bool] = ...) -> None: ...

class ListMailboxesResponse(_message.Message):
    __slots__ = ("mailboxes", "subscribed_nonexistent", "next_page_token", "shared")
    MAILBOXES_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_NONEXISTENT_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    mailboxes: _containers.RepeatedCompositeFieldContainer[Mailbox]
    subscribed_nonexistent: _containers.RepeatedScalarFieldContainer[str]
    next_page_token: str
    shared: _containers.RepeatedCompositeFieldContainer[SharedMailbox]
    def __init__(self, mailboxes: _Optional[_Iterable[_Union[Mailbox, _Mapping]]] = ..., subscribed_nonexistent: _Optional[_Iterable[str]] = ..., next_page_token: _Optional[str] = ..., shared: _Optional[_Iterable[_Union[SharedMailbox, _Mapping]]] = ...) -> None: ...

class GetMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name", "mailbox_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    mailbox_id: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., mailbox_id: _Optional[str] = ...) -> None: ...

class GetMailboxResponse(_message.Message):
    __slots__ = ("mailbox",)
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    mailbox: Mailbox
    def __init__(self, mailbox: _Optional[_Union[Mailbox, _Mapping]] = ...) -> None: ...

class CreateMailboxRequest(_message.Message):
    __slots__ = ("user_id", "name", "special_use")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_USE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    name: str
    special_use: str
    def __init__(self, user_id: _Optional[str] = ..., name: _Optional[str] = ..., special_use: _Optional[str] = ...) -> None: ...

class CreateMailboxResponse(_message.Message):
    __slots__ = ("mailbox",)
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    mailbox: Mailbox
    def __init__(self, mailbox: _Optional[_Union[Mailbox, _Mapping]] = ...) -> None: ...

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

class RenameMailboxResponse(_message.Message):
    __slots__ = ("mailbox",)
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    mailbox: Mailbox
    def __init__(self, mailbox: _Optional[_Union[Mailbox, _Mapping]] = ...) -> None: ...

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

class GetQuotaResponse(_message.Message):
    __slots__ = ("used_bytes", "limit_bytes", "messages")
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    used_bytes: int
    limit_bytes: int
    messages: int
    def __init__(self, used_bytes: _Optional[int] = ..., limit_bytes: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class GetMetadataRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "entries", "depth", "max_size")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    entries: _containers.RepeatedScalarFieldContainer[str]
    depth: int
    max_size: int
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., entries: _Optional[_Iterable[str]] = ..., depth: _Optional[int] = ..., max_size: _Optional[int] = ...) -> None: ...

class GetMetadataResponse(_message.Message):
    __slots__ = ("entries", "longest_skipped", "skipped")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    LONGEST_SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[MetadataEntry]
    longest_skipped: int
    skipped: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entries: _Optional[_Iterable[_Union[MetadataEntry, _Mapping]]] = ..., longest_skipped: _Optional[int] = ..., skipped: _Optional[_Iterable[str]] = ...) -> None: ...

class SetMetadataRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "entries")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    entries: _containers.RepeatedCompositeFieldContainer[MetadataEntry]
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[MetadataEntry, _Mapping]]] = ...) -> None: ...

class SetMetadataResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AclEntry(_message.Message):
    __slots__ = ("identifier", "rights")
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    RIGHTS_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    rights: str
    def __init__(self, identifier: _Optional[str] = ..., rights: _Optional[str] = ...) -> None: ...

class SetAclRequest(_message.Message):
    __slots__ = ("user_id", "mailbox", "identifier", "rights", "mode")
    class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MODE_UNSPECIFIED: _ClassVar[SetAclRequest.Mode]
        MODE_REPLACE: _ClassVar[SetAclRequest.Mode]
        MODE_ADD: _ClassVar[SetAclRequest.Mode]
        MODE_REMOVE: _ClassVar[SetAclRequest.Mode]
    MODE_UNSPECIFIED: SetAclRequest.Mode
    MODE_REPLACE: SetAclRequest.Mode
    MODE_ADD: SetAclRequest.Mode
    MODE_REMOVE: SetAclRequest.Mode
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    RIGHTS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    identifier: str
    rights: str
    mode: SetAclRequest.Mode
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ..., identifier: _Optional[str] = ..., rights: _Optional[str] = ..., mode: _Optional[_Union[SetAclRequest.Mode, str]] = ...) -> None: ...

class SetAclResponse(_message.Message):
    __slots__ = ("rights",)
    RIGHTS_FIELD_NUMBER: _ClassVar[int]
    rights: str
    def __init__(self, rights: _Optional[str] = ...) -> None: ...

class GetAclRequest(_message.Message):
    __slots__ = ("user_id", "mailbox")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ...) -> None: ...

class GetAclResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AclEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[AclEntry, _Mapping]]] = ...) -> None: ...

class MyRightsRequest(_message.Message):
    __slots__ = ("user_id", "mailbox")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    mailbox: str
    def __init__(self, user_id: _Optional[str] = ..., mailbox: _Optional[str] = ...) -> None: ...

class MyRightsResponse(_message.Message):
    __slots__ = ("rights",)
    RIGHTS_FIELD_NUMBER: _ClassVar[int]
    rights: str
    def __init__(self, rights: _Optional[str] = ...) -> None: ...

class ListSharedRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class SharedMailbox(_message.Message):
    __slots__ = ("owner_id", "owner_address", "rights", "mailbox")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RIGHTS_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    owner_address: str
    rights: str
    mailbox: Mailbox
    def __init__(self, owner_id: _Optional[str] = ..., owner_address: _Optional[str] = ..., rights: _Optional[str] = ..., mailbox: _Optional[_Union[Mailbox, _Mapping]] = ...) -> None: ...

class ListSharedResponse(_message.Message):
    __slots__ = ("mailboxes",)
    MAILBOXES_FIELD_NUMBER: _ClassVar[int]
    mailboxes: _containers.RepeatedCompositeFieldContainer[SharedMailbox]
    def __init__(self, mailboxes: _Optional[_Iterable[_Union[SharedMailbox, _Mapping]]] = ...) -> None: ...
