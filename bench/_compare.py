"""Client side of the side-by-side benchmarks: the same code drives kubemail and the reference.

Every workload takes a loopback port (and a login) and returns plain numbers; `Table` prints
them as kubemail / reference ratios. Nothing here asserts a timing.
"""

from __future__ import annotations

import imaplib
import platform
import poplib
import smtplib
import socket
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench._reference import PASSWORD

HOST = "127.0.0.1"


def make_message(i: int, size: int, to: str) -> bytes:
    """A plain RFC 5322 message of about `size` octets (CRLF line ends)."""
    head = (
        f"From: Sender {i % 50} <s{i % 50}@remote.test>\r\nTo: {to}\r\nSubject: bench message {i}\r\n"
        f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <c{i}.{size}@remote.test>\r\n\r\n"
    ).encode()
    line = (f"{i:07d} " + "x" * 70 + "\r\n").encode()
    return head + line * max(1, (size - len(head)) // len(line))


# ---------------------------------------------------------------- results


@dataclass
class Row:
    workload: str
    unit: str
    kubemail: float
    reference: float
    higher_is_better: bool

    @property
    def ratio(self) -> float:
        return self.kubemail / self.reference if self.reference else float("nan")


@dataclass
class Table:
    reference_name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, workload: str, unit: str, kubemail: float, reference: float, higher_is_better: bool) -> None:
        self.rows.append(Row(workload, unit, kubemail, reference, higher_is_better))

    def markdown(self) -> str:
        out = [
            f"| workload | unit | kubemail | {self.reference_name} | kubemail / {self.reference_name} | better |",
            "|---|---|---:|---:|---:|---|",
        ]
        for r in self.rows:
            out.append(
                f"| {r.workload} | {r.unit} | {r.kubemail:,.1f} | {r.reference:,.1f} | {r.ratio:.2f} | "
                f"{'higher' if r.higher_is_better else 'lower'} |"
            )
        return "\n".join(out)

    def print(self) -> None:
        when = time.strftime("%Y-%m-%d %H:%M %Z")
        print(f"\n   {when} on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
        print("\n".join("   " + line for line in self.markdown().splitlines()))
        for n in self.notes:
            print(f"   - {n}")


# ---------------------------------------------------------------- IMAP helpers


def imap_login(port: int, address: str) -> imaplib.IMAP4:
    c = imaplib.IMAP4(HOST, port, timeout=120)
    c.login(address, PASSWORD)
    return c


def imap_status_messages(port: int, address: str) -> int:
    c = imap_login(port, address)
    try:
        typ, data = c.status("INBOX", "(MESSAGES)")
        assert typ == "OK", data
        raw = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
        return int(raw.split("MESSAGES")[1].strip(" )"))
    finally:
        c.logout()


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return samples


def imap_latency(port: int, address: str, messages: int, runs: int = 5) -> dict[str, float]:
    """SELECT (first and warm), FETCH 1:* (FLAGS), FETCH 1:* (ENVELOPE BODYSTRUCTURE), UID SEARCH
    UNSEEN; milliseconds (medians)."""
    c = imap_login(port, address)
    try:

        def select() -> None:
            typ, data = c.select("INBOX")
            assert typ == "OK" and int(data[0] or 0) == messages, (typ, data)

        def fetch_flags() -> None:
            typ, data = c.fetch("1:*", "(FLAGS)")
            assert typ == "OK" and len(data) == messages, (typ, len(data))

        def fetch_headers() -> None:  # what a client's first sync of a mailbox asks (mutt, iOS)
            typ, data = c.fetch("1:*", "(ENVELOPE BODYSTRUCTURE)")
            assert typ == "OK" and len(data) >= messages, (typ, len(data))

        def search_unseen() -> None:
            typ, data = c.uid("SEARCH", "UNSEEN")
            assert typ == "OK" and len(data[0].split()) == messages // 2, (typ, len(data[0].split()))

        first = _timed(select, 1)[0]
        out = {"SELECT (first)": first * 1000, "SELECT": statistics.median(_timed(select, runs)) * 1000}
        out["FETCH 1:* (FLAGS)"] = statistics.median(_timed(fetch_flags, runs)) * 1000
        out["FETCH 1:* (ENVELOPE BODYSTRUCTURE)"] = statistics.median(_timed(fetch_headers, runs)) * 1000
        out["UID SEARCH UNSEEN"] = statistics.median(_timed(search_unseen, runs)) * 1000
        return out
    finally:
        c.logout()


def _append_fetch_client(
    port: int, address: str, stop: float, counts: list[int], errors: list[str], idx: int, size: int
) -> None:
    try:
        c = imap_login(port, address)
        c.select("INBOX")
        i = 0
        while time.monotonic() < stop:
            raw = make_message(idx * 1_000_000 + i, size, address)
            typ, data = c.append("INBOX", None, None, raw)
            if typ != "OK":
                errors.append(str(data))
                break
            uid = bytes(data[0] or b"").split(b"APPENDUID ")[1].split(b" ")[1].rstrip(b"]")
            typ, data = c.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            # unsolicited FETCH responses (other clients' appends) may come first
            body = next((d[1] for d in data if isinstance(d, tuple) and b"UID %s " % uid in d[0]), None)
            if typ != "OK" or body != raw:
                errors.append(f"fetch mismatch uid={uid!r} typ={typ}")
                break
            counts[0] += 1
            i += 1
        c.logout()
    except Exception as exc:  # reported, not raised: one broken client must not hide the numbers
        errors.append(repr(exc))


def imap_append_fetch(port: int, address: str, clients: int, seconds: float, size: int = 4096) -> dict[str, float]:
    """`clients` threads, one session each, APPEND a message then UID FETCH its body, for `seconds`."""
    counts = [[0] for _ in range(clients)]
    errors: list[str] = []
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_append_fetch_client, args=(port, address, stop, counts[k], errors, k, size))
        for k in range(clients)
    ]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.perf_counter() - t
    done = sum(c[0] for c in counts)
    if errors:
        print(f"   append/fetch errors ({len(errors)}): {errors[0]}")
    return {"pairs_per_second": done / took, "pairs": float(done), "errors": float(len(errors))}


