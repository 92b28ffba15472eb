"""The "Other Users" namespace (RFC 2342): `Other Users/<owner address>/<mailbox>` names another
user's mailbox shared with the session's user through an ACL (RFC 4314). This module maps such
a name to (owner id, the owner's mailbox name); what the user may do there is decided by the
metadata service from the owner's ACL (services.metadata.acl), not here."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from services.common.grpcclient import reason_of
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.imap import names
from services.imap.errors import no
from services.imap.session import Session

OTHER = "Other Users"
PREFIX = OTHER + names.DELIM


@dataclass(frozen=True, slots=True)
class Where:
    owner: str  # user id
    name: str  # the mailbox's name in the owner's namespace
    display: str  # the name the session's client uses

    @property
    def shared(self) -> bool:
        return self.display != self.name


def is_other(name: str) -> bool:
    return name == OTHER or name.startswith(PREFIX)


def display(owner_address: str, name: str) -> str:
    return f"{PREFIX}{owner_address}{names.DELIM}{name}"


async def locate(s: Session, name: str) -> Where:
    """Where a client's mailbox name lives; NO [NONEXISTENT] for an Other Users name whose
    owner does not exist."""
    if not is_other(name):
        return Where(s.user_id, name, name)
    address, sep, rest = name[len(PREFIX) :].partition(names.DELIM)
    if not sep or not rest or not address:
        raise no("Mailbox does not exist", "NONEXISTENT")
    try:
        resp = await s.md.directory.GetUser(directory_pb.GetUserRequest(address=address))
    except grpc.aio.AioRpcError as exc:
        if reason_of(exc) in (er.ERROR_REASON_NO_SUCH_USER, er.ERROR_REASON_INVALID_ARGUMENT):
            raise no("Mailbox does not exist", "NONEXISTENT") from None
        raise
    return Where(resp.user.id, names.normalize(rest), name)


def check_own(name: str) -> None:
    """Names a user may create or rename to: not inside the Other Users namespace."""
    if is_other(name):
        raise no("Mailboxes cannot be created in the Other Users namespace", "CANNOT")
