"""Redis memory per stored message and per user, for the sizing table in docs/operations.md.

A private redis-server (AOF, Redis defaults for encodings), the metadata service in-process and
fs blobs. Messages go through the real path: blob put, services.common.mime.build_summary (the
summary SMTP ingest stores), gRPC Deliver with an idempotency key (as SMTP sends one), to one to
three local users at a time, some with flags. The figure is the growth of `INFO memory`
used_memory (what `maxmemory` is compared with) divided by the stored copies (one per
recipient; a message to three users is three mailbox entries). Idempotency keys live for
KUBEMAIL_METADATA_IDEMPOTENCY_TTL_SECONDS (24 h): the script reports the cost with them and
after deleting them (the steady state of mail older than a day).

Env: BENCH_MESSAGES (default 10,000 per profile), BENCH_MESSAGES_LARGE (default 50,000, medium
profile only, run only when the 10,000 run projects it under 5 minutes), BENCH_USERS (default
1,000 empty users for the per-user figure).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from bench._metadata_common import metadata_world
from services.common import config
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.mime import build_summary
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from tests.fixtures.seed import hash_password, seed_domain

CONCURRENCY = 32
MAILBOX_USERS = 10  # 10,000 messages -> about 2,000 per mailbox: past every listpack threshold
GIB = 1 << 30
MAXMEMORY_PERCENT = 80  # charts/kubemail values redis.maxmemoryPercent


@dataclass(frozen=True)
class Profile:
    name: str
    headers: int  # header fields in the message
    to: int  # addresses in To
    cc: int  # addresses in Cc
    multipart: int  # 0 = text/plain; else parts in multipart/mixed (last one an attachment)
    body: int  # bytes of body text per part


PROFILES = [
    Profile("small", headers=7, to=1, cc=0, multipart=0, body=1_500),
    Profile("medium", headers=12, to=2, cc=2, multipart=2, body=4_000),
    Profile("large", headers=20, to=4, cc=3, multipart=4, body=6_000),
]

FLAGS: list[tuple[str, ...]] = [(), (), (), ("\\Seen",), ("\\Seen",), ("$Junk",), ("\\Flagged", "\\Seen"), ()]


def raw_message(p: Profile, i: int, rng: random.Random) -> bytes:
    """A realistic message with p.headers header fields (Received, DKIM-Signature, List-* ...)."""
    to = ", ".join(f'"User {i % 97} {k}" <user{k}.{i % 53}@example.test>' for k in range(p.to))
    fields = [
        f"Return-Path: <sender{i % 211}@lists.example.org>",
        f'From: "Sender Number {i % 211}" <sender{i % 211}@lists.example.org>',
        f"To: {to}",
        f"Subject: Re: quarterly report {i} - figures for the review meeting",
        f"Date: Mon, 2 Mar 2026 {i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d} +0100",
        f"Message-ID: <{i}.{rng.getrandbits(48):012x}@lists.example.org>",
    ]
    optional = [
        f"Cc: {', '.join(f'<cc{k}.{i % 31}@example.test>' for k in range(p.cc))}" if p.cc else "",
        "MIME-Version: 1.0",
        f"In-Reply-To: <{i - 1}.parent@lists.example.org>",
        f"References: <{i - 3}.root@lists.example.org> <{i - 2}.x@lists.example.org>"
        f" <{i - 1}.parent@lists.example.org>",
        "Received: from mx.lists.example.org (mx.lists.example.org [192.0.2.25])\r\n"
        f"\tby mail.example.test (kubemail) with ESMTPS id {rng.getrandbits(40):010x}\r\n"
        f"\tfor <user0.{i % 53}@example.test>; Mon, 2 Mar 2026 10:00:00 +0100",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.org; s=k1;\r\n"
        "\th=from:to:subject:date:message-id; bh=" + os.urandom(32).hex()[:44] + ";\r\n"
        "\tb=" + os.urandom(128).hex()[:172],
        "List-Id: <report.lists.example.org>",
        "List-Unsubscribe: <mailto:unsubscribe@lists.example.org>, <https://lists.example.org/u/x>",
        "Reply-To: <report@lists.example.org>",
        "X-Mailer: Example Mailer 4.2",
        "Authentication-Results: mail.example.test; spf=pass smtp.mailfrom=lists.example.org; dkim=pass",
        "X-Spam-Score: -0.1",
        "Thread-Topic: quarterly report",
        "Precedence: list",
        "Received: from [198.51.100.7] by mx.lists.example.org with ESMTP; Mon, 2 Mar 2026 09:59:58 +0100",
        "Content-Language: en-US",
    ]
    fields += [f for f in optional if f][: max(0, p.headers - len(fields) - 1)]  # + Content-Type
    text = " ".join(rng.choice(WORDS) for _ in range(p.body // 6))[: p.body]
    if not p.multipart:
        fields.append("Content-Type: text/plain; charset=utf-8")
        body = text
    else:
        b = f"b{i:08d}"
        fields.append(f'Content-Type: multipart/mixed; boundary="{b}"')
        parts = [f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"]
        for _ in range(1, p.multipart - 1):
            parts.append(f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{text}</p>\r\n")
        att = os.urandom(p.body // 2).hex()
        parts.append(
            f'--{b}\r\nContent-Type: application/pdf; name="report-{i}.pdf"\r\n'
            f'Content-Disposition: attachment; filename="report-{i}.pdf"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{att}\r\n"
        )
        body = "".join(parts) + f"--{b}--"
    return ("\r\n".join(fields) + "\r\n\r\n" + body + "\r\n").encode()


WORDS = "the report figures meeting quarter review budget team please find attached numbers".split()


def used_memory(r: Any) -> int:
    return int(r.info("memory")["used_memory"])


def drop_idempotency_keys(r: Any) -> int:
    n = 0
    for k in r.scan_iter(match="*:idem:*", count=1000):
        n += r.delete(k)
    return n


async def make_users(client: MetadataClient, prefix: str, n: int) -> list[str]:
    pw = hash_password("secret")
    sem = asyncio.Semaphore(16)

    async def one(i: int) -> str:
        async with sem:
            user = directory_pb.User(address=f"{prefix}{i}@bench.test", password_hash=pw, enabled=True)
            resp = await client.directory.UpsertUser(directory_pb.UpsertUserRequest(user=user))
            return str(resp.user.id)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def deliver_all(
    client: MetadataClient, blobs: BlobStore, p: Profile, users: list[str], n: int, tag: str
) -> tuple[int, int, float]:
    """Delivers n messages (1-3 recipients each); returns (copies stored, header bytes, seconds)."""
    rng = random.Random(n)
    sem = asyncio.Semaphore(CONCURRENCY)
    copies = header_bytes = 0

    async def one(i: int) -> None:
        nonlocal copies, header_bytes
        raw = raw_message(p, i, rng)
        rcpts = [users[(i + k) % len(users)] for k in range(1 + i % 3)]
        async with sem:
            blob_id = await blobs.put(raw)
            summary = build_summary(raw)
            await client.messages.Deliver(
                messages_pb.DeliverRequest(
                    blob_id=blob_id,
                    size=len(raw),
                    summary=summary,
                    deliveries=[messages_pb.Delivery(user_id=u, flags=list(FLAGS[i % len(FLAGS)])) for u in rcpts],
                    idempotency_key=f"{tag}-{i}-{rng.getrandbits(64):016x}",
                )
            )
        copies += len(rcpts)
        header_bytes += summary.header_size

    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return copies, header_bytes // n, time.perf_counter() - t


def per_gib(per_copy: float) -> int:
    return int(GIB * MAXMEMORY_PERCENT / 100 / per_copy)


async def run(n: int, n_large: int, n_users: int) -> None:
    import redis

    with metadata_world(blob="fs") as h:
        client = MetadataClient(h.addr, timeout=60)
        blobs = make_blobstore(config.load(CommonConfig, h.env))
        r = redis.Redis.from_url(h.redis_url)
        await seed_domain(client, "bench.test")

        base = used_memory(r)
        await make_users(client, "empty", n_users)
        per_user = (used_memory(r) - base) / n_users
        print(f"   empty user (directory record + default mailboxes): {per_user:,.0f} B  ({n_users} users)")

        rows: list[tuple[str, int, int, int, float, float]] = []
        runs = [(p, n) for p in PROFILES]
        for k, (p, count) in enumerate(runs):
            users = await make_users(client, f"{p.name}{count}-", MAILBOX_USERS)
            before = used_memory(r)
            copies, hdr, took = await deliver_all(client, blobs, p, users, count, f"{p.name}{count}")
            with_idem = used_memory(r)
            dropped = drop_idempotency_keys(r)
            after = used_memory(r)
            a, b = (with_idem - before) / copies, (after - before) / copies
            rows.append((p.name, count, copies, hdr, a, b))
            print(
                f"   {p.name:6} {count:>6} messages -> {copies:>6} copies, header {hdr} B: "
                f"{a:,.0f} B/copy with idempotency keys, {b:,.0f} B/copy without "
                f"({dropped} keys dropped; {count / took:.0f} msg/s)",
                flush=True,
            )
            if p.name == "medium" and count == n and n_large > n:
                projected = took * n_large / n
                if projected < 300:
                    runs.insert(k + 1, (p, n_large))
                else:
                    print(f"   ({n_large} messages skipped: projected {projected:.0f} s)")

        print(f"   messages per GiB of Redis memory limit (maxmemory = {MAXMEMORY_PERCENT}%):")
        for name, count, copies, hdr, a, b in rows:
            print(
                f"   {name:6} N={count:>6} ({copies} copies, header {hdr} B): "
                f"{per_gib(a):>9,} with idempotency keys, {per_gib(b):>9,} steady"
            )
        print(f"   empty users per GiB: {per_gib(per_user):,}")
        r.close()
        await client.close()


def main() -> None:
    n = int(os.environ.get("BENCH_MESSAGES", "10000"))
    large = int(os.environ.get("BENCH_MESSAGES_LARGE", "50000"))
    asyncio.run(run(n, large, int(os.environ.get("BENCH_USERS", "1000"))))


if __name__ == "__main__":
    main()
