"""KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS: the ENVELOPE/BODYSTRUCTURE renderings made at ingest
are stored with the summary by default and dropped before storing when the setting is off (Redis
memory over FETCH speed); the rest of the summary is stored the same either way."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.common import bodystructure
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.metadata.conftest import World, make_world, message, summary


@pytest.fixture(params=["default", "off"])
async def setting_world(request: pytest.FixtureRequest, backend_env: dict[str, str]) -> AsyncIterator[World]:
    env = dict(backend_env)
    if request.param == "off":
        env["KUBEMAIL_METADATA_STORE_IMAP_RENDERINGS"] = "false"
    h: MetadataHandle = _start_metadata(env)
    try:
        async for w in make_world(h):
            yield w
    finally:
        _stop_metadata(h)


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
        for name in ("imap_envelope", "imap_bodystructure", "imap_render"):
            sent.ClearField(name)
    assert stored == sent
    # FETCH renders the same bytes either way
    assert bodystructure.stored_envelope(stored) == bodystructure.envelope(sent.envelope)