def _expect(sock: socket.socket, token: bytes, timeout: float = 60.0) -> bytes:
    sock.settimeout(timeout)
    buf = b""
    while token not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(buf)
        buf += chunk
    return buf


def imap_idle_memory(
    port: int, address: str, clients: int, groups: dict[str, Callable[[], list[int]]]
) -> dict[str, dict[str, float]]:
    """Opens `clients` sessions (LOGIN, SELECT INBOX, IDLE) and reports, for each group of
    server-side processes, the memory growth per session: PSS (shared pages split fairly, the
    right sum over many processes) and RSS, both in KiB, plus PSS before/after in MiB."""
    from bench._reference import memory_kib

    warm = socket.create_connection((HOST, port))
    _expect(warm, b"\r\n")
    warm.sendall(f'a LOGIN "{address}" "{PASSWORD}"\r\nb SELECT INBOX\r\n'.encode())
    _expect(warm, b"b OK")
    time.sleep(1.0)
    before = {name: memory_kib(pids()) for name, pids in groups.items()}
    socks: list[socket.socket] = []
    try:
        for _ in range(clients):
            s = socket.create_connection((HOST, port))
            _expect(s, b"\r\n")
            s.sendall(f'a LOGIN "{address}" "{PASSWORD}"\r\nb SELECT INBOX\r\nc IDLE\r\n'.encode())
            socks.append(s)
        for s in socks:
            _expect(s, b"+ ")
        time.sleep(1.0)
        after = {name: memory_kib(pids()) for name, pids in groups.items()}
    finally:
        for s in socks:
            s.close()
        warm.close()
    return {
        name: {
            "rss_kib_per_conn": (after[name][0] - before[name][0]) / clients,
            "pss_kib_per_conn": (after[name][1] - before[name][1]) / clients,
            "pss_before_mib": before[name][1] / 1024,
            "pss_after_mib": after[name][1] / 1024,
        }
        for name in groups
    }


