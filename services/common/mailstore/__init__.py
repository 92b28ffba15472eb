"""The typed mail-store client every front-end uses (services.common.mailstore.client) and
its failures (services.common.mailstore.errors)."""

from services.common.mailstore.client import Ingested, MailStore, new_key
from services.common.mailstore.errors import (
    BY_REASON,
    BlobMissing,
    BlobUnavailable,
    InvalidArgument,
    KeywordLimit,
    MailStoreError,
    MessageTooLarge,
    NoSuchDestination,
    NoSuchMailbox,
    NoSuchUser,
    ParseFailed,
    QuotaExceeded,
    StorageFull,
    TimedOut,
    Unavailable,
    from_rpc,
)

__all__ = [
    "BY_REASON",
    "BlobMissing",
    "BlobUnavailable",
    "Ingested",
    "InvalidArgument",
    "KeywordLimit",
    "MailStore",
    "MailStoreError",
    "MessageTooLarge",
    "NoSuchDestination",
    "NoSuchMailbox",
    "NoSuchUser",
    "ParseFailed",
    "QuotaExceeded",
    "StorageFull",
    "TimedOut",
    "Unavailable",
    "from_rpc",
    "new_key",
]
