"""Bad input to every RPC gets a clear gRPC status; Redis or S3 down gives UNAVAILABLE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from services.common.grpcclient import MetadataError, reason_of
from services.gen.kubemail.v1 import changes_pb2 as changes_pb
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from services.metadata import errors
from services.metadata.server import SERVICE_FILES
from tests.conftest import MetadataHandle, _start_metadata, _stop_metadata
from tests.fixtures.servers import RedisServer, S3Server
from tests.metadata.conftest import World, make_world, message, summary

C = grpc.StatusCode
R = types_pb.UidRange
GHOST = "0123456789abcdef0123456789abcdef"
BLOB = "a" * 64

# a scheduled out-of-office that ends before it starts
BAD_OOF = devices_pb.UserSettings(
    oof=devices_pb.OutOfOffice(state=devices_pb.OutOfOffice.STATE_SCHEDULED, start_time=5, end_time=1)
)


Expect = tuple[set[grpc.StatusCode], int]  # the status codes allowed, the reason


def cases(uid: str, mbid: str) -> list[tuple[str, str, Any, Expect]]:
    inv: Expect = ({C.INVALID_ARGUMENT}, er.ERROR_REASON_INVALID_ARGUMENT)
    usr: Expect = ({C.NOT_FOUND}, er.ERROR_REASON_NO_SUCH_USER)
    dom: Expect = ({C.NOT_FOUND}, er.ERROR_REASON_NO_SUCH_DOMAIN)
    mbx: Expect = ({C.NOT_FOUND}, er.ERROR_REASON_NO_SUCH_MAILBOX)
    dst: Expect = ({C.NOT_FOUND}, er.ERROR_REASON_NO_SUCH_DESTINATION)
    big_msg: Expect = ({C.RESOURCE_EXHAUSTED}, er.ERROR_REASON_MESSAGE_TOO_LARGE)
    no_blob: Expect = ({C.FAILED_PRECONDITION}, er.ERROR_REASON_BLOB_MISSING)
    gone: Expect = ({C.FAILED_PRECONDITION}, er.ERROR_REASON_LEASE_EXPIRED)
    big = messages_pb.DeliverRequest(blob_id=BLOB, size=10**12, deliveries=[messages_pb.Delivery(user_id=uid)])
    return [
        (
            "directory",
            "UpsertDomain",
            directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name="bad domain!")),
            inv,
        ),
        ("directory", "GetDomain", directory_pb.GetDomainRequest(name="nope.example"), dom),
        ("directory", "DeleteDomain", directory_pb.DeleteDomainRequest(name=""), inv),
        ("directory", "UpsertUser", directory_pb.UpsertUserRequest(user=directory_pb.User(address="no-at-sign")), inv),
        (
            "directory",
            "UpsertUser",
            directory_pb.UpsertUserRequest(user=directory_pb.User(address="x@unknown.example")),
            dom,
        ),
        (
            "directory",
            "UpsertUser",
            directory_pb.UpsertUserRequest(user=directory_pb.User(address="y@example.test", password_hash="plain")),
            inv,
        ),
        ("directory", "GetUser", directory_pb.GetUserRequest(), inv),
        ("directory", "GetUser", directory_pb.GetUserRequest(id=GHOST), usr),
        ("directory", "GetUser", directory_pb.GetUserRequest(id="../etc"), inv),
        ("directory", "ListUsers", directory_pb.ListUsersRequest(domain="bad domain"), inv),
        ("directory", "DeleteUser", directory_pb.DeleteUserRequest(address="ghost@example.test"), usr),
        ("directory", "ResolveRecipients", directory_pb.ResolveRecipientsRequest(addresses=["a@b.c"] * 1001), inv),
        ("mailboxes", "ListMailboxes", mailboxes_pb.ListMailboxesRequest(user_id=GHOST), usr),
        ("mailboxes", "GetMailbox", mailboxes_pb.GetMailboxRequest(user_id=uid), inv),
        ("mailboxes", "GetMetadata", mailboxes_pb.GetMetadataRequest(user_id=uid), inv),
        ("mailboxes", "SetAcl", mailboxes_pb.SetAclRequest(user_id=uid, mailbox="INBOX", identifier="x"), inv),
        (
            "mailboxes",
            "SetAcl",
            mailboxes_pb.SetAclRequest(user_id=uid, mailbox="INBOX", identifier="no@example.test", rights="l"),
            usr,
        ),
        ("mailboxes", "GetAcl", mailboxes_pb.GetAclRequest(user_id=uid, mailbox="Nope"), mbx),
        ("mailboxes", "MyRights", mailboxes_pb.MyRightsRequest(user_id=GHOST, mailbox="INBOX"), usr),
        ("mailboxes", "ListShared", mailboxes_pb.ListSharedRequest(user_id=GHOST), usr),
        ("mailboxes", "GetMetadata", mailboxes_pb.GetMetadataRequest(user_id=uid, entries=["/x"]), inv),
        ("mailboxes", "GetMetadata", mailboxes_pb.GetMetadataRequest(user_id=GHOST, entries=["/private/x"]), usr),
        (
            "mailboxes",
            "GetMetadata",
            mailboxes_pb.GetMetadataRequest(user_id=uid, mailbox="a//b", entries=["/private/x"]),
            inv,
        ),
        (
            "mailboxes",
            "SetMetadata",
            mailboxes_pb.SetMetadataRequest(
                user_id=uid, mailbox="Nope", entries=[mailboxes_pb.MetadataEntry(name="/private/x")]
            ),
            mbx,
        ),
        (
            "mailboxes",
            "SetMetadata",
            mailboxes_pb.SetMetadataRequest(user_id=uid, entries=[mailboxes_pb.MetadataEntry(name="")]),
            inv,
        ),
        ("mailboxes", "GetMailbox", mailboxes_pb.GetMailboxRequest(user_id=uid, name="Nope"), mbx),
        ("mailboxes", "SelectMailbox", mailboxes_pb.SelectMailboxRequest(user_id=uid, name="Nope"), mbx),
        ("mailboxes", "SelectMailbox", mailboxes_pb.SelectMailboxRequest(user_id=uid, name=""), inv),
        ("mailboxes", "GetMailbox", mailboxes_pb.GetMailboxRequest(user_id=uid, mailbox_id="x"), inv),
        ("mailboxes", "CreateMailbox", mailboxes_pb.CreateMailboxRequest(user_id=uid, name="a//b"), inv),
        (
            "mailboxes",
            "CreateMailbox",
            mailboxes_pb.CreateMailboxRequest(user_id=uid, name="ok", special_use="\\Bogus"),
            inv,
        ),
        ("mailboxes", "CreateMailbox", mailboxes_pb.CreateMailboxRequest(user_id=GHOST, name="x"), usr),
        ("mailboxes", "DeleteMailbox", mailboxes_pb.DeleteMailboxRequest(user_id=uid, name="Nope"), mbx),
        (
            "mailboxes",
            "RenameMailbox",
            mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="Nope", new_name="X"),
            mbx,
        ),
        (
            "mailboxes",
            "RenameMailbox",
            mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="Sent", new_name="/x"),
            inv,
        ),
        ("mailboxes", "SetSubscribed", mailboxes_pb.SetSubscribedRequest(user_id=uid, name=""), inv),
        ("mailboxes", "GetQuota", mailboxes_pb.GetQuotaRequest(user_id=GHOST), usr),
        ("messages", "Deliver", messages_pb.DeliverRequest(blob_id=BLOB, size=1), inv),
        (
            "messages",
            "Deliver",
            messages_pb.DeliverRequest(blob_id="xyz", deliveries=[messages_pb.Delivery(user_id=uid)]),
            inv,
        ),
        (
            "messages",
            "Deliver",
            messages_pb.DeliverRequest(blob_id=BLOB, deliveries=[messages_pb.Delivery(user_id=GHOST)]),
            usr,
        ),
        ("messages", "Deliver", big, big_msg),
        (
            "messages",
            "Deliver",
            messages_pb.DeliverRequest(blob_id=BLOB, deliveries=[messages_pb.Delivery(user_id=uid)]),
            no_blob,
        ),
        (
            "messages",
            "Deliver",
            messages_pb.DeliverRequest(blob_id=BLOB, deliveries=[messages_pb.Delivery(user_id=uid, flags=["\\Bogus"])]),
            inv,
        ),
        ("messages", "Append", messages_pb.AppendRequest(user_id=uid, mailbox="a\x00b", blob_id=BLOB), inv),
        ("messages", "Append", messages_pb.AppendRequest(user_id=uid, mailbox="Nope", blob_id=BLOB), no_blob),
        ("messages", "AppendMany", messages_pb.AppendManyRequest(user_id=uid, mailbox="INBOX"), inv),
        ("messages", "AppendMany", messages_pb.AppendManyRequest(user_id=GHOST, mailbox="INBOX"), usr),
        (
            "messages",
            "AppendMany",
            messages_pb.AppendManyRequest(user_id=uid, mailbox="INBOX", items=[messages_pb.AppendItem(blob_id="xyz")]),
            inv,
        ),
        (
            "messages",
            "AppendMany",
            messages_pb.AppendManyRequest(user_id=uid, mailbox="INBOX", items=[messages_pb.AppendItem(blob_id=BLOB)]),
            no_blob,
        ),
        ("messages", "FetchMessages", messages_pb.FetchMessagesRequest(user_id=uid, mailbox_id="999"), mbx),
        (
            "messages",
            "FetchMessages",
            messages_pb.FetchMessagesRequest(user_id=uid, mailbox_id=mbid, uids=[R(lo=0, hi=5)]),
            inv,
        ),
        ("messages", "ListUids", messages_pb.ListUidsRequest(user_id=GHOST, mailbox_id=mbid), mbx),
        (
            "messages",
            "StoreFlags",
            messages_pb.StoreFlagsRequest(user_id=uid, mailbox_id=mbid, uids=[R(lo=1, hi=1)]),
            inv,
        ),
        (
            "messages",
            "StoreFlags",
            messages_pb.StoreFlagsRequest(
                user_id=uid,
                mailbox_id=mbid,
                mode=messages_pb.StoreFlagsRequest.MODE_ADD,
                flags=["a b"],
                uids=[R(lo=1, hi=1)],
            ),
            inv,
        ),
        (
            "messages",
            "StoreFlags",
            messages_pb.StoreFlagsRequest(
                user_id=uid, mailbox_id=mbid, mode=messages_pb.StoreFlagsRequest.MODE_ADD, flags=["x"]
            ),
            inv,
        ),
        (
            "messages",
            "StoreFlags",
            messages_pb.StoreFlagsRequest(
                user_id=uid,
                mailbox_id="999",
                mode=messages_pb.StoreFlagsRequest.MODE_ADD,
                flags=["x"],
                uids=[R(lo=1, hi=1)],
            ),
            mbx,
        ),
        (
            "messages",
            "CopyMessages",
            messages_pb.CopyMessagesRequest(user_id=uid, mailbox_id=mbid, uids=[R(lo=1, hi=0)], destination="Nope"),
            dst,
        ),
        (
            "messages",
            "MoveMessages",
            messages_pb.MoveMessagesRequest(user_id=uid, mailbox_id=mbid, uids=[R(lo=1, hi=0)], destination=""),
            inv,
        ),
        ("messages", "Expunge", messages_pb.ExpungeRequest(user_id=uid, mailbox_id="999"), mbx),
        ("messages", "Expunge", messages_pb.ExpungeRequest(user_id=uid, mailbox_id=mbid, uids=[R(lo=0, hi=3)]), inv),
        ("messages", "Search", messages_pb.SearchRequest(user_id=uid, mailbox_id=mbid), inv),
        (
            "messages",
            "Search",
            messages_pb.SearchRequest(user_id=uid, mailbox_id="999", key=messages_pb.SearchKey(all=True)),
            mbx,
        ),
        ("messages", "GetChanges", messages_pb.GetChangesRequest(user_id=uid, mailbox_id=""), inv),
        ("messages", "ClaimRecent", messages_pb.ClaimRecentRequest(user_id=uid, mailbox_id="999"), mbx),
        ("outbound", "Queue", outbound_pb.QueueRequest(blob_id=BLOB), inv),
        ("outbound", "Queue", outbound_pb.QueueRequest(blob_id=BLOB, recipients=["nope"]), inv),
        ("outbound", "Queue", outbound_pb.QueueRequest(blob_id=BLOB, recipients=["a@b.example"]), no_blob),
        (
            "outbound",
            "Queue",
            outbound_pb.QueueRequest(
                blob_id=BLOB,
                dsn_recipients=[
                    outbound_pb.QueueRecipient(
                        address="a@b.example", dsn=outbound_pb.RecipientDsn(notify=["NEVER", "DELAY"])
                    )
                ],
            ),
            inv,
        ),
        ("outbound", "Lease", outbound_pb.LeaseRequest(holder="", lease_seconds=10), inv),
        ("outbound", "Lease", outbound_pb.LeaseRequest(holder="h", lease_seconds=0), inv),
        ("outbound", "Complete", outbound_pb.CompleteRequest(queue_id="x", lease_token="t"), inv),
        ("outbound", "Complete", outbound_pb.CompleteRequest(queue_id="1", lease_token="1.1"), gone),
        ("outbound", "Defer", outbound_pb.DeferRequest(queue_id="1", lease_token=""), inv),
        ("outbound", "Defer", outbound_pb.DeferRequest(queue_id="1", lease_token="1.1"), gone),
        ("outbound", "Bounce", outbound_pb.BounceRequest(queue_id="1", lease_token="1.1", recipients=["x"]), inv),
        ("outbound", "Bounce", outbound_pb.BounceRequest(queue_id="1", lease_token="1.1"), gone),
        ("devices", "GetDevice", devices_pb.GetDeviceRequest(user_id=GHOST, device_id="d"), usr),
        ("devices", "GetDevice", devices_pb.GetDeviceRequest(user_id=uid, device_id=""), inv),
        ("devices", "PutDevice", devices_pb.PutDeviceRequest(user_id=uid, device=devices_pb.Device()), inv),
        ("devices", "ListDevices", devices_pb.ListDevicesRequest(user_id=GHOST), usr),
        ("devices", "DeleteDevice", devices_pb.DeleteDeviceRequest(user_id=uid, device_id="x" * 200), inv),
        ("devices", "GetUserSettings", devices_pb.GetUserSettingsRequest(user_id=GHOST), usr),
        ("devices", "PutUserSettings", devices_pb.PutUserSettingsRequest(user_id=uid, settings=BAD_OOF), inv),
        ("maildrop", "Acquire", maildrop_pb.AcquireRequest(user_id=uid), inv),
        ("maildrop", "Acquire", maildrop_pb.AcquireRequest(user_id=GHOST, holder="h"), usr),
        ("maildrop", "Refresh", maildrop_pb.RefreshRequest(user_id=uid, holder="h"), inv),
        ("maildrop", "Release", maildrop_pb.ReleaseRequest(user_id=uid, holder="h", ttl_seconds=10**6), inv),
        ("limits", "Hit", limits_pb.HitRequest(bucket="b", key="k", limit=1), inv),
        ("limits", "Peek", limits_pb.PeekRequest(key="k", limit=1, window_seconds=1), inv),
        (
            "limits",
            "BackoffFail",
            limits_pb.BackoffFailRequest(bucket="b", key="k", base_seconds=9, max_seconds=2),
            inv,
        ),
        ("limits", "BackoffCheck", limits_pb.BackoffCheckRequest(key="k"), inv),
        ("limits", "BackoffReset", limits_pb.BackoffResetRequest(bucket="b"), inv),
    ]


async def test_bad_input_to_every_rpc(world: World) -> None:
    inbox = await world.mailbox()
    seen: set[str] = set()
    for stub, method, req, (expected, reason) in cases(world.user.id, inbox.id):
        with pytest.raises(MetadataError) as e:
            await getattr(getattr(world.client, stub), method)(req)
        assert e.value.code() in expected, (method, req, e.value.code(), e.value.details())
        assert e.value.details(), method
        assert e.value.reason == reason, (method, req, e.value)
        seen.add(method)
    with pytest.raises(grpc.aio.AioRpcError) as e:
        async for _ in world.client.changes.Watch(changes_pb.WatchRequest(user_id=GHOST)):
            pass
    assert e.value.code() == C.NOT_FOUND
    seen.add("Watch")
    # Authenticate answers bad input with ok=false, not a status
    for name, pw in [("", b"x"), ("no-at", b"x"), ("bob@example.test", b"x" * 5000), ("\x00@\xff", b"")]:
        res = await world.client.directory.Authenticate(directory_pb.AuthenticateRequest(username=name, password=pw))
        assert not res.ok and res.reason == "bad-credentials"
    seen.add("Authenticate")
    every = {m.name for f in SERVICE_FILES.values() for s in f.services_by_name.values() for m in s.methods}
    assert every - seen <= {"ListDomains", "Stats"}  # take no input
    # the world is unharmed
    assert (await world.mailbox()).messages == 0


async def test_oversized_message_for_domain(world: World) -> None:
    await world.client.directory.UpsertDomain(
        directory_pb.UpsertDomainRequest(
            domain=directory_pb.Domain(name="example.test", enabled=True, max_message_bytes=50)
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.deliver(message("too big", "z" * 100))
    assert e.value.code() == C.RESOURCE_EXHAUSTED
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_MESSAGE_TOO_LARGE


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis").start()
    yield srv
    srv.stop(kill=True)


@pytest.fixture
def own_s3() -> Iterator[S3Server]:
    srv = S3Server().start()
    yield srv
    srv.stop(kill=True)


@pytest.fixture
def fault_metadata(own_redis: RedisServer, own_s3: S3Server, tmp_path: Path) -> Iterator[MetadataHandle]:
    env = {
        **own_s3.env("faults"),
        "KUBEMAIL_REDIS_URL": own_redis.url,
        "KUBEMAIL_REDIS_TIMEOUT": "2",
        "KUBEMAIL_METRICS_PORT": "0",
    }
    h = _start_metadata(env)
    yield h
    _stop_metadata(h)


async def test_redis_down_gives_unavailable_and_nothing_half_written(
    fault_metadata: MetadataHandle, own_redis: RedisServer
) -> None:
    async for w in make_world(fault_metadata):
        await w.deliver(message("before"))
        raw = message("during")
        blob_id = await w.put(raw)
        inbox = await w.mailbox()
        own_redis.stop()
        req = messages_pb.DeliverRequest(
            blob_id=blob_id, size=len(raw), summary=summary(raw), deliveries=[messages_pb.Delivery(user_id=w.user.id)]
        )
        calls = [
            w.client.messages.Deliver(req),
            w.client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=w.user.id, name="INBOX")),
            w.client.messages.StoreFlags(
                messages_pb.StoreFlagsRequest(
                    user_id=w.user.id,
                    mailbox_id=inbox.id,
                    uids=[R(lo=1, hi=0)],
                    mode=messages_pb.StoreFlagsRequest.MODE_ADD,
                    flags=["\\Seen"],
                )
            ),
            w.client.directory.Authenticate(
                directory_pb.AuthenticateRequest(username="bob@example.test", password=b"secret")
            ),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as e:
                await call
            assert e.value.code() == C.UNAVAILABLE
            assert reason_of(e.value) == er.ERROR_REASON_BACKEND_UNAVAILABLE
        own_redis.start()
        mb = await w.mailbox()
        assert (mb.messages, mb.unseen, mb.uidnext) == (1, 1, 2)
        res = await w.client.messages.Deliver(req)
        assert res.delivered[0].uid == 2


async def test_s3_down_gives_unavailable(fault_metadata: MetadataHandle, own_s3: S3Server) -> None:
    import redis

    async for w in make_world(fault_metadata):
        raw = message("s3")
        await w.deliver(raw)
        blob_id = await w.put(raw)
        inbox = await w.mailbox()
        own_s3.stop(kill=True)
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await w.client.messages.Deliver(
                messages_pb.DeliverRequest(
                    blob_id=blob_id, size=len(raw), deliveries=[messages_pb.Delivery(user_id=w.user.id)]
                )
            )
        assert e.value.code() in (C.UNAVAILABLE, C.FAILED_PRECONDITION)
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await w.client.messages.Search(
                messages_pb.SearchRequest(user_id=w.user.id, mailbox_id=inbox.id, key=messages_pb.SearchKey(body="x"))
            )
        assert e.value.code() == C.UNAVAILABLE
        assert reason_of(e.value) == er.ERROR_REASON_BACKEND_UNAVAILABLE
        mb = await w.mailbox()
        assert mb.messages == 1
        r = redis.Redis.from_url(fault_metadata.redis_url)
        assert int(r.hget("{b:" + blob_id + "}", "refs")) == 1  # the failed Deliver released its reference


def test_every_script_error_token_is_a_reason() -> None:
    import re

    from services.metadata import lua

    bodies = "\n".join([lua.PRELUDE, *lua.USER_SCRIPTS.values(), *lua.PLAIN_SCRIPTS.values()])
    tokens = set(re.findall(r"\berr\('([A-Z_]+)'", bodies))
    assert tokens >= {"NO_SUCH_MAILBOX", "KEYWORD_LIMIT", "QUOTA_EXCEEDED", "LEASE_LOST", "MAILBOX_EXISTS"}
    for t in tokens:
        assert errors.from_token(t, "x").reason == er.ErrorReason.Value(errors.REASON_PREFIX + t)


def test_unknown_token_and_unexpected_errors_are_internal() -> None:
    assert errors.from_token("NOT_A_REASON", "x").reason == er.ERROR_REASON_INTERNAL
    assert errors._status(RuntimeError("boom"), "M").reason == er.ERROR_REASON_INTERNAL
    assert errors._status(ConnectionError("down"), "M").reason == er.ERROR_REASON_BACKEND_UNAVAILABLE
    assert set(errors.CODES) == set(er.ErrorReason.values()) - {
        er.ERROR_REASON_UNSPECIFIED, er.ERROR_REASON_TIMEOUT, er.ERROR_REASON_UNIMPLEMENTED
    }  # fmt: skip
