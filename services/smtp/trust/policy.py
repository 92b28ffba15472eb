"""What sender authentication leads to (sans-I/O): reject the message, file it into Junk for
some recipients, or deliver it. Each trigger's action comes from the recipient domain's
`InboundPolicy` (MailDomain spec.inbound, carried by Directory.ResolveRecipients) or, where the
domain sets none, from the server default. One recipient whose action is reject rejects the
message: after DATA there is one reply for all recipients, and the sender asked for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.smtp.trust.check import Auth

REJECT, JUNK, DELIVER = "reject", "junk", "deliver"
ACTIONS = (REJECT, JUNK, DELIVER)
_FROM_PROTO = {
    directory_pb.INBOUND_ACTION_REJECT: REJECT,
    directory_pb.INBOUND_ACTION_JUNK: JUNK,
    directory_pb.INBOUND_ACTION_DELIVER: DELIVER,
}
DMARC_REJECT, DMARC_QUARANTINE, LOCAL_SPOOF = "dmarc_reject", "dmarc_quarantine", "local_spoof"
_REPLIES = {
    DMARC_REJECT: "550 5.7.1 Rejected by the sender domain's DMARC policy",
    DMARC_QUARANTINE: "550 5.7.1 Rejected: DMARC check failed",
    LOCAL_SPOOF: "550 5.7.1 Rejected: sender claims a local domain but is not authenticated",
}


@dataclasses.dataclass(frozen=True)
class Defaults:
    dmarc_reject: str = REJECT
    dmarc_quarantine: str = JUNK
    local_spoof: str = REJECT


@dataclasses.dataclass(frozen=True)
class Decision:
    trigger: str  # "" (nothing failed), dmarc_reject, dmarc_quarantine, local_spoof
    reply: str = ""  # the 5xx when the message is refused
    junk: frozenset[str] = frozenset()  # user ids whose copy goes to Junk

    @property
    def rejected(self) -> bool:
        return bool(self.reply)


def trigger(auth: Auth, author_is_local: bool) -> str:
    """Which rule the message falls under, if any."""
    if auth.dmarc.result == "fail" and auth.dmarc.applied == "reject":
        return DMARC_REJECT
    if auth.dmarc.result == "fail" and auth.dmarc.applied == "quarantine":
        return DMARC_QUARANTINE
    if author_is_local and not auth.authenticates(auth.dmarc.header_from):
        return LOCAL_SPOOF
    return ""


def action(rule: str, policy: directory_pb.InboundPolicy | None, defaults: Defaults) -> str:
    own = _FROM_PROTO.get(getattr(policy, rule)) if policy is not None else None
    return own or str(getattr(defaults, rule))


def decide(rule: str, users: Mapping[str, directory_pb.InboundPolicy], defaults: Defaults) -> Decision:
    """The decision for the message's local recipients (`users`: user id -> domain policy)."""
    if not rule:
        return Decision("")
    chosen = {uid: action(rule, p, defaults) for uid, p in users.items()}
    if not chosen:  # no local mailbox (forwards only): the server default
        if action(rule, None, defaults) == REJECT:
            return Decision(rule, _REPLIES[rule])
        return Decision(rule)
    if REJECT in chosen.values():
        return Decision(rule, _REPLIES[rule])
    return Decision(rule, junk=frozenset(u for u, a in chosen.items() if a == JUNK))
