"""Side by side: IMAP and POP3, kubemail vs Dovecot, same machine, same client code.

Workloads (each on its own user, so one never changes another's numbers):
- IMAP SELECT (first and warm), FETCH 1:* (FLAGS), FETCH 1:* (ENVELOPE BODYSTRUCTURE), UID SEARCH
  UNSEEN on a --messages mailbox of 1 KiB messages, half of them \\Seen (and on --large messages
  when kubemail fills it in < 2 min);
- IMAP APPEND + UID FETCH BODY.PEEK[] round trips with --clients concurrent clients;
- POP3 USER/PASS + LIST + RETR of --pop3-messages x 10 KiB in one session;
- memory per idle IMAP connection (LOGIN, SELECT INBOX, IDLE) over --idle sessions, summed over
  every server-side process (kubemail: imap + metadata + redis; Dovecot: master and children).

Mailboxes are filled by each system's own bulk path: kubemail blob put + gRPC Deliver (the
path SMTP uses), Dovecot files written into the Maildir. kubemail runs as scripts/suite.py
processes with the fs blob backend; Dovecot is Debian's, a private instance on free ports.

    python -m bench compare_dovecot          # or: python bench/compare_dovecot.py --help

Needs root and `apt-get install -y dovecot-imapd dovecot-pop3d postfix`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import imap_mixed
from bench._compare import Table, imap_append_fetch, imap_idle_memory, imap_latency, make_message, pop3_list_retr
from bench._reference import DOMAIN, Dovecot, KubemailStack, fill_maildir, kubemail_deliver, process_tree

LATENCY, BIG, APPEND, POP, IDLE = (f"{n}@{DOMAIN}" for n in ("latency", "big", "append", "pop", "idle"))
WORKLOADS = ("latency", "append", "pop3", "idle", "mixed")
POPULATE_LIMIT = 120.0  # seconds kubemail may spend filling the large mailbox


def _mailbox(n: int, size: int, to: str) -> tuple[list[bytes], list[bool]]:
    return [make_message(i, size, to) for i in range(n)], [i % 2 == 1 for i in range(n)]


def _run_kubemail(args: argparse.Namespace, large: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with KubemailStack(services=("imap", "pop3")) as km:
        port = km.ports.imap

        def fill(address: str, raws: list[bytes], seen: list[bool] | None) -> float:
            t = time.perf_counter()
            asyncio.run(kubemail_deliver(km.env, km.user_ids[address], raws, seen))
            return time.perf_counter() - t

        if "latency" not in args.only:
            large = 0
        else:
            raws, seen = _mailbox(args.messages, 1024, LATENCY)
            took = fill(LATENCY, raws, seen)
            out["populate"] = {"seconds": took, "rate": args.messages / took}
            print(f"   kubemail: filled {args.messages} messages in {took:.1f} s ({args.messages / took:.0f}/s)")
            out["latency"] = imap_latency(port, LATENCY, args.messages, args.runs)
            print(f"   kubemail latency: {_fmt(out['latency'])}")
            if large < 0:
                projected = large * -1 / out["populate"]["rate"]
                large = -large if projected < POPULATE_LIMIT else 0
                if not large:
                    print(
                        f"   kubemail: skipping the large mailbox "
                        f"(projected fill {projected:.0f} s > {POPULATE_LIMIT:.0f} s)"
                    )
            if large:
                raws, seen = _mailbox(large, 1024, BIG)
                took = fill(BIG, raws, seen)
                out["populate_large"] = {"seconds": took, "rate": large / took}
                print(f"   kubemail: filled {large} messages in {took:.1f} s")
                out["latency_large"] = imap_latency(port, BIG, large, max(1, args.runs // 2))
                print(f"   kubemail latency ({large}): {_fmt(out['latency_large'])}")
        if "append" in args.only:
            out["append"] = imap_append_fetch(port, APPEND, args.clients, args.seconds)
            print(f"   kubemail append+fetch: {out['append']['pairs_per_second']:.1f}/s")
        if "pop3" in args.only:
            raws, _ = _mailbox(args.pop3_messages, 10 * 1024, POP)
            fill(POP, raws, None)
            out["pop3"] = pop3_list_retr(km.ports.pop3, POP, args.pop3_messages)
            print(f"   kubemail pop3: {out['pop3']['seconds']:.2f} s")
        if "idle" not in args.only:
            out["large"] = {"messages": float(large)}
            return out
        pids = {name: km.pid(name) for name in ("imap", "metadata", "redis")}
        groups = {"all": lambda: list(pids.values())} | {name: (lambda p=p: [p]) for name, p in pids.items()}
        mem = imap_idle_memory(port, IDLE, args.idle, groups)
        out["idle"] = mem["all"]
        out["idle_frontend"] = mem["imap"]
        out["idle_metadata"] = mem["metadata"]
        out["idle_redis"] = mem["redis"]
        print(f"   kubemail idle: {out['idle']['pss_kib_per_conn']:.1f} KiB/conn (PSS)")
    out["large"] = {"messages": float(large)}
    return out


def _run_dovecot(args: argparse.Namespace, large: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with Dovecot(max_connections=max(1000, args.idle * 2 + 100)) as dc:
        port = dc.imap_port

        def fill(address: str, raws: list[bytes], seen: list[bool] | None, new: bool = False) -> float:
            t = time.perf_counter()
            fill_maildir(dc.maildir_of(address), raws, seen, new=new)
            return time.perf_counter() - t

        if "latency" in args.only:
            raws, seen = _mailbox(args.messages, 1024, LATENCY)
            took = fill(LATENCY, raws, seen)
            out["populate"] = {"seconds": took, "rate": args.messages / took}
            out["latency"] = imap_latency(port, LATENCY, args.messages, args.runs)
            print(f"   dovecot latency: {_fmt(out['latency'])}")
            if large:
                raws, seen = _mailbox(large, 1024, BIG)
                fill(BIG, raws, seen)
                out["latency_large"] = imap_latency(port, BIG, large, max(1, args.runs // 2))
                print(f"   dovecot latency ({large}): {_fmt(out['latency_large'])}")
        if "append" in args.only:
            out["append"] = imap_append_fetch(port, APPEND, args.clients, args.seconds)
            print(f"   dovecot append+fetch: {out['append']['pairs_per_second']:.1f}/s")
        if "pop3" in args.only:
            raws, _ = _mailbox(args.pop3_messages, 10 * 1024, POP)
            fill(POP, raws, None, new=True)
            out["pop3"] = pop3_list_retr(dc.pop3_port, POP, args.pop3_messages)
            print(f"   dovecot pop3: {out['pop3']['seconds']:.2f} s")
        if "idle" not in args.only:
            return out
        out["idle"] = imap_idle_memory(port, IDLE, args.idle, {"all": lambda: process_tree(dc.pid)})["all"]
        print(f"   dovecot idle: {out['idle']['pss_kib_per_conn']:.1f} KiB/conn (PSS)")
    return out


def _fmt(d: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} ms" for k, v in d.items())


def main(argv: list[str] | None = None) -> Table:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000, help="mailbox size for the latency workload")
    ap.add_argument("--large", type=int, default=100_000, help="second, larger mailbox; 0 = off")
    ap.add_argument("--force-large", action="store_true", help="fill --large even if it takes > 2 min")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--pop3-messages", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=200)
    ap.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=set(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all)",
    )
    ap.add_argument("--mixed-seconds", type=float, default=20.0, help="per mode of bench/imap_mixed.py; 0 = skip")
    args = ap.parse_args(argv if argv is not None else [])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.idle * 4 + 512)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    # negative = "only if kubemail's measured fill rate projects under POPULATE_LIMIT"
    k = _run_kubemail(args, args.large if args.force_large else -args.large)
    large = int(k["large"]["messages"])
    r = _run_dovecot(args, large)

    t = Table("dovecot")
    for key, n in (("latency", args.messages), ("latency_large", large)):
        if key not in k or key not in r:
            continue
        for op, ms in k[key].items():
            t.add(f"IMAP {op}, {n:,} messages", "ms", ms, r[key][op], False)
    if "append" in k:
        t.add(f"IMAP APPEND + UID FETCH body (4 KiB), {args.clients} clients", "pairs/s",
              k["append"]["pairs_per_second"], r["append"]["pairs_per_second"], True)  # fmt: skip
    if "pop3" in k:
        t.add(f"POP3 USER/PASS + LIST + RETR {args.pop3_messages:,} x 10 KiB", "s",
              k["pop3"]["seconds"], r["pop3"]["seconds"], False)  # fmt: skip
    _notes(t, args, k, r, large)
    t.print()
    if args.mixed_seconds > 0 and "mixed" in args.only:
        print("   mixed IMAP workload (bench/imap_mixed.py):", flush=True)
        imap_mixed.main(["--seconds", str(args.mixed_seconds), "--clients", str(args.clients)])
    return t


def _notes(t: Table, args: argparse.Namespace, k: dict[str, dict[str, float]], r: dict[str, dict[str, float]],
           large: int) -> None:  # fmt: skip
    if "idle" in k:
        t.add(f"memory per idle IMAP connection (PSS, {args.idle} in IDLE)", "KiB",
              k["idle"]["pss_kib_per_conn"], r["idle"]["pss_kib_per_conn"], False)  # fmt: skip
        t.add("memory per idle IMAP connection (RSS)", "KiB",
              k["idle"]["rss_kib_per_conn"], r["idle"]["rss_kib_per_conn"], False)  # fmt: skip
    if "populate" in k:
        t.notes.append(
            f"kubemail filled {args.messages:,} messages in {k['populate']['seconds']:.1f} s "
            f"({k['populate']['rate']:.0f}/s via blob put + gRPC Deliver); Dovecot's Maildir files in "
            f"{r['populate']['seconds']:.1f} s"
        )
    if "populate_large" in k:
        t.notes.append(f"kubemail filled {large:,} messages in {k['populate_large']['seconds']:.1f} s")
    elif args.large and "latency" in args.only:
        t.notes.append(f"{args.large:,}-message mailbox skipped: kubemail's fill would take > {POPULATE_LIMIT:.0f} s")
    if "idle" in k:
        t.notes.append(
            f"kubemail idle PSS per connection by process: imap {k['idle_frontend']['pss_kib_per_conn']:.1f} KiB, "
            f"metadata {k['idle_metadata']['pss_kib_per_conn']:.1f} KiB, "
            f"redis {k['idle_redis']['pss_kib_per_conn']:.1f} KiB; total server-side PSS "
            f"{k['idle']['pss_before_mib']:.0f} -> {k['idle']['pss_after_mib']:.0f} MiB "
            f"(kubemail), {r['idle']['pss_before_mib']:.0f} -> {r['idle']['pss_after_mib']:.0f} MiB (dovecot)"
        )
    for name, res in (("kubemail", k), ("dovecot", r)):
        if "append" in res and res["append"]["errors"]:
            t.notes.append(f"{name}: {res['append']['errors']:.0f} append/fetch client errors")


if __name__ == "__main__":
    main(sys.argv[1:])
