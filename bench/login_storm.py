"""A login storm against kubemail's IMAP (issue #14 item 2): N users log in at once, each with
its own connection, all from one client address, with argon2id hashes (t=3, m=64 MiB, p=1, the
bench's usual parameters) and the metadata service's defaults (KUBEMAIL_METADATA_HASH_WORKERS,
_HASH_QUEUE, _HASH_QUEUE_PER_SOURCE, the auth cache).

Wave 1: every user's first login (argon2 for each; logins beyond the per-source queue are
answered NO [UNAVAILABLE] at once and the client retries after 50 ms, as mail clients retry).
Wave 2: the same N logins again (served from the auth cache). Reports, per wave: logins that
failed for good (after 60 s), refusals retried, p50 / max time to a successful LOGIN, and the
metadata process's peak RSS (VmHWM) against the chart's 512 Mi limit.

    python -m bench login_storm            # or: python bench/login_storm.py --users 200
"""

from __future__ import annotations

import argparse
import imaplib
import statistics
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher

from bench._compare import HOST
from bench._reference import DOMAIN, PASSWORD, KubemailStack

CHART_LIMIT_MIB = 512
GIVE_UP = 60.0


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


Outcome = list[tuple[float, int, bool]]  # (seconds to a successful LOGIN, refusals retried, ok)


def _login(port: int, address: str, out: Outcome, lock: threading.Lock, go: threading.Event) -> None:
    go.wait()
    start = time.perf_counter()
    retries = 0
    ok = False
    while time.perf_counter() - start < GIVE_UP:
        try:
            c = imaplib.IMAP4(HOST, port, timeout=GIVE_UP)
            c.login(address, PASSWORD)
            ok = True
            c.logout()
            break
        except (imaplib.IMAP4.error, OSError):
            retries += 1
            time.sleep(0.05)
    with lock:
        out.append((time.perf_counter() - start, retries, ok))


def wave(port: int, users: list[str]) -> list[tuple[float, int, bool]]:
    out: list[tuple[float, int, bool]] = []
    lock, go = threading.Lock(), threading.Event()
    threads = [threading.Thread(target=_login, args=(port, u, out, lock, go)) for u in users]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200)
    args = ap.parse_args(argv if argv is not None else [])
    users = [f"storm{i:03d}@{DOMAIN}" for i in range(args.users)]
    hashed = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1).hash(PASSWORD)
    with KubemailStack(services=("imap",), users=tuple(users), password_hash=hashed) as km:
        pid = km.pid("metadata")
        print(f"   metadata RSS before: {_peak_rss_mib(pid):.0f} MiB (peak so far)", flush=True)
        for name in ("first logins (argon2)", "repeat logins (auth cache)"):
            res = wave(km.ports.imap, users)
            took = [t for t, _, ok in res if ok]
            failed = sum(1 for _, _, ok in res if not ok)
            retried = sum(r for _, r, _ in res)
            p50 = statistics.median(took) * 1000 if took else 0.0
            print(
                f"   {name}: {len(users)} at once, {failed} failed, {retried} refusals retried, "
                f"p50 {p50:.0f} ms, max {max(took, default=0) * 1000:.0f} ms; metadata peak RSS "
                f"{_peak_rss_mib(pid):.0f} MiB (chart limit {CHART_LIMIT_MIB} Mi)",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
