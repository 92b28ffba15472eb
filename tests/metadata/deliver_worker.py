"""`python -m tests.metadata.deliver_worker ADDR USER_ID BLOB_ID SIZE N`: N concurrent Delivers.

Prints one line per delivery: "<uid> <modseq>". Used by the concurrency test as a
separate OS process so two processes race on the same mailbox.
"""

from __future__ import annotations

import asyncio
import sys

from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import messages_pb2 as messages_pb


async def main(addr: str, user_id: str, blob_id: str, size: int, n: int) -> None:
    sem = asyncio.Semaphore(64)
    async with MetadataClient(addr, timeout=60) as client:

        async def one() -> messages_pb.Delivered:
            async with sem:
                res = await client.messages.Deliver(
                    messages_pb.DeliverRequest(
                        blob_id=blob_id, size=size, deliveries=[messages_pb.Delivery(user_id=user_id)]
                    )
                )
                return res.delivered[0]

        results = await asyncio.gather(*(one() for _ in range(n)))
    sys.stdout.write("".join(f"{d.uid} {d.modseq}\n" for d in results))


if __name__ == "__main__":
    a = sys.argv[1:]
    asyncio.run(main(a[0], a[1], a[2], int(a[3]), int(a[4])))
