"""FETCH ENVELOPE / BODYSTRUCTURE come from the renderings stored at ingest (issue #14 item 3):
the IMAP server sends the stored bytes as they are when its renderer made them, and renders from
the structure when they are missing (a message stored before) or from another renderer version."""

from __future__ import annotations

import asyncio

from services.common import bodystructure
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig, load
from services.common.grpcclient import MetadataClient
from services.common.mime import build_summary
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from tests.imap.conftest import ImapHandle, Raw

RAW = b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: structure\r\n\r\nhi\r\n"
# valid IMAP values, but not what RAW's structure renders to: only the stored bytes give them
MARK_ENV = b'(NIL "stored at ingest" NIL NIL NIL NIL NIL NIL NIL NIL)'
MARK_BODY = b'("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 4 1 NIL NIL NIL NIL)'


async def _deliver(env: dict[str, str], user_id: str, summaries: list[mime_pb.MessageSummary]) -> None:
    blobs = make_blobstore(load(CommonConfig, env))
    bid = await blobs.put(RAW)
    async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"]) as c:
        for i, s in enumerate(summaries):
            await c.messages.Deliver(
                messages_pb.DeliverRequest(
                    blob_id=bid,
                    size=len(RAW),
                    summary=s,
                    deliveries=[messages_pb.Delivery(user_id=user_id)],
                    idempotency_key=f"prerender-{i}",
                )
            )
    await blobs.close()


def test_fetch_sends_the_stored_renderings_of_this_version_only(imap: ImapHandle) -> None:
    current = build_summary(RAW)
    current.imap_envelope, current.imap_bodystructure = MARK_ENV, MARK_BODY
    other = type(current)()
    other.CopyFrom(current)
    other.imap_render = bodystructure.RENDER_VERSION + 1
    before = build_summary(RAW)
    bodystructure.drop_renderings(before)
    asyncio.run(_deliver(imap.env, imap.user_id, [current, other, before]))

    c = Raw(imap.port)
    c.login()
    c.cmd("s", "SELECT INBOX")
    lines, t = c.cmd("f", "FETCH 1:3 (ENVELOPE BODYSTRUCTURE)")
    assert t.startswith(b"f OK"), t
    rendered_env = bodystructure.envelope(current.envelope)
    rendered_body = bodystructure.body(current.body, True)
    assert rendered_env != MARK_ENV and rendered_body != MARK_BODY
    assert lines == [
        b"* 1 FETCH (ENVELOPE " + MARK_ENV + b" BODYSTRUCTURE " + MARK_BODY + b")",
        b"* 2 FETCH (ENVELOPE " + rendered_env + b" BODYSTRUCTURE " + rendered_body + b")",
        b"* 3 FETCH (ENVELOPE " + rendered_env + b" BODYSTRUCTURE " + rendered_body + b")",
    ], lines
    # BODY (the non-extensible form) is not stored: always rendered
    lines, _ = c.cmd("b", "FETCH 1 (BODY)")
    assert lines == [b"* 1 FETCH (BODY " + bodystructure.body(current.body, False) + b")"], lines