# ---------------------------------------------------------------- POP3


def pop3_list_retr(port: int, address: str, messages: int, runs: int = 3) -> dict[str, float]:
    """The best of `runs` sessions (the first one is cold on both systems; the best is the one
    least disturbed by other load on a shared machine)."""
    results = [_pop3_once(port, address, messages) for _ in range(runs)]
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "first_seconds": results[0]["seconds"]}


def _pop3_once(port: int, address: str, messages: int) -> dict[str, float]:
    """One session: USER/PASS, LIST, RETR 1..n; seconds for the whole and for the RETRs."""
    t0 = time.perf_counter()
    p = poplib.POP3(HOST, port, timeout=120)
    p.user(address)
    p.pass_(PASSWORD)
    _, listing, _ = p.list()
    assert len(listing) == messages, len(listing)
    t1 = time.perf_counter()
    total = 0
    for n in range(1, messages + 1):
        _, _lines, octets = p.retr(n)
        total += octets
    t_retr = time.perf_counter() - t1
    p.quit()
    took = time.perf_counter() - t0
    return {"seconds": took, "retr_seconds": t_retr, "messages_per_second": messages / took, "octets": float(total)}


# ---------------------------------------------------------------- SMTP


def send_all(port: int, raws: list[bytes], to: str, errors: list[str]) -> None:
    """Sends each message on one SMTP session, retrying 4xx; failures go to `errors`."""
    try:
        with smtplib.SMTP(HOST, port, local_hostname="bench.client", timeout=60) as s:
            for raw in raws:
                for _ in range(20):
                    try:
                        if s.sendmail("s@remote.test", [to], raw) == {}:
                            break
                    except smtplib.SMTPResponseException as exc:
                        if exc.smtp_code >= 500:
                            errors.append(str(exc))
                            break
                        s.rset()
                        time.sleep(0.05)
                else:
                    errors.append("gave up")
    except Exception as exc:
        errors.append(repr(exc))


def send_then_wait(
    raws: list[bytes],
    sessions: int,
    send: Callable[[list[bytes]], None],
    delivered: Callable[[], int],
    accepted: Callable[[], int],
    limit: float,
) -> tuple[float, float, bool]:
    """`sessions` threads, each `send(its share of raws)`, then a wait until `delivered()` reaches
    `accepted()` (what the sessions got a 250 for). (seconds to the last 250, seconds until
    delivered, whether the wait gave up after `limit` seconds from the start)."""
    threads = [threading.Thread(target=send, args=(raws[i::sessions],)) for i in range(sessions)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked = time.perf_counter() - start
    want = accepted()
    while delivered() < want:
        if time.perf_counter() - start > limit:
            return acked, time.perf_counter() - start, True
        time.sleep(0.05)
    return acked, time.perf_counter() - start, False


def smtp_ingest(
    smtp_port: int, imap_port: int, address: str, messages: int, size: int, sessions: int, limit: float = 170.0
) -> dict[str, float]:
    """`sessions` smtplib sessions send `messages` messages of `size`; time until the last 250 and
    until IMAP STATUS INBOX shows all of them (delivery included)."""
    raws = [make_message(i, size, address) for i in range(messages)]
    errors: list[str] = []
    acked, visible, gave_up = send_then_wait(
        raws,
        sessions,
        lambda share: send_all(smtp_port, share, address, errors),
        lambda: imap_status_messages(imap_port, address),
        lambda: messages - len(errors),
        limit,
    )
    if gave_up:
        errors.append("not all visible within the limit")
    if errors:
        print(f"   smtp errors ({len(errors)}): {errors[0]}")
    return {
        "messages_per_second": messages / visible,
        "acked_seconds": acked,
        "visible_seconds": visible,
        "errors": float(len(errors)),
    }
