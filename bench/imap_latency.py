"""Benchmark: SELECT, FETCH 1:* (FLAGS) and UID SEARCH UNSEEN latency on a large mailbox.

python bench/imap_latency.py [--messages 5000] [--runs 5] [--blob fs|s3]
"""

from __future__ import annotations

import argparse
import imaplib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._imap_common import ADDRESS, PASSWORD, deliver, imap_world
from tests.fixtures.servers import LoopThread


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
    args = ap.parse_args(argv if argv is not None else [])
    with imap_world(blob=args.blob) as w:
        t = time.perf_counter()
        lt = LoopThread()
        lt.run(deliver(w.env, w.user_id, args.messages, size=1024), timeout=600)
        lt.close()
        print(f"   delivered {args.messages} messages in {time.perf_counter() - t:.1f} s")
        c = imaplib.IMAP4("127.0.0.1", w.port)
        c.login(ADDRESS, PASSWORD)

        def select() -> None:
            typ, data = c.select("INBOX")
            assert typ == "OK" and int(data[0]) == args.messages

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
