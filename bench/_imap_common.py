"""Shared setup for the IMAP benchmarks: own redis-server + moto S3 + metadata (in-process)
and the IMAP front-end (in-process, or as a `python -m services.imap` subprocess)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "operator")]

from bench._metadata_common import metadata_world  # noqa: E402
from tests.fixtures.servers import LoopThread, ServiceProcess  # noqa: E402

ADDRESS = "bench@example.test"
PASSWORD = "bench-password"


@dataclass
class ImapWorld:
    port: int
    env: dict[str, str]
    user_id: str
    pid: int


def make_message(i: int, size: int = 2048) -> bytes:
    head = (
        f"From: Sender {i % 50} <s{i % 50}@example.test>\r\nTo: {ADDRESS}\r\nSubject: bench message {i}\r\n"
        f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <b{i}@example.test>\r\n\r\n"
    ).encode()
    line = (f"{i:06d} " + "x" * 70 + "\r\n").encode()
    return head + line * max(1, (size - len(head)) // len(line))


async def _seed_user(addr: str) -> str:
    from services.common.grpcclient import MetadataClient
    from tests.fixtures.seed import seed_user

    async with MetadataClient(addr) as c:
        u = await seed_user(c, ADDRESS, PASSWORD)
        return str(u.id)


async def deliver(env: dict[str, str], user_id: str, n: int, size: int = 2048, seen_every: int = 2) -> None:
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig, load
    from services.common.grpcclient import MetadataClient
    from services.common.mime import build_summary
    from services.gen.kubemail.v1 import messages_pb2 as messages_pb

    blobs = make_blobstore(load(CommonConfig, env))
    sem = asyncio.Semaphore(32)
    async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"]) as c:

        async def one(i: int) -> None:
            raw = make_message(i, size)
            async with sem:
                bid = await blobs.put(raw)
                flags = ["\\Seen"] if seen_every and i % seen_every else []
                await c.messages.Deliver(
                    messages_pb.DeliverRequest(
                        blob_id=bid,
                        size=len(raw),
                        summary=build_summary(raw),
                        deliveries=[messages_pb.Delivery(user_id=user_id, flags=flags)],
                        idempotency_key=uuid.uuid4().hex,
                    )
                )

        for k in range(0, n, 256):
            await asyncio.gather(*(one(i) for i in range(k, min(n, k + 256))))
    await blobs.close()


@contextmanager
def imap_world(
    subprocess_server: bool = False, extra_env: dict[str, str] | None = None, blob: str = "s3"
) -> Iterator[ImapWorld]:
    with metadata_world(blob=blob) as md:
        lt = LoopThread()
        try:
            user_id = lt.run(_seed_user(md.addr))
            env = {**md.env, "KUBEMAIL_TRUSTED_NETWORKS": "127.0.0.0/8", **(extra_env or {})}
            if subprocess_server:
                penv = {
                    **env,
                    "KUBEMAIL_IMAP_TLS_PORT": "0",
                    "KUBEMAIL_IMAP_HOST": "127.0.0.1",
                    "KUBEMAIL_METRICS_PORT": "0",
                    "KUBEMAIL_IMAP_MAX_CONNECTIONS": "100000",
                    "KUBEMAIL_LOG_LEVEL": "WARNING",
                }
                imap = ServiceProcess("imap", penv, Path(tempfile.mkdtemp(prefix="imap-bench-"))).start()
                assert imap.proc is not None
                try:
                    yield ImapWorld(imap.ports["imap"], env, user_id, imap.proc.pid)
                finally:
                    imap.stop(30)
            else:
                from services.common import config
                from services.common.auth import AuthLimits
                from services.common.config import CommonConfig
                from services.imap.config import ImapConfig
                from services.imap.server import start

                srv = lt.run(
                    start(
                        config.load(ImapConfig, env),
                        config.load(CommonConfig, {**env, "KUBEMAIL_EPHEMERAL_PORTS": "true"}),
                        auth_limits=AuthLimits(fail_per_ip=0, fail_per_user=0, backoff_after=0),
                    )
                )
                try:
                    yield ImapWorld(srv.port_of("imap"), env, user_id, os.getpid())
                finally:
                    lt.run(srv.stop(2.0))
        finally:
            lt.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
