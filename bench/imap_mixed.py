"""Mixed IMAP workload, kubemail vs Dovecot, same machine, same client code (issue #14 item 1).

N concurrent imaplib clients over a set of users run a weighted mix (LIST, STATUS, SELECT, FETCH
of flags and of a body, STORE, APPEND, EXPUNGE, NOOP) for a fixed time, in two modes:
- persistent: each client logs in once and keeps its session;
- login: each client session is LOGIN, SELECT INBOX, a handful of commands, LOGOUT.
Both systems use the same argon2id hashes (t=3, m=64 MiB, p=1: what `doveadm pw -s ARGON2ID` makes)
and keep an auth cache (kubemail's KUBEMAIL_METADATA_AUTH_CACHE_*, Dovecot's auth_cache_size).
Reports ops/s, p50/p99 per command and server CPU seconds per 1,000 commands (every server-side
process: kubemail imap + metadata + redis, Dovecot master and children, reaped ones included).

    python -m bench compare_dovecot # runs it after the other IMAP/POP3 workloads
    python -m bench imap_mixed      # only this; or: python bench/imap_mixed.py --clients 10 --seconds 20

Needs root and `apt-get install -y dovecot-imapd` (make bench-deps).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import imaplib
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from argon2 import PasswordHasher

from bench._compare import HOST, Table, make_message
from bench._reference import DOMAIN, PASSWORD, Dovecot, KubemailStack, fill_maildir, kubemail_deliver, process_tree

PART_OF = "compare_dovecot"  # `python -m bench` runs it there, not twice
MIX_USERS = tuple(f"mix{i:02d}@{DOMAIN}" for i in range(20))
# command -> weight (per 100 commands of a persistent session)
WEIGHTS = {
    "LIST": 8,
    "STATUS": 10,
    "SELECT": 8,
    "FETCH FLAGS": 22,
    "FETCH BODY": 14,
    "STORE": 14,
    "APPEND": 8,
    "EXPUNGE": 6,
    "NOOP": 10,
}
LOGIN_SESSION_COMMANDS = 5  # commands between LOGIN + SELECT and LOGOUT in login mode
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int], reaped_too: bool) -> float:
    """utime + stime of `pids` (+ the waited-for children's, which the kernel adds to the parent)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if reaped_too:
            total += int(fields[13]) + int(fields[14])
    return total / TICKS


@dataclasses.dataclass
class Result:
    ops: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latency: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def add(self, command: str, took: float) -> None:
        self.latency.setdefault(command, []).append(took)


class Client:
    """One imaplib session and the commands of the mix."""

    def __init__(self, port: int, address: str, rng: random.Random) -> None:
        self.port, self.address, self.rng = port, address, rng
        self.c: imaplib.IMAP4 | None = None
        self.exists = 0

    def login(self) -> None:
        self.c = imaplib.IMAP4(HOST, self.port, timeout=120)
        self.c.login(self.address, PASSWORD)

    def logout(self) -> None:
        if self.c is not None:
            self.c.logout()
            self.c = None

    def _ok(self, typ: str, data: object) -> None:
        if typ != "OK":
            raise imaplib.IMAP4.error(f"{typ} {data!r}")

    def select(self) -> None:
        assert self.c is not None
        typ, data = self.c.select("INBOX")
        self._ok(typ, data)
        self.exists = int(data[0] or 0)

    def run(self, command: str) -> None:
        c = self.c
        assert c is not None
        n = max(1, self.exists)
        if command == "LIST":
            self._ok(*c.list())
        elif command == "STATUS":
            self._ok(*c.status("Archive", "(MESSAGES UNSEEN UIDNEXT)"))
        elif command == "SELECT":
            self.select()
        elif command == "FETCH FLAGS":
            lo = self.rng.randint(1, n)
            self._ok(*c.fetch(f"{lo}:{min(n, lo + 19)}", "(UID FLAGS)"))
        elif command == "FETCH BODY":
            self._ok(*c.fetch(str(self.rng.randint(1, n)), "(BODY.PEEK[])"))
        elif command == "STORE":
            op = self.rng.choice(("+FLAGS", "-FLAGS"))
            self._ok(*c.store(str(self.rng.randint(1, n)), op, "(\\Seen)"))
        elif command == "APPEND":
            raw = make_message(self.rng.randint(0, 10**9), 2048, self.address)
            self._ok(*c.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw))
            self.exists += 1
        elif command == "EXPUNGE":
            # the newest message goes (mostly one this mix appended): the mailbox keeps its size
            self._ok(*c.store(str(n), "+FLAGS", "(\\Deleted)"))
            self._ok(*c.expunge())
            self.exists = max(0, self.exists - 1)
        elif command == "NOOP":
            self._ok(*c.noop())
        else:
            raise ValueError(command)


def _timed(result: Result, lock: threading.Lock, command: str, fn: Callable[[], None]) -> None:
    t = time.perf_counter()
    fn()
    took = time.perf_counter() - t
    with lock:
        result.ops += 1
        result.add(command, took)


