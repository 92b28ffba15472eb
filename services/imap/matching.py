"""The messages a SORT or THREAD works on: the search program's matches in the selected
mailbox, then their metadata (with the parsed summary when the criteria need it), read in
batches, so the cost follows the number of matches rather than the mailbox size."""

from __future__ import annotations

from typing import Any

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.imap.errors import bad, no
from services.imap.search import translate
from services.imap.selected import ranges
from services.imap.session import Session

BATCH = 1000  # messages per FetchMessages call (summaries included)
CHARSETS = ("UTF-8", "US-ASCII", "UTF8")


async def matching_uids(s: Session, key: tuple[Any, ...], charset: str) -> tuple[list[int], int | None]:
    """UIDs of the selected mailbox matching `key`, ascending, and the highest MODSEQ among them
    when the program used MODSEQ (RFC 7162 3.1.5 wants it in the response), else None."""
    sel = s.sel
    assert sel is not None
    if s.utf8_accept and charset not in ("UTF-8", "UTF8"):  # RFC 6855 erratum 4029 (SHOULD)
        raise bad("SORT and THREAD take only CHARSET UTF-8 after ENABLE UTF8=ACCEPT")
    if charset not in CHARSETS:
        raise no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)")
    k, uses_modseq = translate(key, sel, s.utf8 or charset != "US-ASCII")
    if uses_modseq:
        s.condstore = True
    req = messages_pb.SearchRequest(
        user_id=sel.owner, mailbox_id=sel.mailbox_id, key=k, skip_highest_modseq=not uses_modseq
    )
    resp = await s.md.messages.Search(req)
    uids = sel.known(resp.uids)
    return uids, (resp.highest_modseq if uses_modseq else None)


async def metas_of(s: Session, uids: list[int], summary: bool) -> list[messages_pb.MessageMeta]:
    """MessageMeta of each UID still there (ascending); with the summary when `summary`."""
    sel = s.sel
    assert sel is not None
    out: list[messages_pb.MessageMeta] = []
    for i in range(0, len(uids), BATCH):
        chunk = uids[i : i + BATCH]
        while chunk:
            resp = await s.md.messages.FetchMessages(
                messages_pb.FetchMessagesRequest(
                    user_id=sel.owner, mailbox_id=sel.mailbox_id, uids=ranges(chunk), include_summary=summary
                )
            )
            out.extend(resp.messages)
            chunk = [u for u in chunk if resp.next_uid and u >= resp.next_uid]
    return out
