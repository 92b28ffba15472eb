"""Mail-store failures -> SMTP replies at end of DATA: the one table (invariant 10).

Keyed by the failure's type (services.common.mailstore.errors; the most specific listed type
wins). A failure not listed is temporary for SMTP (451): the client retries. After a 451 for a
timeout (TimedOut) the commit may in fact have happened; the client's retry is a new
transaction and may then be stored a second time (decision 0010, RFC 5321 6.1).
"""

from __future__ import annotations

from typing import NamedTuple

from services.common.mailstore import (
    BlobUnavailable,
    MailStoreError,
    MessageTooLarge,
    ParseFailed,
    QuotaExceeded,
    StorageFull,
)


class Reply(NamedTuple):
    one: str  # the reply when the message has one recipient
    many: str  # with several: a 4xx, so the others are not refused for one full mailbox
    label: str  # DeliveryError.reason (metrics and logs)


_STORING = "451 4.3.0 Temporary failure storing the message, try again later"
_PARSING = "451 4.3.0 Temporary failure parsing the message"
_FULL = "452 4.3.1 Insufficient system storage, try again later"  # RFC 3463: mail system full

DELIVERY: dict[type[MailStoreError], Reply] = {
    MessageTooLarge: Reply(
        "552 5.3.4 Message too big for a recipient", "552 5.3.4 Message too big for a recipient", "size"
    ),
    QuotaExceeded: Reply("552 5.2.2 Mailbox full", "452 4.2.2 Mailbox full for a recipient", "quota"),
    BlobUnavailable: Reply(_STORING, _STORING, "blob"),
    StorageFull: Reply(_FULL, _FULL, "storage_full"),
    ParseFailed: Reply(_PARSING, _PARSING, "parse"),
}
TEMPORARY = Reply(_STORING, _STORING, "unavailable")


def delivery_reply(exc: MailStoreError, recipients: int) -> tuple[str, str]:
    """(SMTP reply, label) for a failed delivery."""
    r = next((DELIVERY[t] for t in type(exc).__mro__ if t in DELIVERY), TEMPORARY)
    return (r.one if recipients == 1 else r.many), r.label
