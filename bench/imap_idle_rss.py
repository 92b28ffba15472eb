"""Benchmark: resident memory per connection with many logged-in clients in IDLE.

Starts `python -m services.imap` as its own process, opens --clients raw sockets that log
in, SELECT INBOX and IDLE, and reports the server's RSS growth per connection.

    python bench/imap_idle_rss.py [--clients 1000]
"""

from __future__ import annotations

import argparse
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._imap_common import ADDRESS, PASSWORD, imap_world, rss_kib


def _expect(sock: socket.socket, token: bytes, timeout: float = 30.0) -> bytes:
    sock.settimeout(timeout)
    buf = b""
    while token not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(buf)
        buf += chunk
    return buf


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    args = ap.parse_args(argv if argv is not None else [])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.clients * 2 + 256)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    n = min(args.clients, want // 2 - 100)
    with imap_world(subprocess_server=True, blob="fs") as w:
        socks: list[socket.socket] = []
        warm = socket.create_connection(("127.0.0.1", w.port))
        _expect(warm, b"\r\n")
        warm.sendall(f'a LOGIN "{ADDRESS}" "{PASSWORD}"\r\nb SELECT INBOX\r\n'.encode())
        _expect(warm, b"b OK")
        time.sleep(0.5)
        base = rss_kib(w.pid)
        t = time.perf_counter()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", w.port))
            _expect(s, b"\r\n")
            s.sendall(f'a LOGIN "{ADDRESS}" "{PASSWORD}"\r\nb SELECT INBOX\r\nc IDLE\r\n'.encode())
            socks.append(s)
        for s in socks:
            _expect(s, b"+ idling")
        took = time.perf_counter() - t
        time.sleep(1.0)
        after = rss_kib(w.pid)
        print(
            f"   {n} idle sessions opened in {took:.1f} s; server RSS {base / 1024:.1f} MiB -> {after / 1024:.1f} MiB"
        )
        print(f"   {(after - base) / n:.1f} KiB per idle connection (logged in, INBOX selected, IDLE)")
        for s in socks:
            s.close()
        warm.close()


if __name__ == "__main__":
    main(sys.argv[1:])
