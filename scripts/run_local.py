"""`make run`: the whole suite on this machine with embedded defaults; Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from scripts.suite import Ports, Suite, create_demo  # noqa: E402

DOMAIN = os.environ.get("KUBEMAIL_DEMO_DOMAIN", "example.test")
USER = f"demo@{DOMAIN}"
PASSWORD = os.environ.get("KUBEMAIL_DEMO_PASSWORD", "demo-password")


def banner(suite: Suite) -> str:
    p = suite.ports
    lines = [
        "",
        "kubemail is running (Ctrl-C to stop). Logs and data: " + str(suite.workdir),
        f"  demo account   {USER}  password: {PASSWORD}",
        f"  SMTP (MX)      localhost:{p.smtp}        swaks --server localhost:{p.smtp} --to {USER}",
        f"  submission     localhost:{p.submission} (STARTTLS)  localhost:{p.smtps} (TLS)",
        f"                 swaks --server localhost:{p.submission} -tls --auth PLAIN --auth-user {USER} "
        f"--auth-password {PASSWORD} --to {USER} --from {USER}",
        f"  IMAP           localhost:{p.imap} (STARTTLS)  localhost:{p.imaps} (TLS)",
        f"                 python3 -c \"import imaplib; m=imaplib.IMAP4('localhost',{p.imap}); "
        f"m.login('{USER}','{PASSWORD}'); print(m.select())\"",
        f"  POP3           localhost:{p.pop3} (STLS)  localhost:{p.pop3s} (TLS)",
        f"  metadata gRPC  localhost:{p.metadata}",
        "  metrics        " + "  ".join(f"{k}: http://localhost:{v}/metrics" for k, v in p.metrics.items()),
        "  TLS uses a self-signed certificate for 'localhost' (clients must accept it).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    workdir = Path(os.environ.get("KUBEMAIL_RUN_DIR", "var/run")).resolve()
    suite = Suite(workdir, ports=Ports.fixed(), quiet=True)
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("starting redis-server, metadata, " + ", ".join(suite.services) + " ...", flush=True)
    try:
        suite.start()
        asyncio.run(create_demo(suite.env["KUBEMAIL_METADATA_ADDR"], DOMAIN, USER, PASSWORD))
        print(banner(suite), flush=True)
        while not stop:
            for name, proc in suite.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {suite.logs.get(name)}", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    finally:
        print("stopping ...", flush=True)
        suite.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
