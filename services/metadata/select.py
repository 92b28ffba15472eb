"""SelectMailbox: IMAP SELECT / EXAMINE in one call and one Redis round trip (lua/select.lua):
the mailbox with its keywords, every UID and the \\Recent messages from the same moment, instead
of GetMailbox + ListUids + ClaimRecent (issue #14 item 3)."""

from __future__ import annotations

from array import array

from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.metadata import validate as v
from services.metadata.mailboxes_data import mailbox_from_read
from services.metadata.store import Store


def _uids(packed: bytes) -> array[int]:
    return array("I", map(int, packed.split()))


async def select_mailbox(
    store: Store, request: mailboxes_pb.SelectMailboxRequest
) -> mailboxes_pb.SelectMailboxResponse:
    v.user_id(request.user_id)
    name = v.mailbox_name(request.name)
    reply = await store.user_read("select", request.user_id, [name, 1 if request.claim_recent else 0])
    packed, first_unseen, recent = reply[4:]
    return mailboxes_pb.SelectMailboxResponse(
        mailbox=mailbox_from_read(reply), uids=_uids(packed), first_unseen=int(first_unseen), recent=_uids(recent)
    )
