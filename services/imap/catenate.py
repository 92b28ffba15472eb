"""CATENATE (RFC 4469): the message an APPEND builds from TEXT literals and URLs of messages
(or their sections) in the user's own mailboxes (services.imap.imapurl). Each URL costs one
GetMailbox, one FetchMessages of one UID and one ranged blob read of the bytes it names; the
result is bounded by the APPENDLIMIT while it is built."""

from __future__ import annotations

import grpc

from services.common.grpcclient import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.imap import imapurl, names, sections
from services.imap.errors import CommandError, no
from services.imap.grammar import CatUrl
from services.imap.session import Session


def badurl(url: bytes, text: str) -> CommandError:
    """NO [BADURL url] (RFC 4469 6): url-resp-text has no ']' and no controls."""
    shown = bytes(b for b in url if 0x21 <= b < 0x7F and b != 0x5D).decode("ascii")
    return no(text, f"BADURL {shown}" if shown else "BADURL")


async def build(s: Session, parts: tuple[bytes | CatUrl, ...], limit: int) -> bytes:
    out: list[bytes] = []
    size = 0
    for part in parts:
        data = part if isinstance(part, bytes) else await resolve(s, part.url, limit - size)
        size += len(data)
        if size > limit:
            raise no("Catenated message too large", "TOOBIG")
        out.append(data)
    return b"".join(out)


async def resolve(s: Session, url: bytes, room: int) -> bytes:
    """The bytes `url` names; NO [BADURL] when it does not name something of this user."""
    try:
        u = imapurl.parse(url)
        name = names.decode(u.mailbox, s.utf8)
    except (imapurl.UrlError, names.NameError_) as exc:
        raise badurl(url, f"Unsupported or malformed URL: {exc}") from None
    try:
        mb = (await s.md.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=s.user_id, name=name))).mailbox
    except grpc.aio.AioRpcError as exc:
        if reason_of(exc) == er.ERROR_REASON_NO_SUCH_MAILBOX:
            raise badurl(url, "No such mailbox") from None
        raise
    if u.uidvalidity is not None and u.uidvalidity != mb.uidvalidity:
        raise badurl(url, "UIDVALIDITY does not match")
    resp = await s.md.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=s.user_id,
            mailbox_id=mb.id,
            uids=[types_pb.UidRange(lo=u.uid, hi=u.uid)],
            include_summary=u.section is not None,
        )
    )
    if not resp.messages or resp.messages[0].uid != u.uid:
        raise badurl(url, "No such message")
    m = resp.messages[0]
    sec = u.section or sections.Section()
    src = sections.locate(m.summary, m.size, sec) if u.section is not None else sections.Source(start=0, end=m.size)
    if src.nil:
        raise badurl(url, "No such section")
    start, end = src.start, max(src.start, src.end)
    filtered = sec.kind.startswith("HEADER.FIELDS")
    if u.partial is not None and not filtered and src.data is None:
        start = min(end, start + u.partial[0])
        if u.partial[1] is not None:
            end = min(end, start + u.partial[1])
    if src.data is None and end - start > room:
        raise no("Catenated message too large", "TOOBIG")
    if src.data is not None:
        data = src.data
    elif end > start:
        data = await s.ctx.blobs.get(m.blob_id, start, end - start)
    else:
        data = b""
    data = sections.apply_filter(sec, data)
    if u.partial is not None and (filtered or src.data is not None):
        off, length = u.partial
        data = data[off:] if length is None else data[off : off + length]
    return data
