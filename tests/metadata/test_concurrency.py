"""Two OS processes x 500 concurrent Delivers into one mailbox: UIDs 1..1000, MODSEQ ascending."""

from __future__ import annotations

import asyncio
import itertools
import sys

import pytest

from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from tests.metadata.conftest import World, message

N = 500


@pytest.mark.timeout(180)
async def test_two_processes_concurrent_delivers(world: World) -> None:
    raw = message("race")
    blob_id = await world.put(raw)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.metadata.deliver_worker",
            world.handle.addr, world.user.id, blob_id, str(len(raw)), str(N),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    outs = await asyncio.gather(*(p.communicate() for p in procs))
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
    pairs = [tuple(map(int, line.split())) for out, _ in outs for line in out.decode().splitlines()]
    assert len(pairs) == 2 * N
    uids = sorted(u for u, _ in pairs)
    assert uids == list(range(1, 2 * N + 1))  # no gap, no duplicate
    by_uid = dict(pairs)
    modseqs = [by_uid[u] for u in uids]
    assert all(a < b for a, b in itertools.pairwise(modseqs))  # strictly increasing with UID
    mb = await world.mailbox()
    assert (mb.messages, mb.uidnext, mb.unseen, mb.size_bytes) == (2 * N, 2 * N + 1, 2 * N, 2 * N * len(raw))
    assert mb.highest_modseq == modseqs[-1]
    listed = await world.client.messages.ListUids(messages_pb.ListUidsRequest(user_id=world.user.id, mailbox_id=mb.id))
    assert list(listed.uids) == uids
    q = await world.quota()
    assert (q.used_bytes, q.messages) == (2 * N * len(raw), 2 * N)
