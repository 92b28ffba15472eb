"""Real POP3 clients from Debian driven the cheap way: fetchmail into one BSMTP file and
getmail6 over LMTP to an in-test sink, so no process is started per message."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.pop3.conftest import ADDRESS, PASSWORD, Pop3Handle

CLIENT_TIMEOUT = 180


def run_fetchmail(h: Pop3Handle, work: Path, *, keep: bool) -> tuple[int, list[bytes], str]:
    """One fetchmail run delivering into a BSMTP file (no process per message).

    Returns (exit code, the messages it fetched this run, its stderr but for the warning that
    it runs as root).
    """
    if shutil.which("fetchmail") is None:
        pytest.skip("fetchmail is not installed (apt-get install fetchmail)")
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"run{len(list(work.glob('run*.bsmtp')))}.bsmtp"  # one per run, kept for inspection
    rc = work / "fetchmailrc"
    rc.write_text(
        "set no syslog\n"
        f"poll 127.0.0.1 protocol pop3 port {h.port} auth password timeout 60 {'uidl' if keep else ''}\n"
        f'  user "{ADDRESS}" password "{PASSWORD}" is "root" here sslproto \'\'\n'
        f"  {'keep' if keep else 'nokeep'} no rewrite\n"
        f"  bsmtp {out}\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "FETCHMAILHOME": str(work), "HOME": str(work)}
    proc = subprocess.run(
        ["fetchmail", "-f", str(rc), "--nodetach", "--idfile", str(work / "ids"), "--pidfile", str(work / "pid")],
        env=env,
        capture_output=True,
        timeout=CLIENT_TIMEOUT,
    )
    msgs = parse_bsmtp(out.read_bytes()) if out.exists() else []
    err = [ln for ln in proc.stderr.decode(errors="replace").splitlines() if "Running as root" not in ln]
    return proc.returncode, msgs, "\n".join(err)


def parse_bsmtp(data: bytes) -> list[bytes]:
    """The DATA parts of a BSMTP file, un-dot-stuffed."""
    msgs = []
    for m in re.finditer(rb"^DATA\r?\n(.*?)^\.\r?\n", data, re.S | re.M):
        lines = m.group(1).splitlines(keepends=True)
        msgs.append(b"".join(line[1:] if line.startswith(b".") else line for line in lines))
    return msgs


def strip_fetchmail_received(msg: bytes) -> bytes:
    """fetchmail prepends one Received: header (folded over several lines), its only change."""
    assert msg.startswith(b"Received: from 127.0.0.1 "), msg[:200]
    lines = msg.splitlines(keepends=True)
    k = 1
    while k < len(lines) and lines[k][:1] in (b" ", b"\t"):
        k += 1
    return b"".join(lines[k:])


def fetched(msgs: list[bytes]) -> list[bytes]:
    return [strip_fetchmail_received(m) for m in msgs]


class LmtpSink:
    """An LMTP server (aiosmtpd) keeping every message it is handed, bytes as received.

    Bound to port 0 on its own loop thread; `port` is the port it got.
    """

    def __init__(self) -> None:
        from aiosmtpd.lmtp import LMTP

        from tests.fixtures.servers import LoopThread

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(bytes(envelope.original_content))
                return "250 2.0.0 stored"

        self.messages: list[bytes] = []
        self.lt = LoopThread()

        async def serve() -> asyncio.Server:
            loop = asyncio.get_running_loop()
            return await loop.create_server(lambda: LMTP(Handler(), hostname="127.0.0.1"), "127.0.0.1", 0)

        self.server: asyncio.Server = self.lt.run(serve())
        self.port = int(self.server.sockets[0].getsockname()[1])

    def take(self) -> list[bytes]:
        out, self.messages = self.messages, []
        return out

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        self.lt.run(close(), timeout=10)
        self.lt.close()


def run_getmail(h: Pop3Handle, work: Path, sink: LmtpSink, *, delete: bool) -> list[bytes]:
    """One getmail6 run delivering over LMTP; returns the messages it delivered.

    Over LMTP, not to an MDA or Maildir: getmail 6.18 forks a child per message for those and
    installs its SIGCHLD handler only after fork(), so a child that exits first leaves getmail
    waiting out a 60 s timeout (seen here: 416 of 1,000 messages in 180 s). MDA_lmtp does not fork.
    """
    if shutil.which("getmail") is None:
        pytest.skip("getmail6 is not installed (apt-get install getmail6)")
    work.mkdir(parents=True, exist_ok=True)
    rc = work / "getmailrc"
    rc.write_text(
        "[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\n"
        f"port = {h.port}\nusername = {ADDRESS}\npassword = {PASSWORD}\n\n"
        f"[destination]\ntype = MDA_lmtp\nhost = 127.0.0.1\nport = {sink.port}\noverride = root@localhost\n\n"
        f"[options]\nverbose = 0\ndelete = {'true' if delete else 'false'}\nread_all = false\n"
        "delivered_to = false\nreceived = false\n"
    )
    sink.take()
    proc = subprocess.run(
        ["getmail", f"--getmaildir={work}", f"--rcfile={rc}"], capture_output=True, timeout=CLIENT_TIMEOUT
    )
    assert proc.returncode == 0, proc.stderr.decode() + proc.stdout.decode()
    assert proc.stderr == b"", proc.stderr.decode()
    return sink.take()
