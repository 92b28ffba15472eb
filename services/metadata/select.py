"""SelectMailbox: IMAP SELECT / EXAMINE in one call and one Redis round trip (lua/select.lua):
the mailbox with its keywords, every UID and the \\Recent messages from the same moment, instead
of GetMailbox + ListUids + ClaimRecent (issue #14 item 3)."""

from __future__ import annotations

from array import array

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.metadata import validate as v
from services.metadata.lua import MAX_KEYWORDS
from services.metadata.mailboxes_data import mailbox_from_hash
from services.metadata.store import Store


def _flat_hash(flat: list[bytes]) -> dict[bytes, bytes]:
    return {flat[i]: flat[i + 1] for i in range(0, len(flat) - 1, 2)}


def _uids(packed: bytes | str) -> array[int]:
    return array("I", map(int, packed.split()))


async def select_mailbox(
    store: Store, request: mailboxes_pb.SelectMailboxRequest
) -> mailboxes_pb.SelectMailboxResponse:
    v.user_id(request.user_id)
    name = v.mailbox_name(request.name)
    mbid, flat, kws, sub, packed, first_unseen, recent = await store.user_read(
        "select", request.user_id, [name, 1 if request.claim_recent else 0]
    )
    mb = mailbox_from_hash(mbid.decode() if isinstance(mbid, bytes) else str(mbid), _flat_hash(flat), bool(sub))
    words = sorted(w.decode() if isinstance(w, bytes) else str(w) for w in kws)
    mb.keywords.extend(words)
    mb.keywords_full = len(words) >= MAX_KEYWORDS
    return mailboxes_pb.SelectMailboxResponse(
        mailbox=mb, uids=_uids(packed), first_unseen=int(first_unseen), recent=_uids(recent)
    )
