"""ACL commands (RFC 4314): SETACL DELETEACL GETACL LISTRIGHTS MYRIGHTS. Identifiers are user
addresses, or "anyone" / "authenticated": every user of the owner's domain (kubemail has no
anonymous access; other domains served here are not included), each also as a negative entry
"-<identifier>" whose rights are taken away from what the others grant (RFC 4314 2). The ACL is
kept, and every access for another user checked, by the metadata service (services.metadata.acl)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import grpc

from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.imap import names, reasons, shared, wire
from services.imap.errors import CommandError, Result, bad, no
from services.imap.grammar import Command
from services.imap.grammar_meta import AclArgs
from services.imap.session import Session, grpc_result

RIGHTS = "lrswipkxtea"
_ALLOWED = set(RIGHTS) | set("cd")  # c and d: the obsolete RFC 2086 rights, mapped by the service
_MODES = {
    "+": mailboxes_pb.SetAclRequest.MODE_ADD,
    "-": mailboxes_pb.SetAclRequest.MODE_REMOVE,
}
# an unknown identifier is not a missing mailbox
ACL_REPLIES: dict[int, reasons.Reply] = {
    er.ERROR_REASON_NO_SUCH_USER: reasons.Reply("NO", "No such identifier", "CANNOT"),
}


async def _where(s: Session, raw: bytes) -> shared.Where:
    return await shared.locate(s, names.decode(raw, s.utf8))


def _name(s: Session, where: shared.Where) -> bytes:
    return wire.string(names.encode(where.display, s.utf8))


async def setacl(s: Session, cmd: Command) -> Result:
    a: AclArgs = cmd.args
    rights = a.rights
    mode = _MODES.get(rights[:1], mailboxes_pb.SetAclRequest.MODE_REPLACE)
    if rights[:1] in _MODES:
        rights = rights[1:]
    if any(ch not in _ALLOWED for ch in rights):
        raise bad("Unknown right")
    where = await _where(s, a.mailbox)
    req = mailboxes_pb.SetAclRequest(
        user_id=where.owner, mailbox=where.name, identifier=a.identifier, rights=rights, mode=mode
    )
    await _call(s.md.mailboxes.SetAcl(req))
    return Result(text="SETACL completed")


async def deleteacl(s: Session, cmd: Command) -> Result:
    a: AclArgs = cmd.args
    where = await _where(s, a.mailbox)
    req = mailboxes_pb.SetAclRequest(user_id=where.owner, mailbox=where.name, identifier=a.identifier)
    await _call(s.md.mailboxes.SetAcl(req))
    return Result(text="DELETEACL completed")


async def getacl(s: Session, cmd: Command) -> Result:
    a: AclArgs = cmd.args
    where = await _where(s, a.mailbox)
    resp = await s.md.mailboxes.GetAcl(mailboxes_pb.GetAclRequest(user_id=where.owner, mailbox=where.name))
    items = [b"%s %s" % (wire.astring(e.identifier), wire.astring(e.rights)) for e in resp.entries]
    s.untagged(b"ACL " + _name(s, where) + b"".join(b" " + i for i in items))
    return Result(text="GETACL completed")


async def listrights(s: Session, cmd: Command) -> Result:
    a: AclArgs = cmd.args
    where = await _where(s, a.mailbox)
    mine = await s.md.mailboxes.MyRights(mailboxes_pb.MyRightsRequest(user_id=where.owner, mailbox=where.name))
    if "a" not in mine.rights:
        raise no("Permission denied", "NOPERM")
    acl = await s.md.mailboxes.GetAcl(mailboxes_pb.GetAclRequest(user_id=where.owner, mailbox=where.name))
    owner = acl.entries[0].identifier if acl.entries else ""
    ident = wire.astring(a.identifier)
    if a.identifier.lower() == owner.lower():
        s.untagged(b"LISTRIGHTS " + _name(s, where) + b" " + ident + b" " + RIGHTS.encode())
    else:
        s.untagged(b"LISTRIGHTS " + _name(s, where) + b" " + ident + b' "" ' + " ".join(RIGHTS).encode())
    return Result(text="LISTRIGHTS completed")


async def myrights(s: Session, cmd: Command) -> Result:
    a: AclArgs = cmd.args
    where = await _where(s, a.mailbox)
    mine = await s.md.mailboxes.MyRights(mailboxes_pb.MyRightsRequest(user_id=where.owner, mailbox=where.name))
    s.untagged(b"MYRIGHTS " + _name(s, where) + b" " + (wire.astring(mine.rights) if mine.rights else b'""'))
    return Result(text="MYRIGHTS completed")


async def _call(aw: Awaitable[Any]) -> Any:
    """Runs a SetAcl call: an unknown identifier is [CANNOT], not a missing mailbox."""
    try:
        return await aw
    except grpc.aio.AioRpcError as exc:
        r = grpc_result(exc, ACL_REPLIES)
        raise CommandError(r.status, r.text, r.code) from None
