"""Callers of the paged list RPCs: every page of a listing, merged into one response.

The metadata service bounds each page (page_size / next_page_token); these helpers follow
the tokens so a front-end sees the whole listing. A token that does not move on ends the
walk (a misbehaving server cannot loop a front-end forever).
"""

from __future__ import annotations

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb


async def all_mailboxes(
    md: MetadataClient, user_id: str, subscribed_only: bool = False, include_shared: bool = False
) -> mailboxes_pb.ListMailboxesResponse:
    """Every page of ListMailboxes in one response (include_shared: with ListShared's answer)."""
    out = mailboxes_pb.ListMailboxesResponse()
    token = ""
    while True:
        req = mailboxes_pb.ListMailboxesRequest(
            user_id=user_id, subscribed_only=subscribed_only, page_token=token, include_shared=include_shared
        )
        page = await md.mailboxes.ListMailboxes(req)
        out.mailboxes.extend(page.mailboxes)
        out.shared.extend(page.shared)
        out.subscribed_nonexistent.extend(page.subscribed_nonexistent)
        if not page.next_page_token or page.next_page_token == token:
            return out
        token = page.next_page_token


async def all_changes(
    md: MetadataClient, user_id: str, mailbox_id: str, since_modseq: int
) -> messages_pb.GetChangesResponse:
    """Every changed message after since_modseq; counters and expunges from the first page."""
    token = ""
    out: messages_pb.GetChangesResponse | None = None
    while True:
        page = await md.messages.GetChanges(
            messages_pb.GetChangesRequest(
                user_id=user_id, mailbox_id=mailbox_id, since_modseq=since_modseq, page_token=token
            )
        )
        if out is None:
            out = page
        else:
            out.changed.extend(page.changed)
        if not page.next_page_token or page.next_page_token == token:
            out.next_page_token = ""
            return out
        token = page.next_page_token
