"""Invariant 8 with ACLs (RFC 4314): the metadata service itself checks every call made for
another user (the kubemail-actor header the IMAP front-end sends for its session's user), so a
front-end bug that names bob's user id still reaches only what bob granted; and over IMAP a
grantee with 'lr' reads bob's shared mailbox and changes nothing in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import grpc
import pytest

from services.common.actor import ACTOR
from services.common.rpcerrors import reason_of
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mb_pb
from services.gen.kubemail.v1 import messages_pb2 as msg_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.security.conftest import ALICE, BOB, BOB_SECRET, Imap, Suite

ALL = [types_pb.UidRange(lo=1, hi=0)]


async def _as(actor: str, call: Callable[[], Awaitable[Any]]) -> int:
    """The reason a call made for `actor` fails with (0 = it succeeded)."""
    token = ACTOR.set(actor)
    try:
        await call()
        return 0
    except grpc.aio.AioRpcError as exc:
        return reason_of(exc)
    finally:
        ACTOR.reset(token)


def _share(suite: Suite, rights: str) -> None:
    req = mb_pb.SetAclRequest(user_id=suite.uid(BOB), mailbox="Secret", identifier=ALICE, rights=rights)
    assert suite.run(_as("", lambda: suite.client.mailboxes.SetAcl(req))) == 0


@pytest.fixture
def shared_lr(suite: Suite, bob_unchanged: None) -> Iterator[None]:
    _share(suite, "lr")
    yield
    _share(suite, "")


def _calls(suite: Suite) -> dict[str, Callable[[], Awaitable[Any]]]:
    bob, md = suite.uid(BOB), suite.client
    secret = suite.snapshot(BOB)["Secret"][0]
    inbox = suite.snapshot(BOB)["INBOX"][0]
    return {
        "list": lambda: md.mailboxes.ListMailboxes(mb_pb.ListMailboxesRequest(user_id=bob)),
        "get inbox": lambda: md.mailboxes.GetMailbox(mb_pb.GetMailboxRequest(user_id=bob, name="INBOX")),
        "fetch inbox": lambda: md.messages.FetchMessages(
            msg_pb.FetchMessagesRequest(user_id=bob, mailbox_id=inbox, uids=ALL, include_summary=True)
        ),
        "delete": lambda: md.mailboxes.DeleteMailbox(mb_pb.DeleteMailboxRequest(user_id=bob, name="Secret")),
        "rename": lambda: md.mailboxes.RenameMailbox(
            mb_pb.RenameMailboxRequest(user_id=bob, old_name="Secret", new_name="Mine")
        ),
        "store": lambda: md.messages.StoreFlags(
            msg_pb.StoreFlagsRequest(
                user_id=bob, mailbox_id=secret, uids=ALL, mode=msg_pb.StoreFlagsRequest.MODE_ADD, flags=["\\Deleted"]
            )
        ),
        "expunge": lambda: md.messages.Expunge(msg_pb.ExpungeRequest(user_id=bob, mailbox_id=secret)),
        "copy": lambda: md.messages.CopyMessages(
            msg_pb.CopyMessagesRequest(user_id=bob, mailbox_id=secret, uids=ALL, destination="INBOX")
        ),
        "server metadata": lambda: md.mailboxes.GetMetadata(
            mb_pb.GetMetadataRequest(user_id=bob, mailbox="", entries=["/private/x"])
        ),
        "set acl": lambda: md.mailboxes.SetAcl(
            mb_pb.SetAclRequest(user_id=bob, mailbox="Secret", identifier=ALICE, rights="lrswipkxtea")
        ),
        "quota": lambda: md.mailboxes.GetQuota(mb_pb.GetQuotaRequest(user_id=bob)),
        "list shared of bob": lambda: md.mailboxes.ListShared(mb_pb.ListSharedRequest(user_id=bob)),
    }


def test_the_service_refuses_calls_for_another_user_without_a_grant(suite: Suite, bob_unchanged: None) -> None:
    alice = suite.uid(ALICE)
    got = {name: suite.run(_as(alice, call)) for name, call in _calls(suite).items()}
    denied = (er.ERROR_REASON_PERMISSION_DENIED, er.ERROR_REASON_NO_SUCH_MAILBOX)
    assert all(r in denied for r in got.values()), got
    # a mailbox alice has no right on does not even exist for her
    assert got["get inbox"] == er.ERROR_REASON_NO_SUCH_MAILBOX and got["expunge"] == er.ERROR_REASON_NO_SUCH_MAILBOX
    # the same calls without an actor (bob's own front-end) are fine: the check is about the actor
    assert suite.run(_as("", _calls(suite)["quota"])) == 0


def test_an_lr_grant_reads_and_changes_nothing(suite: Suite, shared_lr: None) -> None:
    alice, bob = suite.uid(ALICE), suite.uid(BOB)
    secret = suite.snapshot(BOB)["Secret"][0]
    read = suite.run(
        _as(
            alice,
            lambda: suite.client.messages.FetchMessages(
                msg_pb.FetchMessagesRequest(user_id=bob, mailbox_id=secret, uids=ALL)
            ),
        )
    )
    assert read == 0
    got = {name: suite.run(_as(alice, call)) for name, call in _calls(suite).items()}
    for name in ("store", "expunge", "set acl"):
        assert got[name] == er.ERROR_REASON_PERMISSION_DENIED, (name, got)
    for name in ("list", "delete", "rename", "server metadata", "quota", "list shared of bob"):
        assert got[name] == er.ERROR_REASON_PERMISSION_DENIED, (name, got)
    # r on Secret lets alice copy out of it, but not into bob's INBOX (no right there: unseen)
    assert got["copy"] == er.ERROR_REASON_NO_SUCH_DESTINATION, got
    assert got["get inbox"] == er.ERROR_REASON_NO_SUCH_MAILBOX  # INBOX was not shared
    # over IMAP: alice sees only Secret of bob's, reads it, and every change is refused
    c = Imap(suite.imap_port)
    c.login()
    lines, _ = c.cmd("l", 'LIST "" "*"')
    theirs = [ln for ln in lines if b"bob@" in ln]
    assert theirs and all(ln.endswith(b'"Other Users/bob@example.test/Secret"') or b"Noselect" in ln for ln in theirs)
    q = '"Other Users/bob@example.test/Secret"'
    lines, t = c.cmd("s", f"SELECT {q}")
    assert t.startswith(b"s OK [READ-ONLY]"), t
    lines, t = c.cmd("f", "FETCH 1:* BODY[]")
    assert t.startswith(b"f OK") and any(BOB_SECRET in ln for ln in lines)
    for tag, text in (
        ("t1", "STORE 1:* +FLAGS (\\Deleted)"),
        ("t2", "EXPUNGE"),
        ("t3", f"COPY 1:* {q}"),  # no i on Secret
        ("t4", "MOVE 1:* INBOX"),
        ("t5", f"SETACL {q} {ALICE} lrswipkxtea"),
        ("t6", f'SETMETADATA {q} (/shared/comment "x")'),
        ("t7", f"DELETE {q}"),
        ("t8", f'RENAME {q} "Stolen"'),
        ("t9", f"GETACL {q}"),
    ):
        _, t = c.cmd(tag, text)
        assert t.startswith(f"{tag} NO".encode()), (text, t)
    _, t = c.cmd_lit("a", f"APPEND {q} ".encode(), [b"From: a@x\r\n\r\nplanted\r\n"])
    assert t.startswith(b"a NO [NOPERM]"), t
    c.close()


def test_the_service_refuses_a_cross_user_copy_without_rights(suite: Suite, bob_unchanged: None) -> None:
    """With the IMAP front-end bypassed: alice's actor cannot copy her mail into bob's INBOX, nor
    bob's mail into hers, nor move with only 'lr'; bob's data stays as it was (bob_unchanged)."""
    alice, bob = suite.uid(ALICE), suite.uid(BOB)
    mine = suite.snapshot(ALICE)["INBOX"][0]
    secret = suite.snapshot(BOB)["Secret"][0]
    inbox = suite.snapshot(BOB)["INBOX"][0]
    md = suite.client.messages

    def copy(src_user: str, mbid: str, dest: str, dest_user: str, move: bool = False) -> Any:
        kind = msg_pb.MoveMessagesRequest if move else msg_pb.CopyMessagesRequest
        req = kind(user_id=src_user, mailbox_id=mbid, uids=ALL, destination=dest, destination_user_id=dest_user)
        return lambda: (md.MoveMessages if move else md.CopyMessages)(req)

    assert suite.run(_as(alice, copy(alice, mine, "INBOX", bob))) == er.ERROR_REASON_NO_SUCH_DESTINATION
    assert suite.run(_as(alice, copy(bob, inbox, "INBOX", alice))) == er.ERROR_REASON_NO_SUCH_MAILBOX
    assert suite.run(_as(alice, copy(bob, secret, "INBOX", alice))) == er.ERROR_REASON_NO_SUCH_MAILBOX
    # a copy between users that names no actor is refused too (no one whose rights to check)
    assert suite.run(_as("", copy(alice, mine, "INBOX", bob))) == er.ERROR_REASON_PERMISSION_DENIED
    _share(suite, "lr")
    try:
        assert suite.run(_as(alice, copy(bob, secret, "INBOX", alice, move=True))) == (
            er.ERROR_REASON_PERMISSION_DENIED
        )
        assert suite.run(_as(alice, copy(alice, mine, "Secret", bob))) == er.ERROR_REASON_PERMISSION_DENIED
    finally:
        _share(suite, "")


def test_the_service_applies_negative_rights(suite: Suite, bob_unchanged: None) -> None:
    """A "-alice" entry takes r away from alice's grant in the service itself (RFC 4314 2)."""
    alice, bob = suite.uid(ALICE), suite.uid(BOB)
    secret = suite.snapshot(BOB)["Secret"][0]

    def fetch() -> Any:
        return suite.client.messages.FetchMessages(
            msg_pb.FetchMessagesRequest(user_id=bob, mailbox_id=secret, uids=ALL)
        )

    neg = mb_pb.SetAclRequest(user_id=bob, mailbox="Secret", identifier="-" + ALICE, rights="r")
    _share(suite, "lr")
    try:
        assert suite.run(_as(alice, fetch)) == 0
        assert suite.run(_as("", lambda: suite.client.mailboxes.SetAcl(neg))) == 0
        assert suite.run(_as(alice, fetch)) == er.ERROR_REASON_PERMISSION_DENIED
    finally:
        neg.rights = ""
        assert suite.run(_as("", lambda: suite.client.mailboxes.SetAcl(neg))) == 0
        _share(suite, "")
