"""KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS: the ENVELOPE/BODYSTRUCTURE renderings made at ingest
are stored with the summary by default and dropped before storing when the setting is off (Redis
memory over FETCH speed); the rest of the summary is stored the same either way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.common import bodystructure
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.metadata.conftest import World, message, summary, world_with


@pytest.fixture(params=["default", "off"])
async def setting_world(request: pytest.FixtureRequest, backend_env: dict[str, str]) -> AsyncIterator[World]:
    settings = {"KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS": "false"} if request.param == "off" else {}
    async with world_with(backend_env, **settings) as w:
        yield w


async def test_renderings_stored_unless_switched_off(setting_world: World) -> None:
    w = setting_world
    raw = message("rendered")
    sent = summary(raw)
    assert sent.imap_render == bodystructure.RENDER_VERSION and sent.imap_envelope
    await w.deliver(raw)
    inbox = await w.mailbox()
    got = await w.client.messages.FetchMessages(
        messages_pb.FetchMessagesRequest(
            user_id=w.user.id, mailbox_id=inbox.id, uids=[types_pb.UidRange(lo=1, hi=1)], include_summary=True
        )
    )
    stored = got.messages[0].summary
    off = w.handle.env.get("KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS") == "false"
    if off:
        assert (stored.imap_render, stored.imap_envelope, stored.imap_bodystructure) == (0, b"", b"")
        bodystructure.drop_renderings(sent)
    assert stored == sent
    # FETCH renders the same bytes either way
    assert bodystructure.stored_envelope(stored) == bodystructure.envelope(sent.envelope)
