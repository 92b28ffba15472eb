"""Benchmark: SELECT, FETCH 1:* (FLAGS) and UID SEARCH UNSEEN latency on a large mailbox.

python bench/imap_latency.py [--messages 5000] [--runs 5] [--blob fs|s3] [--slow-populate] [--subprocess]

The mailbox is filled fast by default: a few distinct small blobs are stored, and the
service's own deliver Lua script is run pipelined against Redis (what Deliver commits,
minus gRPC); --slow-populate delivers every message through Messages.Deliver instead.
"""

from __future__ import annotations

import argparse
import imaplib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._imap_common import ADDRESS, PASSWORD, deliver, imap_world, make_message
from tests.fixtures.servers import LoopThread

DISTINCT_BLOBS = 8


async def _store_blobs(env: dict[str, str]) -> list[tuple[str, int, bytes]]:
    from services.common.blobstore import make_blobstore
    from services.common.config import CommonConfig, load
    from services.common.mime import build_summary

    blobs = make_blobstore(load(CommonConfig, env))
    out = []
    for i in range(DISTINCT_BLOBS):
        raw = make_message(i, 1024)
        out.append((await blobs.put(raw), len(raw), build_summary(raw).SerializeToString()))
    await blobs.close()
    return out


def fast_populate(env: dict[str, str], redis_url: str, user_id: str, n: int, seen_every: int = 2) -> None:
    """n messages into INBOX through the deliver script, pipelined 2,000 at a time."""
    import redis

    from services.metadata import lua
    from services.metadata.keys import blob as blob_key
    from services.metadata.keys import user_prefix

    lt = LoopThread()
    try:
        stored = lt.run(_store_blobs(env))
    finally:
        lt.close()
    r = redis.Redis.from_url(redis_url)
    script = r.register_script(lua.PRELUDE + lua.USER_SCRIPTS["deliver"])
    p = user_prefix(user_id)
    now = int(time.time())
    for start in range(0, n, 2000):
        pipe = r.pipeline(transaction=False)
        for i in range(start, min(n, start + 2000)):
            bid, size, summary = stored[i % len(stored)]
            fl = "\\Seen" if seen_every and i % seen_every else ""
            args = [p, "", 60, bid, size, now, summary, 0, 0, 1, "INBOX", fl]
            script(keys=[p + "mbx"], args=args, client=pipe)
        pipe.execute()
    for i, (bid, _, _) in enumerate(stored):
        r.hincrby(blob_key(bid), "refs", len(range(i, n, len(stored))))
    r.close()


def _time(fn: object, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000, min(samples) * 1000


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--blob", default="fs", help="fs (default: bodies are not read here) or s3 (moto)")
    ap.add_argument("--slow-populate", action="store_true", help="one Messages.Deliver per message")
    ap.add_argument(
        "--subprocess", action="store_true", help="IMAP as its own process (not sharing the GIL with the client)"
    )
    args = ap.parse_args(argv if argv is not None else [])
    with imap_world(blob=args.blob, subprocess_server=args.subprocess) as w:
        t = time.perf_counter()
        if args.slow_populate:
            lt = LoopThread()
            lt.run(deliver(w.env, w.user_id, args.messages, size=1024), timeout=600)
            lt.close()
        else:
            fast_populate(w.env, w.env["KUBEMAIL_REDIS_URL"], w.user_id, args.messages)
        print(f"   delivered {args.messages} messages in {time.perf_counter() - t:.1f} s")
        c = imaplib.IMAP4("127.0.0.1", w.port)
        c.login(ADDRESS, PASSWORD)

        def select() -> None:
            typ, data = c.select("INBOX")
            assert typ == "OK" and int(data[0] or 0) == args.messages

        def fetch_flags() -> None:
            typ, data = c.fetch("1:*", "(FLAGS)")
            assert typ == "OK" and len(data) == args.messages

        def search_unseen() -> None:
            typ, _data = c.uid("SEARCH", "UNSEEN")
            assert typ == "OK"

        for name, fn in (("SELECT", select), ("FETCH 1:* (FLAGS)", fetch_flags), ("UID SEARCH UNSEEN", search_unseen)):
            med, best = _time(fn, args.runs)
            print(f"   {name:22s} median {med:8.1f} ms  best {best:8.1f} ms  ({args.messages} messages)")
        c.logout()


if __name__ == "__main__":
    main(sys.argv[1:])
