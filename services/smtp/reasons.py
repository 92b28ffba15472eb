"""Metadata failure reasons -> SMTP replies at end of DATA: the one table (invariant 10).

A reason not listed is temporary for SMTP (451): the client retries and the idempotency key
keeps a retry from storing the message twice.
"""

from __future__ import annotations

from typing import NamedTuple

from services.gen.kubemail.v1 import errors_pb2 as er


class Reply(NamedTuple):
    one: str  # the reply when the message has one recipient
    many: str  # with several: a 4xx, so the others are not refused for one full mailbox
    label: str  # DeliveryError.reason (metrics and logs)


DELIVERY: dict[int, Reply] = {
    er.ERROR_REASON_MESSAGE_TOO_LARGE: Reply(
        "552 5.3.4 Message too big for a recipient", "552 5.3.4 Message too big for a recipient", "size"
    ),
    er.ERROR_REASON_QUOTA_EXCEEDED: Reply("552 5.2.2 Mailbox full", "452 4.2.2 Mailbox full for a recipient", "quota"),
}
TEMPORARY = Reply(
    "451 4.3.0 Temporary failure storing the message, try again later",
    "451 4.3.0 Temporary failure storing the message, try again later",
    "unavailable",
)


def delivery_reply(reason: int, recipients: int) -> tuple[str, str]:
    """(SMTP reply, label) for a failed Deliver/Outbound.Queue."""
    r = DELIVERY.get(reason, TEMPORARY)
    return (r.one if recipients == 1 else r.many), r.label
