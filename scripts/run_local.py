"""`make run`: the whole suite on this machine with embedded defaults; Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from scripts.suite import LOCAL_SERVICES, Ports, Suite, create_demo  # noqa: E402
from tests.fixtures.rspamd import RspamdServer  # noqa: E402

DOMAIN = os.environ.get("KUBEMAIL_DEMO_DOMAIN", "example.test")
USER = f"demo@{DOMAIN}"
PASSWORD = os.environ.get("KUBEMAIL_DEMO_PASSWORD", "demo-password")


def banner(suite: Suite) -> str:
    p = suite.ports
    lines = [
        "",
        "kubemail is running (Ctrl-C to stop). Logs and data: " + str(suite.workdir),
        f"  demo account   {USER}  password: {PASSWORD}",
        # an explicit --from: swaks' default (user@`hostname`) is refused when the host name has no dot
        f"  SMTP (MX)      localhost:{p.smtp}        swaks --server localhost:{p.smtp} --from someone@example.org "
        f"--to {USER}",
        f"  submission     localhost:{p.submission} (STARTTLS)  localhost:{p.smtps} (TLS)",
        f"                 swaks --server localhost:{p.submission} -tls --auth PLAIN --auth-user {USER} "
        f"--auth-password {PASSWORD} --to {USER} --from {USER}",
        f"  IMAP           localhost:{p.imap} (STARTTLS)  localhost:{p.imaps} (TLS)",
        f"                 python3 -c \"import imaplib; m=imaplib.IMAP4('localhost',{p.imap}); "
        f"m.login('{USER}','{PASSWORD}'); print(m.select())\"",
        f"  POP3           localhost:{p.pop3} (STLS)  localhost:{p.pop3s} (TLS)",
        f"  web            http://localhost:{p.http}/mail/config-v1.1.xml?emailaddress={USER}  (autoconfig; "
        f"ActiveSync at /Microsoft-Server-ActiveSync)",
        "  relay          outbound delivery to the Internet's MX hosts (no listener)",
        "  spam filter    "
        + (
            f"rspamd {suite.env['KUBEMAIL_RSPAMD_URL']} (scans what the MX and submission take)"
            if suite.env.get("KUBEMAIL_RSPAMD_URL")
            else "off (rspamd not running)"
        ),
        f"  metadata gRPC  localhost:{p.metadata}",
        "  metrics        " + "  ".join(f"{k}: http://localhost:{v}/metrics" for k, v in p.metrics.items()),
        "  TLS uses a self-signed certificate for 'localhost' (clients must accept it).",
        "",
    ]
    return "\n".join(lines)


def busy_ports(ports: Ports) -> list[int]:
    """The fixed ports something else already listens on (another `make run`, a local Redis, ...)."""
    wanted = [ports.redis, ports.metadata, ports.smtp, ports.submission, ports.smtps, ports.imap, ports.imaps,
              ports.pop3, ports.pop3s, ports.http, *ports.metrics.values()]  # fmt: skip
    busy = []
    for port in wanted:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                busy.append(port)
    return busy


def start_rspamd() -> RspamdServer | None:
    """Debian's rspamd as the spam filter (make sysdeps installs it): a private instance on loopback,
    the same one the tests start (tests/fixtures/rspamd.py: GTUBE, Bayes learning, no network checks)."""
    if shutil.which("rspamd") is None:
        print("rspamd is not installed: mail is not scanned (make sysdeps installs it)", file=sys.stderr)
        return None
    try:
        return RspamdServer().start()
    except (RuntimeError, OSError, TimeoutError) as exc:
        print(f"rspamd did not start ({exc}): mail is not scanned", file=sys.stderr)
        return None


def main() -> int:
    workdir = Path(os.environ.get("KUBEMAIL_RUN_DIR", "var/run")).resolve()
    ports = Ports.fixed()
    busy = busy_ports(ports)
    if busy:
        # otherwise the suite would take the foreign listener for its own service (and seed it)
        print(f"cannot start: ports already in use: {', '.join(map(str, busy))} "
              "(another `make run`? stop it first)", file=sys.stderr)  # fmt: skip
        return 1
    rspamd = start_rspamd()
    extra = (
        {"KUBEMAIL_RSPAMD_URL": rspamd.url, "KUBEMAIL_RSPAMD_CONTROLLER_URL": rspamd.controller_url} if rspamd else {}
    )
    suite = Suite(workdir, ports=ports, quiet=True, services=LOCAL_SERVICES, extra_env=extra)
    stop = False
    failed = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        if stop:  # a second Ctrl-C interrupts a slow start or stop
            raise KeyboardInterrupt
        stop = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("starting redis-server, metadata, " + ", ".join(suite.services) + " ...", flush=True)
    try:
        suite.start()
        if not stop:
            asyncio.run(create_demo(suite.env["KUBEMAIL_METADATA_ADDR"], DOMAIN, USER, PASSWORD))
            print(banner(suite), flush=True)
        while not stop:
            for name, proc in suite.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {suite.logs.get(name)}", file=sys.stderr)
                    stop = failed = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # a service that does not come up: say which, and where its log is
        print(f"cannot start: {exc}; logs in {workdir}", file=sys.stderr)
        failed = True
    finally:
        print("stopping ...", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the children stop; a kill -9 is the way out
        suite.stop()
        if rspamd is not None:
            rspamd.close()
        print("stopped.", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
