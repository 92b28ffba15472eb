from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InboundAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INBOUND_ACTION_UNSPECIFIED: _ClassVar[InboundAction]
    INBOUND_ACTION_REJECT: _ClassVar[InboundAction]
    INBOUND_ACTION_JUNK: _ClassVar[InboundAction]
    INBOUND_ACTION_DELIVER: _ClassVar[InboundAction]
INBOUND_ACTION_UNSPECIFIED: InboundAction
INBOUND_ACTION_REJECT: InboundAction
INBOUND_ACTION_JUNK: InboundAction
INBOUND_ACTION_DELIVER: InboundAction

class Domain(_message.Message):
    __slots__ = ("name", "enabled", "catch_all", "aliases", "default_quota_bytes", "max_users", "max_message_bytes", "dkim_selector", "inbound")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CATCH_ALL_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_QUOTA_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_USERS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DKIM_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    INBOUND_FIELD_NUMBER: _ClassVar[int]
    name: str
    enabled: bool
    catch_all: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    default_quota_bytes: int
    max_users: int
    max_message_bytes: int
    dkim_selector: str
    inbound: InboundPolicy
    def __init__(self, name: _Optional[str] = ..., enabled: _Optional[bool] = ..., catch_all: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., default_quota_bytes: _Optional[int] = ..., max_users: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., dkim_selector: _Optional[str] = ..., inbound: _Optional[_Union[InboundPolicy, _Mapping]] = ...) -> None: ...

class InboundPolicy(_message.Message):
    __slots__ = ("dmarc_reject", "dmarc_quarantine", "local_spoof")
    DMARC_REJECT_FIELD_NUMBER: _ClassVar[int]
    DMARC_QUARANTINE_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SPOOF_FIELD_NUMBER: _ClassVar[int]
    dmarc_reject: InboundAction
    dmarc_quarantine: InboundAction
    local_spoof: InboundAction
    def __init__(self, dmarc_reject: _Optional[_Union[InboundAction, str]] = ..., dmarc_quarantine: _Optional[_Union[InboundAction, str]] = ..., local_spoof: _Optional[_Union[InboundAction, str]] = ...) -> None: ...

class UpsertDomainRequest(_message.Message):
    __slots__ = ("domain",)
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    domain: Domain
    def __init__(self, domain: _Optional[_Union[Domain, _Mapping]] = ...) -> None: ...

class UpsertDomainResponse(_message.Message):
    __slots__ = ("domain",)
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    domain: Domain
    def __init__(self, domain: _Optional[_Union[Domain, _Mapping]] = ...) -> None: ...

class GetDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDomainResponse(_message.Message):
    __slots__ = ("domain",)
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    domain: Domain
    def __init__(self, domain: _Optional[_Union[Domain, _Mapping]] = ...) -> None: ...

class ListDomainsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainsResponse(_message.Message):
    __slots__ = ("domains", "next_page_token")
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domains: _containers.RepeatedCompositeFieldContainer[Domain]
    next_page_token: str
    def __init__(self, domains: _Optional[_Iterable[_Union[Domain, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDomainResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "address", "display_name", "password_hash", "quota_bytes", "aliases", "forward_to", "enabled", "used_bytes", "has_password", "wipe_devices")
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
    WIPE_DEVICES_FIELD_NUMBER: _ClassVar[int]
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
    wipe_devices: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., address: _Optional[str] = ..., display_name: _Optional[str] = ..., password_hash: _Optional[str] = ..., quota_bytes: _Optional[int] = ..., aliases: _Optional[_Iterable[str]] = ..., forward_to: _Optional[_Iterable[str]] = ..., enabled: _Optional[bool] = ..., used_bytes: _Optional[int] = ..., has_password: _Optional[bool] = ..., wipe_devices: _Optional[_Iterable[str]] = ...) -> None: ...

class UpsertUserRequest(_message.Message):
    __slots__ = ("user", "clear_password")
    USER_FIELD_NUMBER: _ClassVar[int]
    CLEAR_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: User
    clear_password: bool
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., clear_password: _Optional[bool] = ...) -> None: ...

class UpsertUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("id", "address")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    id: str
    address: str
    def __init__(self, id: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("domain", "page_size", "page_token")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domain: str
    page_size: int
    page_token: str
    def __init__(self, domain: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users", "next_page_token")
    USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    next_page_token: str
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("address", "status", "user_ids", "forward_to", "inbound")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Resolution.Status]
        STATUS_LOCAL: _ClassVar[Resolution.Status]
        STATUS_UNKNOWN_USER: _ClassVar[Resolution.Status]
        STATUS_NOT_LOCAL: _ClassVar[Resolution.Status]
        STATUS_DISABLED: _ClassVar[Resolution.Status]
        STATUS_INVALID: _ClassVar[Resolution.Status]
    STATUS_UNSPECIFIED: Resolution.Status
    STATUS_LOCAL: Resolution.Status
    STATUS_UNKNOWN_USER: Resolution.Status
    STATUS_NOT_LOCAL: Resolution.Status
    STATUS_DISABLED: Resolution.Status
    STATUS_INVALID: Resolution.Status
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    FORWARD_TO_FIELD_NUMBER: _ClassVar[int]
    INBOUND_FIELD_NUMBER: _ClassVar[int]
    address: str
    status: Resolution.Status
    user_ids: _containers.RepeatedScalarFieldContainer[str]
    forward_to: _containers.RepeatedScalarFieldContainer[str]
    inbound: InboundPolicy
    def __init__(self, address: _Optional[str] = ..., status: _Optional[_Union[Resolution.Status, str]] = ..., user_ids: _Optional[_Iterable[str]] = ..., forward_to: _Optional[_Iterable[str]] = ..., inbound: _Optional[_Union[InboundPolicy, _Mapping]] = ...) -> None: ...
