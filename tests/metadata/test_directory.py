"""Directory (domains, users, auth, recipient resolution) and mailbox management."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Literal

import grpc
import pytest
from argon2 import PasswordHasher, extract_parameters

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import limits_pb2 as limits_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import maildrop_pb2 as maildrop_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.metadata import directory
from tests.fixtures.seed import hash_password, seed_user
from tests.metadata.conftest import World, message

S = directory_pb.Resolution


async def test_authenticate(world: World) -> None:
    d = world.client.directory
    ok = await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@EXAMPLE.test", password=b"secret"))
    assert ok.ok and ok.user.id == world.user.id and not ok.user.password_hash and ok.user.has_password
    bad = await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@example.test", password=b"nope"))
    assert not bad.ok and bad.reason == "bad-credentials"
    unknown = await d.Authenticate(directory_pb.AuthenticateRequest(username="nobody@example.test", password=b"secret"))
    assert not unknown.ok and unknown.reason == "bad-credentials"
    garbage = await d.Authenticate(directory_pb.AuthenticateRequest(username="no-at-sign", password=b"secret"))
    assert not garbage.ok
    # alias login works; disabled user then disabled domain
    user = world.user
    user.aliases.append("robert@example.test")
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    assert (
        await d.Authenticate(directory_pb.AuthenticateRequest(username="robert@example.test", password=b"secret"))
    ).ok
    user.enabled = False
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    dis = await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@example.test", password=b"secret"))
    assert not dis.ok and dis.reason == "disabled"
    user.enabled = True
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    await d.UpsertDomain(
        directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name="example.test", enabled=False))
    )
    dis = await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@example.test", password=b"secret"))
    assert not dis.ok and dis.reason == "disabled"
    # an empty password_hash on update keeps the stored one
    await d.UpsertDomain(
        directory_pb.UpsertDomainRequest(domain=directory_pb.Domain(name="example.test", enabled=True))
    )
    assert (await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@example.test", password=b"secret"))).ok
    user.password_hash = hash_password("new")
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    assert (await d.Authenticate(directory_pb.AuthenticateRequest(username="bob@example.test", password=b"new"))).ok


async def test_resolve_recipients(world: World) -> None:
    d = world.client.directory
    fwd = await seed_user(world.client, "fwd@example.test", forward_to=["ext@remote.example"])
    off = await seed_user(world.client, "off@example.test")
    off.enabled = False
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=off))
    user = world.user
    user.aliases.append("postmaster@example.test")
    await d.UpsertUser(directory_pb.UpsertUserRequest(user=user))
    await d.UpsertDomain(
        directory_pb.UpsertDomainRequest(
            domain=directory_pb.Domain(name="example.test", enabled=True, aliases=["alias.test"])
        )
    )
    res = await d.ResolveRecipients(
        directory_pb.ResolveRecipientsRequest(
            addresses=[
                "bob@EXAMPLE.TEST",
                "bob+tag@example.test",
                "postmaster@example.test",
                "bob@alias.test",
                "fwd@example.test",
                "off@example.test",
                "ghost@example.test",
                "x@elsewhere.example",
                "no-at-sign",
                "@example.test",
                "bob@",
            ]
        )
    )
    got = [(r.status, list(r.user_ids), list(r.forward_to)) for r in res.results]
    me = [world.user.id]
    assert got == [
        (S.STATUS_LOCAL, me, []),
        (S.STATUS_LOCAL, me, []),
        (S.STATUS_LOCAL, me, []),
        (S.STATUS_LOCAL, me, []),
        (S.STATUS_LOCAL, [fwd.id], ["ext@remote.example"]),
        (S.STATUS_DISABLED, [], []),
        (S.STATUS_UNKNOWN_USER, [], []),
        (S.STATUS_NOT_LOCAL, [], []),
        (S.STATUS_INVALID, [], []),
        (S.STATUS_INVALID, [], []),
        (S.STATUS_INVALID, [], []),
    ]
    await d.UpsertDomain(
        directory_pb.UpsertDomainRequest(
            domain=directory_pb.Domain(name="example.test", enabled=True, catch_all="bob@example.test")
        )
    )
    res = await d.ResolveRecipients(directory_pb.ResolveRecipientsRequest(addresses=["ghost@example.test"]))
    assert res.results[0].status == S.STATUS_LOCAL and list(res.results[0].user_ids) == me


async def test_users_and_domains_crud(world: World) -> None:
    d = world.client.directory
    assert [x.name for x in (await d.ListDomains(directory_pb.ListDomainsRequest())).domains] == ["example.test"]
    u = (await d.GetUser(directory_pb.GetUserRequest(address="bob@example.test"))).user
    assert u.id == world.user.id and u.address == "bob@example.test"
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await seed_user(world.client, "x@example.test", aliases=["bob@example.test"])
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_ALIAS_TAKEN
    await world.deliver(message("to-purge"))
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await d.DeleteDomain(directory_pb.DeleteDomainRequest(name="example.test"))
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_DOMAIN_NOT_EMPTY
    gone = await d.DeleteUser(directory_pb.DeleteUserRequest(address="bob@example.test", purge_mail=True))
    assert gone.messages_removed == 1
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await d.GetUser(directory_pb.GetUserRequest(id=world.user.id))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    assert list((await d.ListUsers(directory_pb.ListUsersRequest(domain="example.test"))).users) == []
    await d.DeleteDomain(directory_pb.DeleteDomainRequest(name="example.test"))
    assert list((await d.ListDomains(directory_pb.ListDomainsRequest())).domains) == []


async def test_default_mailboxes_and_names(world: World) -> None:
    m, uid = world.client.mailboxes, world.user.id
    boxes = (await m.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid))).mailboxes
    assert {(b.name, b.special_use) for b in boxes} == {
        ("INBOX", ""),
        ("Drafts", "\\Drafts"),
        ("Sent", "\\Sent"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
        ("Archive", "\\Archive"),
    }
    assert len({b.uidvalidity for b in boxes}) == 6 and len({b.id for b in boxes}) == 6
    assert (await world.mailbox("inBox")).name == "INBOX"
    for bad in ["", "/a", "a/", "a//b", "a\x01b", "x" * 600, "a\x7f"]:
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await m.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name=bad))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await m.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="Sent"))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_MAILBOX_EXISTS  # from the create script
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await m.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=uid, name="inbox"))
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_INBOX_PROTECTED
    made = (await m.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="Projects/2024/Q1"))).mailbox
    assert made.name == "Projects/2024/Q1" and made.uidvalidity > max(b.uidvalidity for b in boxes)
    assert (await world.mailbox("Projects/2024")).name == "Projects/2024"  # parents created


async def test_rename_and_delete(world: World) -> None:
    m, uid = world.client.mailboxes, world.user.id
    await m.CreateMailbox(mailboxes_pb.CreateMailboxRequest(user_id=uid, name="a/b"))
    await world.deliver(message("in-child"), mailbox="a/b")
    a = await world.mailbox("a")
    renamed = (
        await m.RenameMailbox(mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="a", new_name="z"))
    ).mailbox
    assert renamed.id == a.id and renamed.name == "z"
    child = await world.mailbox("z/b")
    assert child.messages == 1
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.mailbox("a/b")
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    # renaming INBOX moves its messages (new UIDs) and leaves INBOX empty
    await world.deliver(message("i1"))
    await world.deliver(message("i2"))
    inbox = await world.mailbox()
    moved = (
        await m.RenameMailbox(mailboxes_pb.RenameMailboxRequest(user_id=uid, old_name="INBOX", new_name="Old"))
    ).mailbox
    assert moved.messages == 2 and moved.id != inbox.id and moved.uidnext == 3
    after = await world.mailbox()
    assert (after.messages, after.size_bytes, after.id, after.uidnext) == (0, 0, inbox.id, 3)
    q = await world.quota()
    assert q.messages == 3
    await m.DeleteMailbox(mailboxes_pb.DeleteMailboxRequest(user_id=uid, name="Old"))
    q = await world.quota()
    assert q.messages == 1
    # subscriptions
    await m.SetSubscribed(mailboxes_pb.SetSubscribedRequest(user_id=uid, name="Ghost", subscribed=True))
    subs = await m.ListMailboxes(mailboxes_pb.ListMailboxesRequest(user_id=uid, subscribed_only=True))
    assert "Ghost" in subs.subscribed_nonexistent and "INBOX" in [b.name for b in subs.mailboxes]


async def test_maildrop_lock_and_fencing(world: World) -> None:
    md, uid = world.client.maildrop, world.user.id
    a = await md.Acquire(maildrop_pb.AcquireRequest(user_id=uid, holder="s1", ttl_seconds=30))
    assert a.acquired and a.fencing_token > 0
    b = await md.Acquire(maildrop_pb.AcquireRequest(user_id=uid, holder="s2", ttl_seconds=30))
    assert not b.acquired
    await world.deliver(message("pop"), flags=("\\Deleted",))
    mb = await world.mailbox()
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await world.client.messages.Expunge(
            messages_pb.ExpungeRequest(user_id=uid, mailbox_id=mb.id, fencing_token=a.fencing_token + 1)
        )
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert getattr(e.value, "reason", None) == er.ERROR_REASON_LEASE_LOST  # from the expunge script
    assert (await world.mailbox()).messages == 1
    assert (
        await md.Refresh(maildrop_pb.RefreshRequest(user_id=uid, holder="s1", fencing_token=a.fencing_token))
    ).acquired
    await md.Release(maildrop_pb.ReleaseRequest(user_id=uid, holder="s1", fencing_token=a.fencing_token))
    c = await md.Acquire(maildrop_pb.AcquireRequest(user_id=uid, holder="s2", ttl_seconds=30))
    assert c.acquired and c.fencing_token > a.fencing_token
    # the old holder's token no longer works
    with pytest.raises(grpc.aio.AioRpcError):
        await world.client.messages.Expunge(
            messages_pb.ExpungeRequest(user_id=uid, mailbox_id=mb.id, fencing_token=a.fencing_token)
        )
    ex = await world.client.messages.Expunge(
        messages_pb.ExpungeRequest(user_id=uid, mailbox_id=mb.id, fencing_token=c.fencing_token)
    )
    assert list(ex.expunged) == [1]


async def test_limits(world: World) -> None:
    lim = world.client.limits
    req = limits_pb.HitRequest(bucket="auth-fail-ip", key="192.0.2.1", limit=3, window_seconds=60)
    counts = [(await lim.Hit(req)) for _ in range(4)]
    assert [c.count for c in counts] == [1, 2, 3, 4]
    assert [c.allowed for c in counts] == [True, True, True, False] and counts[3].retry_after_seconds > 0
    peek = await lim.Peek(limits_pb.PeekRequest(bucket=req.bucket, key=req.key, limit=req.limit, window_seconds=60))
    assert peek.count == 4 and not peek.allowed
    other = await lim.Peek(limits_pb.PeekRequest(bucket="auth-fail-ip", key="192.0.2.2", limit=3, window_seconds=60))
    assert other.count == 0 and other.allowed


async def test_backoff(world: World) -> None:
    lim = world.client.limits
    key = {"bucket": "auth-backoff", "key": "bob@example.test|192.0.2.1"}
    fail = limits_pb.BackoffFailRequest(**key, free_failures=3, base_seconds=1, max_seconds=2)  # type: ignore[arg-type]
    got = [await lim.BackoffFail(fail) for _ in range(3)]
    assert [(g.failures, g.retry_after_seconds) for g in got] == [(1, 0), (2, 0), (3, 1)]
    check = await lim.BackoffCheck(limits_pb.BackoffCheckRequest(**key))  # type: ignore[arg-type]
    assert (check.failures, check.retry_after_seconds) == (3, 1)
    # a failure while blocked is not counted and does not extend the block
    again = await lim.BackoffFail(fail)
    assert again.failures == 3 and again.retry_after_seconds == 1
    other = await lim.BackoffCheck(limits_pb.BackoffCheckRequest(bucket="auth-backoff", key="bob@example.test|x"))
    assert (other.failures, other.retry_after_seconds) == (0, 0)
    await asyncio.sleep(1.1)
    assert (await lim.BackoffCheck(limits_pb.BackoffCheckRequest(**key))).retry_after_seconds == 0  # type: ignore[arg-type]
    assert (await lim.BackoffFail(fail)).retry_after_seconds == 2  # doubled
    await asyncio.sleep(2.1)
    assert (await lim.BackoffFail(fail)).retry_after_seconds == 2  # capped at max_seconds
    await lim.BackoffReset(limits_pb.BackoffResetRequest(**key))  # type: ignore[arg-type]
    check = await lim.BackoffCheck(limits_pb.BackoffCheckRequest(**key))  # type: ignore[arg-type]
    assert (check.failures, check.retry_after_seconds) == (0, 0)
    with pytest.raises(grpc.aio.AioRpcError):
        await lim.BackoffFail(limits_pb.BackoffFailRequest(**key, base_seconds=10, max_seconds=5))  # type: ignore[arg-type]


async def test_unknown_user_costs_an_argon2_verify(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """#13 item 16: a login for an unknown user verifies a dummy hash with the same
    parameters, so its time does not tell unknown users from wrong passwords."""
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(directory, "_HASHER", Counting())
    d = world.client.directory
    for name in ("nobody@example.test", "nobody@unknown-domain.test", "no-at-sign", "bob@example.test"):
        before = len(calls)
        res = await d.Authenticate(directory_pb.AuthenticateRequest(username=name, password=b"guess"))
        assert not res.ok and res.reason == "bad-credentials"
        assert len(calls) == before + 1, f"{name}: no argon2 verify"
    dummy = calls[0]
    default = PasswordHasher()
    params = extract_parameters(dummy)
    assert (params.time_cost, params.memory_cost, params.parallelism, params.hash_len) == (
        default.time_cost,
        default.memory_cost,
        default.parallelism,
        default.hash_len,
    )

    async def median(name: str) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            await d.Authenticate(directory_pb.AuthenticateRequest(username=name, password=b"guess"))
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    known, unknown = await median("bob@example.test"), await median("nobody@example.test")
    assert unknown > known / 5, (known, unknown)  # loose: same order of magnitude, not a benchmark
