"""POP3 under failure, over real sockets on the real metadata service (Redis + S3):
the maildrop lock (loss, fencing, refresh, release), blobs failing during RETR, and the
metadata service going away."""

from __future__ import annotations

import asyncio
import dataclasses
import poplib
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.common.blobstore import BlobStore, blob_id_of
from tests.pop3.conftest import ADDRESS, PASSWORD, Pop3Handle
from tests.pop3.test_session import Raw, login, msg


def login_when_free(h: Pop3Handle, timeout: float = 10.0) -> poplib.POP3:
    """Logs in, retrying while the maildrop is still locked ([IN-USE])."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return login(h)
        except poplib.error_proto as exc:
            assert b"IN-USE" in exc.args[0], exc
            assert time.monotonic() < deadline, "the maildrop lock was never freed"
            time.sleep(0.05)


def refused_in_use(h: Pop3Handle) -> bool:
    r = Raw(h.port)
    try:
        assert r.cmd(f"USER {ADDRESS}").startswith(b"+OK")
        reply = r.cmd(f"PASS {PASSWORD}")
        assert reply.startswith((b"+OK", b"-ERR [IN-USE]")), reply
        return reply.startswith(b"-ERR [IN-USE]")
    finally:
        r.close()


# --- 1. the lock is lost while the session is stuck ---------------------------------------


def test_stuck_session_loses_lock_and_its_quit_is_fenced(pop3_factory: Callable[..., Pop3Handle]) -> None:
    stuck_pod = pop3_factory(lock_ttl=1)  # the pod whose event loop will stall
    other_pod = pop3_factory(lock_ttl=30)
    uids = stuck_pod.deliver([msg(1), msg(2)])
    stale = Raw(stuck_pod.port)
    stale.login()
    assert stale.cmd("DELE 1").startswith(b"+OK")
    assert stale.cmd("DELE 2").startswith(b"+OK")

    gate = threading.Event()
    stuck_pod.loop.call(lambda: gate.wait(30))  # the whole pod hangs: no lock refresh
    try:
        fresh = login_when_free(other_pod)  # gets in once the TTL has run out
        stale.send("QUIT")  # queued while the stale session cannot run
    finally:
        gate.set()
    reply = stale.line()
    assert reply.startswith(b"-ERR [SYS/TEMP]"), reply
    assert stale.line() == b""  # closed
    assert stuck_pod.inbox()[1] == uids  # the stale session deleted nothing

    assert refused_in_use(stuck_pod)  # the stale session did not release the new holder's lock
    assert fresh.stat()[0] == 2
    fresh.dele(2)
    assert fresh.quit().startswith(b"+OK")  # the new holder works
    assert other_pod.inbox()[1] == uids[:1]


def test_fencing_token_refuses_a_stale_commit(pop3: Pop3Handle) -> None:
    """The Expunge itself is fenced: a holder that never noticed the loss cannot delete."""
    from services.pop3.maildrop import LockLostError, Maildrop, MaildropInUseError

    uids = pop3.deliver([msg(1), msg(2)])

    async def scenario() -> None:
        stale = Maildrop(pop3.client, pop3.user_id, 1)
        await stale.open()
        assert stale._refresher is not None
        stale._refresher.cancel()  # stuck: nothing keeps the lock alive
        stale.messages[0].deleted = True
        deadline = time.monotonic() + 10
        while True:
            fresh = Maildrop(pop3.client, pop3.user_id, 30)
            try:
                await fresh.open()
                break
            except MaildropInUseError:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert fresh.token > stale.token
        assert not stale.lost  # it has not noticed: only the fencing token can stop it
        with pytest.raises(LockLostError):
            await stale.commit()
        await stale.release()
        with pytest.raises(MaildropInUseError):
            await Maildrop(pop3.client, pop3.user_id, 30).open()
        fresh.messages[1].deleted = True
        assert await fresh.commit() == 1
        await fresh.release()

    pop3.run(scenario())
    assert pop3.inbox()[1] == uids[:1]


# --- 3. refresh while the session lives, release at its end -------------------------------


def test_lock_is_refreshed_while_the_session_lives(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(lock_ttl=2)
    uids = h.deliver([msg(1), msg(2)])
    r = Raw(h.port)
    r.login()
    assert r.cmd("DELE 1").startswith(b"+OK")
    start = time.monotonic()
    checks = 0
    while time.monotonic() - start < 3 * 2 + 0.5:  # several TTLs without a command
        assert refused_in_use(h)
        checks += 1
        time.sleep(0.8)
    assert checks >= 5
    reply = r.cmd("QUIT")
    assert reply.startswith(b"+OK"), reply  # the token is still the live one: the commit went through
    assert h.inbox()[1] == uids[1:]
    p = login(h)  # released at QUIT: in at once, no waiting for the TTL
    assert p.stat()[0] == 1
    p.quit()


def test_lock_is_released_at_disconnect(pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(lock_ttl=120)  # far longer than the test: only a release lets us in
    uids = h.deliver([msg(1)])
    r = Raw(h.port)
    r.login()
    assert r.cmd("DELE 1").startswith(b"+OK")
    r.close()
    p = login_when_free(h, timeout=5.0)
    assert p.stat()[0] == 1  # the dropped session deleted nothing
    p.quit()
    assert h.inbox()[1] == uids


# --- 2. blobs failing during RETR -----------------------------------------------------------


def test_missing_blob_gets_sys_temp_and_the_session_goes_on(pop3: Pop3Handle) -> None:
    lost, kept = msg(1), msg(2)
    pop3.deliver([lost, kept])
    pop3.run(pop3.blobs.delete(blob_id_of(lost)))  # gone from the real S3 bucket
    r = Raw(pop3.port)
    r.login()
    assert r.cmd("RETR 1").startswith(b"-ERR [SYS/TEMP]")
    assert r.cmd("TOP 1 0").startswith(b"-ERR [SYS/TEMP]")
    assert r.cmd("NOOP") == b"+OK\r\n"
    assert r.cmd("RETR 2").startswith(b"+OK")
    assert b"".join(r.multiline()) == kept
    assert r.cmd("QUIT").startswith(b"+OK")


def test_s3_down_gets_sys_temp(metadata: Any, pop3_factory: Callable[..., Pop3Handle]) -> None:
    from tests.fixtures.servers import S3Server

    own = S3Server().start()  # this pod's blob endpoint, which we will stop
    try:
        h = pop3_factory(env=own.env("pop3own"))
        raw = msg(1)
        h.run(h.blobs.put(raw))  # in the pod's endpoint ...

        async def also_for_metadata() -> None:  # ... and where the metadata service checks it
            from services.common import config
            from services.common.blobstore import make_blobstore
            from services.common.config import CommonConfig

            await make_blobstore(config.load(CommonConfig, metadata.env)).put(raw)

        h.run(also_for_metadata())
        h.deliver([raw])
        r = Raw(h.port)
        r.login()
        own.stop()
        assert r.cmd("RETR 1").startswith(b"-ERR [SYS/TEMP]")
        assert r.cmd("STAT").startswith(b"+OK 1 ")  # the session survives
        assert r.cmd("QUIT").startswith(b"+OK")
    finally:
        own.stop()


@dataclasses.dataclass
class GatedStore:
    """The real blob store, held after its first chunk until the test opens the gate
    (only to make the timing deterministic: the failure itself comes from S3)."""

    inner: BlobStore
    gate: threading.Event = dataclasses.field(default_factory=threading.Event)

    async def _stream(self, blob_id: str, offset: int, length: int | None) -> AsyncIterator[bytes]:
        chunks = self.inner.stream(blob_id, offset, length).__aiter__()
        yield await chunks.__anext__()
        await asyncio.to_thread(self.gate.wait, 30)
        async for chunk in chunks:
            yield chunk

    def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        return self._stream(blob_id, offset, length)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_blob_failing_mid_retr_closes_the_connection(pop3_factory: Callable[..., Pop3Handle]) -> None:
    stores: list[GatedStore] = []

    def wrap(inner: BlobStore) -> GatedStore:
        stores.append(GatedStore(inner))
        return stores[-1]

    h = pop3_factory(wrap_blobs=wrap)
    big = msg(1, b"".join(b"line %06d " % i + b"x" * 64 + b"\r\n" for i in range(8000)))  # ~3 S3 chunks
    h.deliver([big, msg(2)])
    r = Raw(h.port)
    r.login()
    assert r.cmd("DELE 2").startswith(b"+OK")
    assert r.cmd("RETR 1") == f"+OK {len(big)} octets\r\n".encode()
    assert r.line().startswith(b"From: ")  # the first chunk is on its way
    h.run(h.blobs.delete(blob_id_of(big)))  # the blob disappears from S3 mid-transfer
    stores[0].gate.set()
    rest = r.f.read()  # until the server hangs up
    assert len(rest) < len(big)
    assert not rest.endswith(b"\r\n.\r\n")  # no terminator: the client cannot take it as whole
    assert b"-ERR" not in rest
    p = login_when_free(h, timeout=5.0)  # the lock was released
    assert p.stat()[0] == 2  # and the DELE of the dead session was not applied
    p.quit()


# --- 5. the metadata service goes away -----------------------------------------------------


def _stop_metadata(metadata: Any) -> None:
    metadata.loop.run(metadata.server.stop(0))


def _restart_metadata(metadata: Any) -> None:
    from services.common import config
    from services.common.config import CommonConfig
    from services.metadata.config import MetadataConfig
    from services.metadata.server import start

    port = int(metadata.addr.rsplit(":", 1)[1])
    env = {**metadata.env, "KUBEMAIL_METADATA_LISTEN": f"127.0.0.1:{port}"}  # the address clients hold
    metadata.server = metadata.loop.run(start(config.load(MetadataConfig, env), config.load(CommonConfig, env)))


def test_metadata_unavailable_at_login_and_in_session(metadata: Any, pop3_factory: Callable[..., Pop3Handle]) -> None:
    h = pop3_factory(lock_ttl=2, env={"KUBEMAIL_GRPC_TIMEOUT": "2"})
    raws = [msg(1), msg(2)]
    uids = h.deliver(raws)
    inside = Raw(h.port)
    inside.login()  # snapshot taken before the outage
    assert inside.cmd("DELE 1").startswith(b"+OK")
    outside = Raw(h.port)
    _stop_metadata(metadata)
    try:
        assert outside.cmd(f"USER {ADDRESS}").startswith(b"+OK")
        assert outside.cmd(f"PASS {PASSWORD}").startswith(b"-ERR [SYS/TEMP]")
        outside.send("CAPA")  # still there, still in AUTHORIZATION
        assert outside.line().startswith(b"+OK")
        assert b"USER\r\n" in outside.multiline()
        # The maildrop was snapshotted at login (RFC 1939): STAT/LIST/UIDL need no metadata,
        # RETR reads the blob store.
        assert inside.cmd("STAT") == f"+OK 1 {len(raws[1])}\r\n".encode()
        assert inside.cmd("RETR 2").startswith(b"+OK")
        assert b"".join(inside.multiline()) == raws[1]
        assert inside.cmd("QUIT").startswith(b"-ERR [SYS/TEMP]")  # the UPDATE cannot be done
        assert inside.line() == b""  # closed cleanly
    finally:
        _restart_metadata(metadata)
    deadline = time.monotonic() + 20
    while True:  # the channel reconnects; the dead session's lock runs out with its TTL
        assert outside.cmd(f"USER {ADDRESS}").startswith(b"+OK")
        reply = outside.cmd(f"PASS {PASSWORD}")
        if reply.startswith(b"+OK"):
            break
        assert reply.startswith((b"-ERR [SYS/TEMP]", b"-ERR [IN-USE]")), reply
        assert time.monotonic() < deadline, reply
        time.sleep(0.2)
    assert outside.cmd("STAT") == f"+OK 2 {sum(map(len, raws))}\r\n".encode()  # nothing was deleted
    assert outside.cmd("QUIT").startswith(b"+OK")
    assert h.inbox()[1] == uids
