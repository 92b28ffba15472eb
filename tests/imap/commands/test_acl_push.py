"""IDLE on a shared mailbox (RFC 4314) gets instant pushes: the session also subscribes to that
mailbox in the owner's change feed (Watch with mailbox_id, checked against the owner's ACL for
the session's user). The server here polls only every 30 s, so a push within seconds can only
come from the feed."""

from __future__ import annotations

import imaplib
import time

import grpc
import pytest

from services.common.actor import HEADER
from services.common.grpcclient import MetadataClient
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from tests.imap.commands.util import Idler
from tests.imap.conftest import USER, ImapHandle, msg, start_imap, stop_imap

BOB = "bob@example.test"
SHARED = f'"Other Users/{USER}/Team"'
PUSH = 5.0  # well below the 30 s poll interval


def test_idle_on_a_shared_mailbox_is_pushed(imap: ImapHandle) -> None:
    srv, lt = start_imap({**imap.env, "KUBEMAIL_IMAP_POLL_INTERVAL": "30"})
    try:
        port = srv.port_of("imap")
        a = imaplib.IMAP4("127.0.0.1", port, timeout=15)
        a.login(USER, "secret")
        assert a.create("Team")[0] == "OK"
        assert a.append("Team", None, None, msg(1))[0] == "OK"
        assert a.setacl("Team", BOB, "lrs")[0] == "OK"
        b = imaplib.IMAP4("127.0.0.1", port, timeout=15)
        b.login(BOB, "bobpw")
        assert b.select(SHARED)[0] == "OK"
        idle = Idler(b)
        start = time.monotonic()
        assert a.append("Team", None, None, msg(2))[0] == "OK"
        idle.wait_for(rb"^\* 2 EXISTS$", timeout=PUSH)
        a.select("Team")
        assert a.store("1", "+FLAGS.SILENT", "(\\Flagged)")[0] == "OK"
        idle.wait_for(rb"^\* 1 FETCH \(.*\\Flagged", timeout=PUSH)
        assert time.monotonic() - start < 2 * PUSH
        assert idle.done()[0] == "OK"
        # a change in another of alice's mailboxes is no business of bob's session: nothing pushed
        assert b.noop()[0] == "OK"
        b.logout()
        a.logout()
    finally:
        stop_imap(srv, lt)


async def _watch_reason(addr: str, owner: str, mailbox_id: str, actor: str) -> int:
    async with MetadataClient(addr) as c:
        call = c.changes.Watch(
            changes_pb.WatchRequest(user_id=owner, mailbox_id=mailbox_id), timeout=5, metadata=((HEADER, actor),)
        )
        try:
            async for _ in call:
                call.cancel()
                return 0
        except grpc.aio.AioRpcError as exc:
            return reason_of(exc)
        return 0


async def _ids(addr: str) -> tuple[str, str, str]:
    async with MetadataClient(addr) as c:
        a = await c.directory.GetUser(directory_pb.GetUserRequest(address=USER))
        b = await c.directory.GetUser(directory_pb.GetUserRequest(address=BOB))
        mb = await c.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=a.user.id, name="Team"))
        return a.user.id, b.user.id, mb.mailbox.id


@pytest.mark.parametrize(("rights", "want"), [("", "none"), ("l", "denied"), ("lr", "ok")])
def test_the_service_checks_a_shared_watch(imap: ImapHandle, rights: str, want: str) -> None:
    addr = imap.env["KUBEMAIL_METADATA_ADDR"]
    a = imap.login()
    assert a.create("Team")[0] == "OK"
    if rights:
        assert a.setacl("Team", BOB, rights)[0] == "OK"
    a.logout()
    alice, bob, team = imap.run(_ids(addr))
    expected = {
        "none": er.ERROR_REASON_NO_SUCH_MAILBOX,
        "denied": er.ERROR_REASON_PERMISSION_DENIED,
        "ok": 0,
    }[want]
    assert imap.run(_watch_reason(addr, alice, team, bob)) == expected
    # alice's whole feed is never bob's, whatever he was granted
    assert imap.run(_watch_reason(addr, alice, "", bob)) == er.ERROR_REASON_PERMISSION_DENIED
    assert imap.run(_watch_reason(addr, alice, "", alice)) == 0
