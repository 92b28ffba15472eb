"""APPEND (RFC 3501 6.3.11, RFC 9051 6.3.12) with MULTIAPPEND (RFC 3502: several messages, all
stored or none, in one metadata commit), CATENATE (RFC 4469, services.imap.catenate), UTF8
(RFC 6855 4), APPENDUID with a uid-set (RFC 4315 3) and APPENDLIMIT (RFC 7889)."""

from __future__ import annotations

from services.common.mailstore import MailStoreError, new_key
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap import catenate, names, reasons, shared
from services.imap.errors import Result, no
from services.imap.flags import norm_flags
from services.imap.grammar import AppendArgs, AppendMessage, Command
from services.imap.selected import Selected, compress
from services.imap.session import Session, store_result


async def _content(s: Session, m: AppendMessage) -> bytes:
    limit = s.cfg.append_limit
    msg = await catenate.build(s, m.catenate, limit) if m.catenate is not None else m.message
    if not msg:
        raise no("Empty messages are not accepted")
    if len(msg) > limit:
        raise no("Message too large", "TOOBIG")
    if not s.utf8 and not _header(msg).isascii():
        # RFC 6855 4: without ENABLE UTF8=ACCEPT, 8-bit in the header fields MUST be refused
        raise no("8-bit header fields need ENABLE UTF8=ACCEPT")
    return msg


def _header(msg: bytes) -> bytes:
    """The top-level header (up to the first empty line)."""
    ends = [i for i in (msg.find(b"\r\n\r\n"), msg.find(b"\n\n")) if i >= 0]
    return msg[: min(ends)] if ends else msg


async def _into_selected(
    s: Session, sel: Selected, placed: list[messages_pb.AppendResponse], flags: list[str], claimed: bool
) -> None:
    """The selected mailbox after this session's APPEND to it: with one message that is the only
    change since the session's last look, EXISTS now without a re-read; else the next sync."""
    first = placed[0]
    if claimed:
        sel.claimed.add(first.uid)
    top = sel.uids[-1] if sel.uids else 0
    if len(placed) == 1 and first.uid > top and s.caught_up(sel.mailbox_id, first.prior_modseq, first.modseq):
        await s.arrived(sel, [first.uid], [(first.uid, first.modseq, flags)])
        sel.uidnext = max(sel.uidnext, first.uid + 1)
    else:
        s.resync()


async def append(s: Session, cmd: Command) -> Result:
    a: AppendArgs = cmd.args
    where = await shared.locate(s, names.decode(a.mailbox, s.utf8))
    name = where.display
    if where.shared:  # refuse before the message is stored; the service checks again on commit
        mine = await s.md.mailboxes.MyRights(mailboxes_pb.MyRightsRequest(user_id=where.owner, mailbox=where.name))
        if "i" not in mine.rights:
            raise no("Permission denied", "NOPERM")
    # the selected mailbox, when appending to it by name
    here = s.sel if s.sel is not None and names.normalize(s.sel.name) == names.normalize(name) else None
    # keywords spelled as the selected mailbox spells them when appending to it (RFC 9051 2.3.2)
    known = here.keywords if here is not None else ()
    # one message into the selected mailbox (read-write, the user's own): \Recent here, announced first
    claim = here is not None and not where.shared and not here.readonly and len(a.messages) == 1
    items: list[tuple[bytes, list[str], int]] = []
    for m in a.messages:  # everything is checked (and CATENATE resolved) before anything is stored
        msg = await _content(s, m)
        items.append((msg, norm_flags(m.flags, known), m.date or 0))
    # one idempotency key per APPEND command, reused by every retry of its commit
    key = new_key("append")
    try:
        if len(items) == 1:
            msg, flags, date = items[0]
            one = await s.ctx.mail.append(
                where.owner, where.name, msg, key, flags=flags, internal_date=date, claim_recent=claim
            )
            placed = [one]
        else:
            placed = await s.ctx.mail.append_many(where.owner, where.name, items, key)
    except MailStoreError as exc:
        r = store_result(exc, reasons.APPEND)
        raise no(r.text, r.code) from None
    first = placed[0]
    sel = s.sel
    if sel is not None and sel.mailbox_id == first.mailbox_id and sel.owner == where.owner:
        await _into_selected(s, sel, placed, items[0][1], claim)
    return Result(text="APPEND completed", code=f"APPENDUID {first.uidvalidity} {compress(p.uid for p in placed)}")
