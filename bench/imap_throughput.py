"""Benchmark: APPEND and FETCH throughput with 10 and 50 concurrent imaplib clients.

The server runs as its own process (`python -m services.imap`); each client thread logs in
and alternates APPEND of a 4 KiB message and UID FETCH of its body for --seconds.

    python bench/imap_throughput.py [--clients 10,50] [--seconds 10] [--blob s3|fs]
"""

from __future__ import annotations

import argparse
import imaplib
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._imap_common import ADDRESS, PASSWORD, imap_world, make_message


def _client(port: int, stop: float, counts: list[int], errors: list[str], idx: int) -> None:
    try:
        c = imaplib.IMAP4("127.0.0.1", port, timeout=60)
        c.login(ADDRESS, PASSWORD)
        c.select("INBOX")
        i = 0
        while time.monotonic() < stop:
            raw = make_message(idx * 100000 + i, 4096)
            typ, data = c.append("INBOX", None, None, raw)
            if typ != "OK":
                errors.append(str(data))
                break
            uid = data[0].split(b"APPENDUID ")[1].split(b" ")[1].rstrip(b"]")
            typ, data = c.uid("FETCH", uid, "(BODY.PEEK[])")
            # unsolicited FETCH responses (other clients' changes) may come first
            body = next((d[1] for d in data if isinstance(d, tuple) and b"UID %s " % uid in d[0]), None)
            if typ != "OK" or body != raw:
                errors.append(f"fetch mismatch uid={uid!r} typ={typ}")
                break
            counts[0] += 1
            counts[1] += 1
            i += 1
        c.logout()
    except Exception as exc:
        errors.append(repr(exc))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="10,50")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--blob", default="s3")
    args = ap.parse_args(argv if argv is not None else [])
    with imap_world(subprocess_server=True, blob=args.blob) as w:
        for n in (int(x) for x in args.clients.split(",")):
            counts_per = [[0, 0] for _ in range(n)]
            errors: list[str] = []
            stop = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=_client, args=(w.port, stop, counts_per[k], errors, k)) for k in range(n)
            ]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            took = time.perf_counter() - t
            appends = sum(c[0] for c in counts_per)
            fetches = sum(c[1] for c in counts_per)
            print(
                f"   {n:3d} clients: {appends / took:7.1f} APPEND/s  {fetches / took:7.1f} FETCH/s  "
                f"({appends} round trips in {took:.1f} s, {len(errors)} errors{': ' + errors[0] if errors else ''})"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
