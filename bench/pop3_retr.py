"""Benchmark: POP3 LIST + RETR of 1,000 messages of 10 KiB through the real stack.

Starts a local redis-server, the metadata service and the POP3 front-end in-process (blobs
in a local directory, or S3 with --s3 ENDPOINT), delivers the messages through gRPC, then
times poplib's LIST + RETR of every message (and, optionally, fetchmail doing the same).

    python bench/pop3_retr.py [--messages 1000] [--size 10240] [--fetchmail]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import poplib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "operator")]

ADDRESS = "bench@example.test"
PASSWORD = "bench-password"


def make_message(i: int, size: int) -> bytes:
    head = f"From: b@example.test\r\nTo: {ADDRESS}\r\nSubject: bench {i}\r\nMessage-ID: <b{i}@example.test>\r\n\r\n"
    line = (f"{i:06d} " + "x" * 70 + "\r\n").encode()
    body = line * max(1, (size - len(head)) // len(line))
    return head.encode() + body


async def seed(client: object, blobs: object, user_id: str, raws: list[bytes]) -> None:
    from services.common.mime import build_summary
    from services.gen.kubemail.v1 import messages_pb2 as messages_pb

    sem = asyncio.Semaphore(16)

    async def one(raw: bytes) -> None:
        async with sem:
            blob_id = await blobs.put(raw)  # type: ignore[attr-defined]
            await client.messages.Deliver(  # type: ignore[attr-defined]
                messages_pb.DeliverRequest(
                    blob_id=blob_id,
                    size=len(raw),
                    summary=build_summary(raw),
                    deliveries=[messages_pb.Delivery(user_id=user_id)],
                    idempotency_key=uuid.uuid4().hex,
                )
            )

    # Deliver in order so that UIDs follow message numbers.
    for i in range(0, len(raws), 16):
        await asyncio.gather(*(one(r) for r in raws[i : i + 16]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10 * 1024)
    ap.add_argument("--fetchmail", action="store_true", help="also time fetchmail (keep mode) fetching all")
    args = ap.parse_args(argv if argv is not None else [])  # `python -m bench` passes its own argv

    from services.common import config
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig
    from services.common.grpcclient import MetadataClient
    from services.metadata.config import MetadataConfig
    from services.metadata.server import start as start_metadata
    from services.pop3.config import Pop3Config
    from services.pop3.server import start as start_pop3
    from tests.fixtures.seed import seed_user
    from tests.fixtures.servers import LoopThread, RedisServer

    work = Path(tempfile.mkdtemp(prefix="pop3-bench-"))
    redis = RedisServer(work / "redis").start()
    lt = LoopThread()
    try:
        env = {
            "KUBEMAIL_REDIS_URL": redis.url,
            "KUBEMAIL_BLOB_BACKEND": "fs",
            "KUBEMAIL_BLOB_DIR": str(work / "blobs"),
            "KUBEMAIL_METRICS_PORT": "0",
        }
        common = config.load(CommonConfig, env)
        meta = lt.run(
            start_metadata(config.load(MetadataConfig, env), dataclasses.replace(common, ephemeral_ports=True))
        )
        common = dataclasses.replace(common, metadata_addr=f"127.0.0.1:{meta.port}")
        pcfg = dataclasses.replace(config.load(Pop3Config, env), host="127.0.0.1")

        async def setup() -> tuple[object, object, object, str]:
            client = MetadataClient(common.metadata_addr)
            blobs = make_blobstore(common)
            user = await seed_user(client, ADDRESS, PASSWORD)
            srv = await start_pop3(pcfg, common)
            return client, blobs, srv, user.id

        client, blobs, srv, user_id = lt.run(setup())
        raws = [make_message(i, args.size) for i in range(args.messages)]
        t0 = time.perf_counter()
        lt.run(seed(client, blobs, user_id, raws), timeout=600)
        t_seed = time.perf_counter() - t0

        t0 = time.perf_counter()
        p = poplib.POP3("127.0.0.1", srv.port)  # type: ignore[attr-defined]
        p.user(ADDRESS)
        p.pass_(PASSWORD)
        t_login = time.perf_counter() - t0
        t1 = time.perf_counter()
        _, listing, _ = p.list()
        t_list = time.perf_counter() - t1
        assert len(listing) == args.messages
        t1 = time.perf_counter()
        total = 0
        for n in range(1, args.messages + 1):
            _, _lines, octets = p.retr(n)
            total += octets
        t_retr = time.perf_counter() - t1
        p.quit()
        total_time = time.perf_counter() - t0
        mib = total / 1024 / 1024
        print(f"messages             {args.messages} x {args.size} B")
        print(f"seed (Deliver)       {t_seed:8.2f} s")
        print(f"login + snapshot     {t_login * 1000:8.1f} ms")
        print(f"LIST                 {t_list * 1000:8.1f} ms")
        print(f"RETR all             {t_retr:8.2f} s  ({args.messages / t_retr:7.0f} msg/s, {mib / t_retr:6.1f} MiB/s)")
        print(f"LIST+RETR total      {total_time:8.2f} s")

        if args.fetchmail and shutil.which("fetchmail"):
            out = work / "fm"
            out.mkdir()
            rc = work / "fetchmailrc"
            rc.write_text(
                "set no syslog\n"
                f"poll 127.0.0.1 protocol pop3 port {srv.port} auth password\n"  # type: ignore[attr-defined]
                f'  user "{ADDRESS}" password "{PASSWORD}" is "root" here sslproto \'\' keep fetchall no rewrite\n'
                f"  mda \"/bin/sh -c 'cat > $(mktemp {out}/m.XXXXXXXX)'\"\n"
            )
            rc.chmod(0o600)
            t0 = time.perf_counter()
            subprocess.run(
                [
                    "fetchmail",
                    "-f",
                    str(rc),
                    "--nodetach",
                    "--idfile",
                    str(work / "ids"),
                    "--pidfile",
                    str(work / "pid"),
                ],
                env={**os.environ, "FETCHMAILHOME": str(work)},
                capture_output=True,
                check=False,
            )
            dt = time.perf_counter() - t0
            print(f"fetchmail (all)      {dt:8.2f} s  ({len(list(out.iterdir()))} messages)")

        async def teardown() -> None:
            await srv.stop(1.0)  # type: ignore[attr-defined]
            await client.close()  # type: ignore[attr-defined]
            await meta.stop(0)

        lt.run(teardown())
    finally:
        lt.close()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
