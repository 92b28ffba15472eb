"""Metadata failure reasons and SASL failure kinds -> IMAP tagged replies: the one table
(invariant 10). Sessions never read an error's text; they look its reason up here.

A reply's text None means "the service's message" (prose, shown to the user, never parsed).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from services.common.mailstore import BlobUnavailable, MailStoreError, ParseFailed
from services.common.metaentries import MAX_VALUE
from services.common.sasl import SaslFailure
from services.gen.kubemail.v1 import errors_pb2 as er

log = logging.getLogger("kubemail.imap")


class Reply(NamedTuple):
    status: str  # NO or BAD
    text: str | None  # None: the service's message
    code: str | None = None  # the response code (RFC 5530 and friends)


_NONEXISTENT = Reply("NO", "Mailbox does not exist", "NONEXISTENT")
_EXISTS = Reply("NO", "Mailbox already exists", "ALREADYEXISTS")
_OVERQUOTA = Reply("NO", "Quota exceeded", "OVERQUOTA")
_TRYCREATE = Reply("NO", "Mailbox does not exist", "TRYCREATE")
UNAVAILABLE = Reply("NO", "Server temporarily unavailable", "UNAVAILABLE")

REPLIES: dict[int, Reply] = {
    er.ERROR_REASON_NO_SUCH_MAILBOX: _NONEXISTENT,
    er.ERROR_REASON_NO_SUCH_USER: _NONEXISTENT,
    er.ERROR_REASON_NO_SUCH_DOMAIN: _NONEXISTENT,
    er.ERROR_REASON_NO_SUCH_DESTINATION: Reply("NO", "Destination mailbox does not exist", "TRYCREATE"),
    er.ERROR_REASON_MAILBOX_EXISTS: _EXISTS,
    er.ERROR_REASON_ALIAS_TAKEN: _EXISTS,
    er.ERROR_REASON_QUOTA_EXCEEDED: _OVERQUOTA,
    er.ERROR_REASON_USER_LIMIT: _OVERQUOTA,
    er.ERROR_REASON_METADATA_TOO_MANY: Reply("NO", "Too many metadata entries", "METADATA TOOMANY"),
    er.ERROR_REASON_METADATA_TOO_LARGE: Reply("NO", "Metadata value too long", f"METADATA MAXSIZE {MAX_VALUE}"),
    er.ERROR_REASON_MESSAGE_TOO_LARGE: Reply("NO", "Message too big", "TOOBIG"),
    er.ERROR_REASON_INVALID_ARGUMENT: Reply("NO", None, "CANNOT"),
    er.ERROR_REASON_PERMISSION_DENIED: Reply("NO", "Permission denied", "NOPERM"),
    er.ERROR_REASON_KEYWORD_LIMIT: Reply("NO", None, "LIMIT"),
    er.ERROR_REASON_INBOX_PROTECTED: Reply("NO", None),
    er.ERROR_REASON_BLOB_MISSING: Reply("NO", None),
    er.ERROR_REASON_DOMAIN_NOT_EMPTY: Reply("NO", None),
    er.ERROR_REASON_LEASE_LOST: Reply("NO", None),
}

# per command: where a reason means something else than in REPLIES. A timeout (the mail store
# retried the commit with the command's idempotency key, and no attempt answered in time) means
# the commit may have happened: say so, never "nothing was written" (decision 0010).
APPEND: dict[int, Reply] = {
    er.ERROR_REASON_NO_SUCH_MAILBOX: _TRYCREATE,
    er.ERROR_REASON_TIMEOUT: Reply(
        "NO", "Server timed out: the message may have been stored, check before appending it again", "UNAVAILABLE"
    ),
}
COPY: dict[int, Reply] = {
    er.ERROR_REASON_TIMEOUT: Reply(
        "NO", "Server timed out: the messages may have been copied, check before trying again", "UNAVAILABLE"
    ),
}
MOVE: dict[int, Reply] = {
    er.ERROR_REASON_TIMEOUT: Reply(
        "NO", "Server timed out: the messages may have been moved, check before trying again", "UNAVAILABLE"
    ),
}

# failures of the mail store that happen before any metadata call (no reason from the service)
LOCAL: dict[type[MailStoreError], Reply] = {
    BlobUnavailable: Reply("NO", "Message data temporarily unavailable", "UNAVAILABLE"),
    ParseFailed: Reply("NO", "Internal server error", "SERVERBUG"),
}


def reply(reason: int, detail: str, overrides: dict[int, Reply] | None = None) -> tuple[str, str, str | None]:
    """(status, text, code) of the tagged reply for a failed metadata call."""
    r = (overrides or {}).get(reason) or REPLIES.get(reason)
    if r is None:
        log.warning("metadata call failed: %s %s", er.ErrorReason.Name(reason), detail)  # type: ignore[arg-type]
        r = UNAVAILABLE
    return r.status, (detail[:200] if r.text is None else r.text), r.code


def store_reply(exc: MailStoreError, overrides: dict[int, Reply] | None = None) -> tuple[str, str, str | None]:
    """(status, text, code) of the tagged reply for a failed mail-store operation."""
    local = LOCAL.get(type(exc))
    if local is not None:
        return local.status, local.text or "", local.code
    return reply(exc.reason, exc.detail, overrides)


# SASL failures (services.common.sasl)
SASL: dict[SaslFailure, Reply] = {
    SaslFailure.CANCELLED: Reply("BAD", "Authentication cancelled"),
    SaslFailure.MALFORMED: Reply("BAD", None),
    SaslFailure.TOO_LONG: Reply("BAD", None),
    SaslFailure.AUTHORIZATION: Reply("NO", None, "AUTHORIZATIONFAILED"),
    SaslFailure.INVALID: Reply("NO", None, "AUTHENTICATIONFAILED"),
    SaslFailure.STATE: Reply("NO", None, "AUTHENTICATIONFAILED"),
    SaslFailure.UNSUPPORTED: Reply("NO", "Unsupported mechanism", "CANNOT"),
}


def sasl_reply(kind: SaslFailure, text: str) -> tuple[str, str, str | None]:
    r = SASL[kind]
    return r.status, (text if r.text is None else r.text), r.code
