"""APPEND whose commit outlives the client's gRPC deadline (issue #13 item 18, decision 0010).

The metadata service is the real one on real Redis and S3; a server interceptor lets the
Append handler commit and then holds its reply past the IMAP server's deadline
(KUBEMAIL_GRPC_TIMEOUT=1), as a slow network or an overloaded pod would. The mail store must
retry the commit with the command's idempotency key (the retry finds the first commit), and a
NO after deadlines on every attempt must say the message may have been stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from services.common import config
from services.common.config import CommonConfig
from services.metadata.config import MetadataConfig
from services.metadata.server import start
from tests.fixtures.servers import LoopThread
from tests.imap.conftest import USER, ImapHandle, _seed, msg, start_imap, stop_imap


class LateReplies(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Runs `method` fully (its commit happens), then holds the reply of the next `times` calls
    for `delay` seconds; the client's deadline cancels the wait."""

    def __init__(self, method: str, delay: float) -> None:
        self.method = method
        self.delay = delay
        self.times = 0
        self.calls = 0

    async def intercept_service(
        self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.endswith("/" + self.method):
            return handler
        inner = handler.unary_unary

        async def late(request: Any, context: grpc.aio.ServicerContext) -> Any:
            resp = await inner(request, context)
            self.calls += 1
            if self.times > 0:
                self.times -= 1
                await asyncio.sleep(self.delay)
            return resp

        return grpc.unary_unary_rpc_method_handler(
            late, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )


@dataclasses.dataclass
class SlowWorld:
    imap: ImapHandle
    late: LateReplies


@pytest.fixture
def slow(backend_env: dict[str, str], tmp_path: Any) -> Iterator[SlowWorld]:
    late = LateReplies("Append", delay=5.0)
    env = {"KUBEMAIL_METADATA_LISTEN": "127.0.0.1:0", **backend_env}
    mloop = LoopThread()
    msrv = mloop.run(start(config.load(MetadataConfig, env), config.load(CommonConfig, env), interceptors=[late]))
    addr = f"127.0.0.1:{msrv.port}"
    env["KUBEMAIL_METADATA_ADDR"] = addr
    seed = LoopThread()
    user_id = seed.run(_seed(addr))
    seed.close()
    srv, lt = start_imap(env, KUBEMAIL_GRPC_TIMEOUT="1", KUBEMAIL_COMMIT_ATTEMPTS="2")
    yield SlowWorld(ImapHandle(srv.port_of("imap"), 0, srv, lt, env, user_id), late)
    stop_imap(srv, lt)
    mloop.run(msrv.stop(0))
    mloop.close()


def _inbox_uids(h: ImapHandle) -> list[int]:
    c = h.login()
    try:
        c.select("INBOX")
        typ, data = c.uid("SEARCH", "ALL")
        assert typ == "OK"
        return [int(x) for x in (data[0] or b"").split()]
    finally:
        c.logout()


def test_append_whose_reply_missed_the_deadline_is_stored_once_and_answered_ok(slow: SlowWorld) -> None:
    slow.late.times = 1  # the first attempt commits, its reply arrives after the deadline
    c = slow.imap.login(USER)
    typ, data = c.append("INBOX", None, None, msg(1))
    c.logout()
    assert slow.late.calls == 2  # the mail store retried once, with the same key
    assert typ == "OK", data
    m = re.search(rb"APPENDUID \d+ (\d+)", data[0])
    assert m is not None
    assert _inbox_uids(slow.imap) == [int(m.group(1))]  # exactly one message: the one we named


def test_append_no_after_deadlines_says_it_may_have_been_stored(slow: SlowWorld) -> None:
    slow.late.times = 100  # no attempt answers in time
    c = slow.imap.login(USER)
    typ, data = c.append("INBOX", None, None, msg(2))
    c.logout()
    assert typ == "NO"
    assert b"[UNAVAILABLE]" in data[0] and b"may have been stored" in data[0]
    assert slow.late.calls == 2  # both attempts committed-or-found the same message ...
    assert len(_inbox_uids(slow.imap)) == 1  # ... and it is there once: the NO was honest