def _worker(
    port: int, users: list[str], index: int, mode: str, until: float, result: Result, lock: threading.Lock
) -> None:
    rng = random.Random(index)
    commands, weights = list(WEIGHTS), list(WEIGHTS.values())
    client = Client(port, users[index % len(users)], rng)
    try:
        if mode == "persistent":
            client.login()
            client.select()
        while time.monotonic() < until:
            try:
                if mode == "login":
                    client.address = rng.choice(users)
                    _timed(result, lock, "LOGIN", client.login)
                    _timed(result, lock, "SELECT", client.select)
                    for command in rng.choices(commands, weights, k=LOGIN_SESSION_COMMANDS):
                        _timed(result, lock, command, lambda c=command: client.run(c))  # type: ignore[misc]
                    _timed(result, lock, "LOGOUT", client.logout)
                else:
                    command = rng.choices(commands, weights)[0]
                    _timed(result, lock, command, lambda c=command: client.run(c))  # type: ignore[misc]
            except (imaplib.IMAP4.error, OSError):
                with lock:
                    result.errors += 1
                client.c = None
                client.login()
                client.select()
    finally:
        try:
            client.logout()
        except Exception:
            pass


def run_mix(port: int, clients: int, seconds: float, mode: str, cpu: Callable[[], float]) -> Result:
    result = Result()
    lock = threading.Lock()
    users = list(MIX_USERS)
    until = time.monotonic() + seconds
    start, cpu0 = time.perf_counter(), cpu()
    threads = [
        threading.Thread(target=_worker, args=(port, users, i, mode, until, result, lock)) for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - start
    result.cpu = cpu() - cpu0
    return result


def _summary(name: str, mode: str, r: Result) -> str:
    per = ", ".join(f"{c} {statistics.median(v) * 1000:.1f}/{_p99(v) * 1000:.1f}" for c, v in sorted(r.latency.items()))
    return (
        f"   {name} {mode}: {r.ops / r.seconds:.0f} ops/s, {r.cpu / max(r.ops, 1) * 1000:.2f} CPU-s per 1,000 "
        f"commands, {r.errors} errors; p50/p99 ms: {per}"
    )


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _messages(n: int, to: str) -> list[bytes]:
    return [make_message(i, 4096, to) for i in range(n)]


def main(argv: list[str] | None = None) -> Table:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--messages", type=int, default=200, help="messages per user's INBOX")
    ap.add_argument("--modes", default="persistent,login")
    args = ap.parse_args(argv if argv is not None else [])
    modes = [m for m in args.modes.split(",") if m]
    hashed = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1).hash(PASSWORD)
    k: dict[str, Result] = {}
    r: dict[str, Result] = {}

    with KubemailStack(services=("imap",), extra_env={}, users=MIX_USERS, password_hash=hashed) as km:
        for address in MIX_USERS:  # (Archive is one of kubemail's default mailboxes)
            asyncio.run(kubemail_deliver(km.env, km.user_ids[address], _messages(args.messages, address)))
        pids = [km.pid(n) for n in ("imap", "metadata", "redis")]
        for mode in modes:
            k[mode] = run_mix(km.ports.imap, args.clients, args.seconds, mode, lambda: _cpu_seconds(pids, False))
            print(_summary("kubemail", mode, k[mode]), flush=True)

    with Dovecot(users=MIX_USERS, password_hash=hashed, auth_cache=True) as dc:
        for address in MIX_USERS:
            fill_maildir(dc.maildir_of(address), _messages(args.messages, address))
            (dc.maildir_of(address) / ".Archive").mkdir(exist_ok=True)
            for sub in ("cur", "new", "tmp"):
                (dc.maildir_of(address) / ".Archive" / sub).mkdir(exist_ok=True)
            dc.chown_mail()
        for mode in modes:
            r[mode] = run_mix(
                dc.imap_port, args.clients, args.seconds, mode, lambda: _cpu_seconds(process_tree(dc.pid), True)
            )
            print(_summary("dovecot", mode, r[mode]), flush=True)

    t = Table("dovecot")
    for mode in modes:
        label = "persistent sessions" if mode == "persistent" else "a login per session"
        t.add(
            f"mixed IMAP, {args.clients} clients over {len(MIX_USERS)} users, {label}",
            "ops/s",
            k[mode].ops / k[mode].seconds,
            r[mode].ops / r[mode].seconds,
            True,
        )
        t.add(
            f"server CPU per 1,000 commands, {label}",
            "CPU-s",
            k[mode].cpu / max(k[mode].ops, 1) * 1000,
            r[mode].cpu / max(r[mode].ops, 1) * 1000,
            False,
        )
        if "LOGIN" in k[mode].latency and "LOGIN" in r[mode].latency:
            t.add(
                f"LOGIN p50 ({label})",
                "ms",
                statistics.median(k[mode].latency["LOGIN"]) * 1000,
                statistics.median(r[mode].latency["LOGIN"]) * 1000,
                False,
            )
    for name, res in (("kubemail", k), ("dovecot", r)):
        for mode, one in res.items():
            if one.errors:
                t.notes.append(f"{name} {mode}: {one.errors} client errors (session restarted)")
    t.print()
    return t


if __name__ == "__main__":
    main(sys.argv[1:])
