# ruff: noqa: N818  (failures named as conditions, like FileNotFoundError; see blobstore.BlobNotFound)
"""Typed failures of the mail store: one table from ErrorReason to exception type.

Front-ends catch these types (or read ``.reason`` for their reply table) and never look at a
gRPC status code or an error's text. :class:`TimedOut` is the honest one: a deadline expired
on every attempt of a commit, so the commit may or may not have happened.
"""

from __future__ import annotations

import grpc

from services.common.rpcerrors import reason_name, reason_of
from services.gen.kubemail.v1 import errors_pb2 as er


class MailStoreError(Exception):
    """A mail-store operation failed; `reason` is the ErrorReason, `detail` prose for logs."""

    default_reason: int = er.ERROR_REASON_UNSPECIFIED

    def __init__(self, detail: str = "", reason: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = self.default_reason if reason is None else reason

    def __str__(self) -> str:
        return f"{type(self).__name__} ({reason_name(self.reason)}): {self.detail}"


class InvalidArgument(MailStoreError):
    default_reason = er.ERROR_REASON_INVALID_ARGUMENT


class NoSuchUser(MailStoreError):
    default_reason = er.ERROR_REASON_NO_SUCH_USER


class NoSuchMailbox(MailStoreError):
    default_reason = er.ERROR_REASON_NO_SUCH_MAILBOX


class NoSuchDestination(NoSuchMailbox):
    """COPY/MOVE: the destination mailbox does not exist."""

    default_reason = er.ERROR_REASON_NO_SUCH_DESTINATION


class QuotaExceeded(MailStoreError):
    default_reason = er.ERROR_REASON_QUOTA_EXCEEDED


class MessageTooLarge(MailStoreError):
    default_reason = er.ERROR_REASON_MESSAGE_TOO_LARGE


class KeywordLimit(MailStoreError):
    default_reason = er.ERROR_REASON_KEYWORD_LIMIT


class BlobMissing(MailStoreError):
    default_reason = er.ERROR_REASON_BLOB_MISSING


class ParseFailed(MailStoreError):
    """Building the message summary failed (local; nothing was stored)."""

    default_reason = er.ERROR_REASON_INTERNAL


class Unavailable(MailStoreError):
    """The metadata service (or the blob store) is unavailable and wrote nothing; retry later."""

    default_reason = er.ERROR_REASON_BACKEND_UNAVAILABLE


class BlobUnavailable(Unavailable):
    """The blob store refused the put (local; nothing was committed)."""


class StorageFull(BlobUnavailable):
    """The blob store has no room left (RFC 3463 4.3.1, insufficient system storage)."""


class TimedOut(Unavailable):
    """A deadline expired on every attempt: the commit MAY have happened.

    The mail store retried with the transaction's idempotency key, so within the attempts it
    made the message was stored at most once; a new transaction by the client (a new key) after
    this failure can store a second copy.
    """

    default_reason = er.ERROR_REASON_TIMEOUT


# The one table: ErrorReason -> exception type. A reason not listed raises MailStoreError.
BY_REASON: dict[int, type[MailStoreError]] = {
    er.ERROR_REASON_INVALID_ARGUMENT: InvalidArgument,
    er.ERROR_REASON_NO_SUCH_USER: NoSuchUser,
    er.ERROR_REASON_NO_SUCH_MAILBOX: NoSuchMailbox,
    er.ERROR_REASON_NO_SUCH_DESTINATION: NoSuchDestination,
    er.ERROR_REASON_QUOTA_EXCEEDED: QuotaExceeded,
    er.ERROR_REASON_MESSAGE_TOO_LARGE: MessageTooLarge,
    er.ERROR_REASON_KEYWORD_LIMIT: KeywordLimit,
    er.ERROR_REASON_BLOB_MISSING: BlobMissing,
    er.ERROR_REASON_BACKEND_UNAVAILABLE: Unavailable,
    er.ERROR_REASON_BLOB_COLLECTING: Unavailable,
    er.ERROR_REASON_TIMEOUT: TimedOut,
}


def from_rpc(exc: grpc.aio.AioRpcError) -> MailStoreError:
    """The typed failure of a failed metadata call (by its reason only)."""
    reason = reason_of(exc)
    return BY_REASON.get(reason, MailStoreError)(exc.details() or exc.code().name, reason)
