"""Side by side: outbound relay throughput, kubemail's relay vs Postfix's smtp(8), to one sink.

Both queues are filled first with --messages messages of --size octets for recipients at
sink.bench.test, with delivery held; then delivery is released and the clock runs until an
aiosmtpd sink on 127.0.0.2 (the same one for both, counting only) has taken every message.
kubemail: blobs put + Outbound.Queue, then `python -m services.relay` started in smarthost mode
(`[127.0.0.2]:port`, no TLS). Postfix: injected over its smtpd with `defer_transports = smtp`,
then `defer_transports =` and `postqueue -f`; `relayhost = [127.0.0.2]:port`. Both at 20
connections to the destination (Postfix's default_destination_concurrency_limit).

    python -m bench compare_relay     # or: python bench/compare_relay.py [--messages 1000]

Needs root and Debian's postfix (make bench-deps).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.smtp import SMTP, Envelope, Session

from bench._compare import Table, make_message, send_all
from bench._reference import KubemailStack, Postfix, _tmpdir
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig, load
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import outbound_pb2 as outbound_pb

SINK_HOST = "127.0.0.2"
RCPT_DOMAIN = "sink.bench.test"
CONCURRENCY = 20


class CountingSink:
    """aiosmtpd on SINK_HOST:0 in a thread; counts messages taken."""

    def __init__(self) -> None:
        self.count = 0
        self.loop = asyncio.new_event_loop()
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        return "250 2.0.0 OK"

    def start(self) -> CountingSink:
        ready = threading.Event()

        async def up() -> None:
            srv = await self.loop.create_server(lambda: SMTP(self, hostname="sink.bench"), SINK_HOST, 0)
            self.port = srv.sockets[0].getsockname()[1]
            ready.set()

        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(up(), self.loop)
        ready.wait(10)
        return self

    def wait(self, n: int, limit: float) -> float:
        start = time.perf_counter()
        while self.count < n and time.perf_counter() - start < limit:
            time.sleep(0.02)
        return time.perf_counter() - start


async def _fill_kubemail(env: dict[str, str], raws: list[bytes]) -> None:
    blobs = make_blobstore(load(CommonConfig, env))
    try:
        async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 30) as c:

            async def one(i: int) -> None:
                bid = await blobs.put(raws[i])
                await c.outbound.Queue(
                    outbound_pb.QueueRequest(
                        blob_id=bid,
                        mail_from="s@bench.test",
                        recipients=[f"r{i}@{RCPT_DOMAIN}"],
                        size=len(raws[i]),
                        idempotency_key=uuid.uuid4().hex,
                    )
                )

            for k in range(0, len(raws), 32):
                await asyncio.gather(*(one(i) for i in range(k, min(len(raws), k + 32))))
    finally:
        await blobs.close()


def _drain(sink: CountingSink, base: int, n: int, limit: float) -> float:
    """msg/s from now until the sink has `n` more than `base` (those already in count too)."""
    start, before = time.perf_counter(), sink.count - base
    while sink.count - base < n and time.perf_counter() - start < limit:
        time.sleep(0.02)
    return (sink.count - base - before) / (time.perf_counter() - start)


def kubemail_side(sink: CountingSink, raws: list[bytes], limit: float) -> float:
    """msg/s of the relay draining a full queue."""
    env = {
        "KUBEMAIL_RELAY_SMARTHOST": f"{SINK_HOST}:{sink.port}",
        "KUBEMAIL_RELAY_SMARTHOST_TLS": "none",
        "KUBEMAIL_RELAY_DESTINATION_CONCURRENCY": str(CONCURRENCY),
        "KUBEMAIL_RELAY_CONCURRENCY": str(CONCURRENCY * 2),
        "KUBEMAIL_RELAY_POLL_INTERVAL": "0.05",
    }
    base = sink.count
    with KubemailStack(services=(), extra_env=env) as km:
        asyncio.run(_fill_kubemail(km.env, raws))
        km.suite.start_service("relay")  # the clock starts when it is ready (process start excluded)
        return _drain(sink, base, len(raws), limit)


def postfix_side(sink: CountingSink, raws: list[bytes], limit: float) -> float:
    extra = (
        f"relayhost = [{SINK_HOST}]:{sink.port}\n"
        "defer_transports = smtp\n"
        f"default_destination_concurrency_limit = {CONCURRENCY}\n"
        "smtp_tls_security_level = none\n"
    )
    work = _tmpdir("ref-postfix-relay-")
    mail_root = work / "mail"
    mail_root.mkdir()
    base = sink.count
    try:
        return _postfix_run(sink, raws, limit, mail_root, work, extra, base)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _postfix_run(
    sink: CountingSink, raws: list[bytes], limit: float, mail_root: Path, work: Path, extra: str, base: int
) -> float:
    with Postfix(mail_root, work=work / "pf", extra_main=extra) as pf:
        errors: list[str] = []
        threads = [
            threading.Thread(target=send_all, args=(pf.smtp_port, raws[i::10], f"r{i}@{RCPT_DOMAIN}", errors))
            for i in range(10)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pf.postconf("defer_transports=")
        pf.command("reload")
        env = {**os.environ, "MAIL_CONFIG": str(pf.etc)}
        subprocess.run(["/usr/sbin/postqueue", "-c", str(pf.etc), "-f"], env=env, check=False, timeout=60)
        return _drain(sink, base, len(raws), limit)


def main(argv: list[str] | None = None) -> Table:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--size", type=int, default=10 * 1024)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv if argv is not None else [])
    raws = [make_message(i, args.size, f"r{i}@{RCPT_DOMAIN}") for i in range(args.messages)]
    sink = CountingSink().start()
    ks, ps = [], []
    for _ in range(args.rounds):  # alternate, so machine noise hits both sides alike
        ks.append(kubemail_side(sink, raws, 300))
        print(f"   kubemail relay: {ks[-1]:.0f} msg/s", flush=True)
        ps.append(postfix_side(sink, raws, 300))
        print(f"   postfix smtp:   {ps[-1]:.0f} msg/s", flush=True)
    table = Table("postfix")
    label = f"relay {args.messages} x {args.size // 1024} KiB to a local sink, {CONCURRENCY} connections"
    label += f" (best of {args.rounds})"
    table.add(label, "msg/s", max(ks), max(ps), True)
    table.print()
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
