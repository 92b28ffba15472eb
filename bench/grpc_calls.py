"""Per-call cost of a metadata gRPC call through MetadataClient (issue #14: per-operation cost).

The suite's metadata service runs as its own process (scripts/suite.py via bench/_reference's
KubemailStack: redis-server + metadata); this process is the client. Each workload issues
`CALLS` unary calls, one after another ("sequential") and `CONCURRENCY` in flight
("concurrent"), with the actor header set as an IMAP session sets it. Reported per call:
wall time, this process's CPU (time.process_time) and the metadata process's CPU
(utime + stime from /proc/<pid>/stat, clock ticks). Each figure is the median of `ROUNDS`
rounds. The calls: GetMailbox of INBOX (a SELECT/STATUS), GetChanges of an unchanged INBOX
(what IMAP sends after every command) and a GetMailbox of a missing mailbox (the error path:
NOT_FOUND with its reason, a MetadataError on the client).

    python -m bench grpc_calls
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench._reference import KubemailStack
from services.common.actor import ACTOR
from services.common.grpcclient import MetadataClient, MetadataError
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb

CALLS = 3000
CONCURRENCY = 32
ROUNDS = 3
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


Call = Callable[[], Awaitable[Any]]


async def _sequential(call: Call, n: int) -> None:
    for _ in range(n):
        await call()


async def _concurrent(call: Call, n: int) -> None:
    per = n // CONCURRENCY

    async def worker() -> None:
        for _ in range(per):
            await call()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def measure(server_pid: int, call: Call, concurrent: bool) -> tuple[float, float, float]:
    """(wall, client CPU, server CPU) per call, in microseconds: the median of ROUNDS rounds."""
    run = _concurrent if concurrent else _sequential
    await run(call, 200)  # warm up: connection, first-call paths, metric children
    rounds = []
    for _ in range(ROUNDS):
        w, c, s = time.perf_counter(), time.process_time(), proc_cpu(server_pid)
        await run(call, CALLS)
        rounds.append((time.perf_counter() - w, time.process_time() - c, proc_cpu(server_pid) - s))
    n = CALLS // CONCURRENCY * CONCURRENCY if concurrent else CALLS
    return tuple(statistics.median(r[i] for r in rounds) / n * 1e6 for i in range(3))  # type: ignore[return-value]


async def run(km: KubemailStack) -> None:
    server = km.pid("metadata")
    uid = km.user_id
    ACTOR.set(uid)  # as an authenticated IMAP session: every call carries the actor header
    async with MetadataClient(km.env["KUBEMAIL_METADATA_ADDR"], 10) as md:
        inbox = (await md.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=uid, name="INBOX"))).mailbox
        get = mailboxes_pb.GetMailboxRequest(user_id=uid, name="INBOX")
        changes = messages_pb.GetChangesRequest(user_id=uid, mailbox_id=inbox.id, since_modseq=inbox.highest_modseq)
        missing = mailboxes_pb.GetMailboxRequest(user_id=uid, name="NoSuchBox")

        async def get_mailbox() -> None:
            await md.mailboxes.GetMailbox(get)

        async def get_changes() -> None:
            await md.messages.GetChanges(changes)

        async def not_found() -> None:
            try:
                await md.mailboxes.GetMailbox(missing)
            except MetadataError:
                return
            raise AssertionError("GetMailbox of a missing mailbox succeeded")

        print(f"   {CALLS} calls per round, median of {ROUNDS} rounds; per call, in us")
        print(f"   {'call':<24}{'mode':<12}{'wall':>8}{'client CPU':>12}{'server CPU':>12}")
        calls = (("GetMailbox INBOX", get_mailbox), ("GetChanges", get_changes), ("GetMailbox NOT_FOUND", not_found))
        for name, call in calls:
            for concurrent in (False, True):
                wall, client, srv = await measure(server, call, concurrent)
                mode = f"{CONCURRENCY} flight" if concurrent else "sequential"
                print(f"   {name:<24}{mode:<12}{wall:8.0f}{client:12.0f}{srv:12.0f}", flush=True)


def main() -> None:
    with KubemailStack(services=()) as km:
        asyncio.run(run(km))


if __name__ == "__main__":
    main()
