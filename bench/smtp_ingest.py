"""Benchmark: SMTP ingest of 10 KiB messages over 10 concurrent sessions.

Starts its own redis-server and moto S3 server, `python -m services.metadata` and
`python -m services.smtp` as processes (as in production), then sends messages with
smtplib from 10 threads (one session each) and reports messages/s until every message
is visible through the metadata API (INBOX EXISTS count).

    python bench/smtp_ingest.py [--messages 1000] [--size 10240] [--sessions 10] [--fs] [--trust] [--rspamd]

--trust: the MX verifies every message (issue 15): SPF for s@remote.test and the HELO, the
message's DKIM signature (dkimpy, made here) and DMARC, against a dnsmasq serving the records;
--rspamd: every message is also scanned by a real rspamd (tests/fixtures/rspamd.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "operator")]

import dkim  # noqa: E402
from kubemail_operator import dkim as operator_dkim  # noqa: E402

from bench._compare import send_all, send_then_wait  # noqa: E402
from tests.fixtures.dns import DnsServer, Zone  # noqa: E402
from tests.fixtures.rspamd import RspamdServer  # noqa: E402

ADDRESS = "ingest@bench.test"


def make_message(i: int, size: int, key: bytes | None = None) -> bytes:
    head = f"From: s@remote.test\r\nTo: {ADDRESS}\r\nSubject: ingest {i}\r\nMessage-ID: <i{i}@bench.test>\r\n\r\n"
    line = (f"{i:06d} " + "y" * 70 + "\r\n").encode()
    raw = head.encode() + line * max(1, (size - len(head)) // len(line))
    if key is None:
        return raw
    return bytes(dkim.sign(raw, b"bench", b"remote.test", key, include_headers=[b"from", b"to", b"subject"])) + raw


def _trust_dns(key: bytes) -> DnsServer:
    zone = (
        Zone()
        .txt("remote.test", "v=spf1 ip4:127.0.0.1 -all")
        .txt("bench._domainkey.remote.test", operator_dkim.txt_value(key))
        .txt("_dmarc.remote.test", "v=DMARC1; p=reject")
    )
    return DnsServer(zone).start()


async def _seed(addr: str) -> str:
    from services.common.grpcclient import MetadataClient
    from tests.fixtures.seed import seed_user

    async with MetadataClient(addr, 10) as client:
        return str((await seed_user(client, ADDRESS)).id)


async def _visible(addr: str, user_id: str) -> int:
    from services.common.grpcclient import MetadataClient
    from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb

    async with MetadataClient(addr, 10) as client:
        mbox = (
            await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=user_id, name="INBOX"))
        ).mailbox
        return int(mbox.messages)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10 * 1024)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--fs", action="store_true", help="blobs in a local directory instead of moto S3")
    ap.add_argument("--trust", action="store_true", help="SPF/DKIM/DMARC verification at the MX")
    ap.add_argument("--rspamd", action="store_true", help="scan every message with a real rspamd")
    args = ap.parse_args(argv if argv is not None else [])

    from tests.fixtures.servers import RedisServer, S3Server, ServiceProcess

    work = Path(tempfile.mkdtemp(prefix="smtp-bench-"))
    redis = RedisServer(work / "redis").start()
    s3 = None if args.fs else S3Server().start()
    env = {
        "KUBEMAIL_REDIS_URL": redis.url,
        "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:50051",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
        "KUBEMAIL_LOG_LEVEL": "WARNING",
        "KUBEMAIL_SMTP_HOST": "127.0.0.1",
        "KUBEMAIL_SMTP_SUBMISSION_PORT": "0",
        "KUBEMAIL_SMTP_SUBMISSIONS_PORT": "0",
        "KUBEMAIL_SMTP_MSG_RATE_LIMIT": "0",
        **(s3.env(f"b{uuid.uuid4().hex[:12]}") if s3 else {"KUBEMAIL_BLOB_BACKEND": "fs"}),
        "KUBEMAIL_BLOB_DIR": str(work / "blobs"),
        "KUBEMAIL_SMTP_TRUST": "false",
    }
    key = None
    extra: list[Any] = []  # DnsServer, RspamdServer
    if args.trust:
        key = operator_dkim.generate_private_pem(2048)
        extra.append(_trust_dns(key))
        # loopback is trusted (never verified) by default: trust only a network nobody sends from
        env |= {
            "KUBEMAIL_SMTP_TRUST": "true",
            "KUBEMAIL_SMTP_DNS_SERVERS": extra[-1].address,
            "KUBEMAIL_TRUSTED_NETWORKS": "192.0.2.0/24",
        }
    if args.rspamd:
        extra.append(RspamdServer().start())
        env["KUBEMAIL_RSPAMD_URL"] = extra[-1].url
    procs = [ServiceProcess("metadata", env, work, log=work / "metadata.log")]
    try:
        procs[0].start()
        env["KUBEMAIL_METADATA_ADDR"] = f"127.0.0.1:{procs[0].ports['grpc']}"
        procs.append(ServiceProcess("smtp", env, work, log=work / "smtp.log").start())
        sport = procs[1].ports["mx"]
        user_id = asyncio.run(_seed(env["KUBEMAIL_METADATA_ADDR"]))
        raws = [make_message(i, args.size, key) for i in range(args.messages)]
        errors: list[str] = []
        acked, visible, _ = send_then_wait(  # (giving up after 170 s is not reported here)
            raws,
            args.sessions,
            lambda share: send_all(sport, share, ADDRESS, errors),
            lambda: asyncio.run(_visible(env["KUBEMAIL_METADATA_ADDR"], user_id)),
            lambda: args.messages - len(errors),
            170,
        )
        rate = args.messages / visible
        backend = "fs" if args.fs else "s3(moto)"
        checks = "+".join(n for n, on in (("trust", args.trust), ("rspamd", args.rspamd)) if on) or "no checks"
        print(
            f"   smtp ingest ({checks}): {args.messages} x {args.size} B over {args.sessions} sessions, "
            f"blobs {backend}: "
            f"{rate:.0f} msg/s ({acked:.2f} s to last 250, {visible:.2f} s until visible), errors {len(errors)}"
        )
        return {"messages_per_second": rate, "seconds": visible, "errors": float(len(errors))}
    finally:
        for p in reversed(procs):
            p.stop(15)
        if s3:
            s3.stop()
        for server in extra:
            server.close() if isinstance(server, RspamdServer) else server.stop()
        redis.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
