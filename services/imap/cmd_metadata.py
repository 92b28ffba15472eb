"""METADATA commands (RFC 5464): GETMETADATA SETMETADATA, for the server (mailbox "") and for
the user's mailboxes. Entries live in the metadata service (MailboxesService.Get/SetMetadata),
which also enforces the limits of services.common.metaentries."""

from __future__ import annotations

from services.common import metaentries
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.imap import names, shared, wire
from services.imap.errors import Result, no
from services.imap.grammar import Command
from services.imap.grammar_meta import GetMetadataArgs, SetMetadataArgs
from services.imap.session import Session


async def _where(s: Session, raw: bytes) -> shared.Where:
    """The mailbox ("" = the server) and whose it is (another user's: shared through an ACL)."""
    if not raw:
        return shared.Where(s.user_id, "", "")
    return await shared.locate(s, names.decode(raw, s.utf8))


def _value(data: bytes) -> bytes:
    return wire.literal8(data) if b"\x00" in data else wire.string(data)


async def getmetadata(s: Session, cmd: Command) -> Result:
    a: GetMetadataArgs = cmd.args
    where = await _where(s, a.mailbox)
    mailbox = where.display
    resp = await s.md.mailboxes.GetMetadata(
        mailboxes_pb.GetMetadataRequest(
            user_id=where.owner, mailbox=where.name, entries=a.entries, depth=a.depth, max_size=a.max_size
        )
    )
    have = {e.name for e in resp.entries} | set(resp.skipped)
    items: list[bytes] = []
    for name in dict.fromkeys(a.entries):  # each entry asked for, NIL when it has no value (RFC 5464 4.2)
        if name not in have:
            items += [name.encode(), wire.NIL]
    for e in resp.entries:
        items += [e.name.encode(), _value(e.value)]
    if items:
        mb = wire.string(names.encode(mailbox, s.utf8)) if mailbox else b'""'
        s.untagged(b"METADATA " + mb + b" " + wire.plist(items))
    if resp.longest_skipped:
        return Result(text="GETMETADATA completed", code=f"METADATA LONGENTRIES {resp.longest_skipped}")
    return Result(text="GETMETADATA completed")


async def setmetadata(s: Session, cmd: Command) -> Result:
    a: SetMetadataArgs = cmd.args
    where = await _where(s, a.mailbox)
    for _, value in a.entries:
        if value is not None and len(value) > metaentries.MAX_VALUE:
            raise no("Metadata value too long", f"METADATA MAXSIZE {metaentries.MAX_VALUE}")
    entries = [mailboxes_pb.MetadataEntry(name=n, value=v) for n, v in a.entries]
    await s.md.mailboxes.SetMetadata(
        mailboxes_pb.SetMetadataRequest(user_id=where.owner, mailbox=where.name, entries=entries)
    )
    return Result(text="SETMETADATA completed")
