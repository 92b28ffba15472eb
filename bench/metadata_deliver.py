"""Deliver rate through gRPC with 10 KiB messages (blob stored once per message, then Deliver)."""

from __future__ import annotations

import asyncio
import os
import time

from bench._metadata_common import metadata_world
from services.common import config
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import mime_pb2 as mime_pb
from tests.fixtures.seed import seed_domain, seed_user

CONCURRENCY = 32
SIZE = 10 * 1024


async def run(blob: str, messages: int) -> None:
    with metadata_world(blob=blob) as h:
        client = MetadataClient(h.addr, timeout=60)
        blobs = make_blobstore(config.load(CommonConfig, h.env))
        await seed_domain(client, "bench.test")
        users = [await seed_user(client, f"u{i}@bench.test") for i in range(10)]
        bodies = [os.urandom(SIZE // 2).hex().encode()[:SIZE] for _ in range(messages)]
        t = time.perf_counter()
        ids = await asyncio.gather(*(blobs.put(b) for b in bodies[:200]))
        put_rate = 200 / (time.perf_counter() - t)
        ids += [await blobs.put(b) for b in bodies[200:]]
        sem = asyncio.Semaphore(CONCURRENCY)
        lat: list[float] = []

        async def one(i: int) -> None:
            async with sem:
                s = time.perf_counter()
                await client.messages.Deliver(
                    messages_pb.DeliverRequest(
                        blob_id=ids[i], size=SIZE, summary=mime_pb.MessageSummary(size=SIZE),
                        deliveries=[messages_pb.Delivery(user_id=users[i % len(users)].id)], idempotency_key=f"k{i}",
                    )
                )  # fmt: skip
                lat.append(time.perf_counter() - s)

        t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(messages)))
        took = time.perf_counter() - t
        lat.sort()
        print(f"   [{blob}] blob put: {put_rate:.0f} msg/s")
        print(f"   [{blob}] Deliver: {messages} x {SIZE} B at concurrency {CONCURRENCY}: {messages / took:.0f} msg/s")
        print(f"   latency median {lat[len(lat) // 2] * 1e3:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1e3:.1f} ms")
        await client.close()


def main() -> None:
    # moto's S3 server is single-threaded Python: the blob stat inside Deliver bounds the
    # S3 figure; the fs run shows what the service itself (gRPC + Redis scripts) sustains.
    asyncio.run(run("fs", int(os.environ.get("BENCH_MESSAGES", "3000"))))
    asyncio.run(run("s3", int(os.environ.get("BENCH_MESSAGES_S3", "1000"))))


if __name__ == "__main__":
    main()
