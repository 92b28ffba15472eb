"""Metadata failure reasons -> what a POP3 maildrop makes of them: the one table (invariant 10).

The session turns each kind into its reply: LOCK_LOST and UNAVAILABLE give
``-ERR [SYS/TEMP]``, EMPTY an empty maildrop. A reason not listed is UNAVAILABLE.
"""

from __future__ import annotations

import enum

from services.common import sasl
from services.gen.kubemail.v1 import errors_pb2 as er


class Kind(enum.Enum):
    EMPTY = "empty"  # no INBOX (yet): an empty maildrop
    LOCK_LOST = "lock_lost"  # the fencing token was rejected: nothing was deleted
    UNAVAILABLE = "unavailable"  # try again later; nothing was changed


KINDS: dict[int, Kind] = {
    er.ERROR_REASON_NO_SUCH_MAILBOX: Kind.EMPTY,
    er.ERROR_REASON_LEASE_LOST: Kind.LOCK_LOST,
}


def kind(reason: int) -> Kind:
    return KINDS.get(reason, Kind.UNAVAILABLE)


def sasl_reply(exc: sasl.SaslError) -> tuple[str, str | None]:
    """The -ERR text and response code for a failed SASL exchange (RFC 5034)."""
    if exc.kind is sasl.SaslFailure.CANCELLED:
        return "Authentication cancelled", None
    if exc.kind is sasl.SaslFailure.TOO_LONG:
        return "SASL response too long", None
    return f"Authentication failed: {exc}", "AUTH"
