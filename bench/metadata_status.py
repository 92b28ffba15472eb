"""GetMailbox (SELECT/STATUS) latency on a 100,000-message mailbox vs a 10-message one.

DESIGN.md invariant 6: the cost must not grow with the mailbox size, so the ratio should
be close to 1. The big mailbox is filled through the same Lua deliver script the service
uses (pipelined, bypassing gRPC) so that population takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from bench._metadata_common import metadata_world
from services.common import config
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from services.metadata import lua
from services.metadata.keys import blob as blob_key
from services.metadata.keys import user_prefix
from tests.fixtures.seed import seed_domain, seed_user

BIG = 100_000
SMALL = 10
SAMPLES = 2000


def populate(redis_url: str, user_id: str, blob_id: str, size: int, summary: bytes, n: int) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    script = r.register_script(lua.PRELUDE + lua.USER_SCRIPTS["deliver"])
    p = user_prefix(user_id)
    done = 0
    while done < n:
        pipe = r.pipeline(transaction=False)
        batch = min(2000, n - done)
        for _ in range(batch):
            script(keys=[p + "mbx"], args=[p, "", 60, blob_id, size, int(time.time()), summary, 0, 0, 1, "INBOX", ""],
                   client=pipe)  # fmt: skip
        pipe.execute()
        done += batch
    r.hincrby(blob_key(blob_id), "refs", n)


async def latency(client: MetadataClient, user_id: str) -> list[float]:
    req = mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX")
    for _ in range(100):
        await client.mailboxes.GetMailbox(req)
    out = []
    for _ in range(SAMPLES):
        t = time.perf_counter()
        await client.mailboxes.GetMailbox(req)
        out.append(time.perf_counter() - t)
    return out


async def run() -> None:
    with metadata_world() as h:
        client = MetadataClient(h.addr)
        blobs = make_blobstore(config.load(CommonConfig, h.env))
        await seed_domain(client, "bench.test")
        big = await seed_user(client, "big@bench.test")
        small = await seed_user(client, "small@bench.test")
        raw = b"From: a@b.c\r\nSubject: bench\r\n\r\n" + b"x" * 1000 + b"\r\n"
        blob_id = await blobs.put(raw)
        summary = mime_pb.MessageSummary(size=len(raw)).SerializeToString()
        t = time.perf_counter()
        await asyncio.to_thread(populate, h.redis_url, big.id, blob_id, len(raw), summary, BIG)
        await asyncio.to_thread(populate, h.redis_url, small.id, blob_id, len(raw), summary, SMALL)
        print(f"   populated {BIG} + {SMALL} messages in {time.perf_counter() - t:.1f} s")
        mb = (await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=big.id, name="INBOX"))).mailbox
        assert mb.messages == BIG, mb
        lat_small = await latency(client, small.id)
        lat_big = await latency(client, big.id)
        ms, mb_ = statistics.median(lat_small), statistics.median(lat_big)
        p99s = sorted(lat_small)[int(SAMPLES * 0.99)]
        p99b = sorted(lat_big)[int(SAMPLES * 0.99)]
        print(f"   GetMailbox {SMALL:>7} msgs: median {ms * 1e6:7.0f} us  p99 {p99s * 1e6:7.0f} us")
        print(f"   GetMailbox {BIG:>7} msgs: median {mb_ * 1e6:7.0f} us  p99 {p99b * 1e6:7.0f} us")
        print(f"   ratio big/small (median): {mb_ / ms:.2f}  (invariant 6: ~1.0)")
        await client.close()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
