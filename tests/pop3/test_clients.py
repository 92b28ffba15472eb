"""Real POP3 clients from Debian (fetchmail, getmail6) against the running front-end, a few
messages each (the 1,000-message runs are in test_bulk.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pop3.clients import LmtpSink, run_getmail
from tests.pop3.conftest import ADDRESS, PASSWORD, Pop3Handle

pytestmark = pytest.mark.slow


def message(n: int) -> bytes:
    return (
        f"From: bob@example.test\r\nTo: {ADDRESS}\r\nSubject: fetch {n}\r\nMessage-ID: <f{n}@example.test>\r\n"
        f"\r\nHello {n}\r\n.dotted {n}\r\n".encode()
    )


def fetchmail(h: Pop3Handle, work: Path, *, keep: bool, tls: bool = True) -> tuple[int, list[bytes]]:
    """Runs fetchmail once; returns (exit code, messages delivered by its MDA)."""
    if shutil.which("fetchmail") is None:
        pytest.skip("fetchmail is not installed (apt-get install fetchmail)")
    out = work / "out"
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.iterdir())
    port = h.tls_port if tls else h.port
    ssl_opts = f"ssl sslcertck sslcertfile '{h.cafile}'" if tls else "sslproto ''"
    rc = work / "fetchmailrc"
    rc.write_text(
        "set no syslog\n"
        f"poll localhost protocol pop3 port {port} auth password timeout 60 {'uidl' if keep else ''}\n"
        f'  user "{ADDRESS}" password "{PASSWORD}" is "root" here {ssl_opts}\n'
        f"  {'keep' if keep else 'nokeep'} no rewrite\n"
        f"  mda \"/bin/sh -c 'cat > $(mktemp {out}/m.XXXXXXXX)'\"\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "FETCHMAILHOME": str(work), "HOME": str(work)}
    proc = subprocess.run(
        ["fetchmail", "-f", str(rc), "--nodetach", "--idfile", str(work / "ids"), "--pidfile", str(work / "pid")],
        env=env,
        capture_output=True,
        timeout=120,
    )
    new = sorted(set(out.iterdir()) - before)
    if proc.returncode not in (0, 1):
        print(proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
    return proc.returncode, [p.read_bytes() for p in new]


@pytest.fixture
def lmtp_sink() -> Iterator[LmtpSink]:
    s = LmtpSink()
    yield s
    s.stop()


def subjects(msgs: list[bytes]) -> set[bytes]:
    return {line for m in msgs for line in m.split(b"\r\n" if b"\r\n" in m else b"\n") if line.startswith(b"Subject:")}


def test_fetchmail_delete_mode(pop3: Pop3Handle, tmp_path: Path) -> None:
    raws = [message(i) for i in range(5)]
    pop3.deliver(raws)
    code, got = fetchmail(pop3, tmp_path, keep=False)
    assert code == 0, code
    assert subjects(got) == subjects(raws)
    assert all(b".dotted" in m and b"..dotted" not in m for m in got)
    assert pop3.inbox()[1] == []  # gone from the metadata (IMAP) view too
    code, got = fetchmail(pop3, tmp_path, keep=False)
    assert code == 1 and got == []  # 1 = no mail


def test_fetchmail_keep_mode_fetches_nothing_new(pop3: Pop3Handle, tmp_path: Path) -> None:
    raws = [message(i) for i in range(4)]
    uids = pop3.deliver(raws)
    code, got = fetchmail(pop3, tmp_path, keep=True, tls=False)
    assert code == 0
    assert subjects(got) == subjects(raws)
    assert pop3.inbox()[1] == uids
    code, got = fetchmail(pop3, tmp_path, keep=True, tls=False)
    assert got == [] and code == 1
    pop3.deliver([message(99)])
    code, got = fetchmail(pop3, tmp_path, keep=True, tls=False)
    assert code == 0 and subjects(got) == {b"Subject: fetch 99"}


def test_getmail_keep_then_delete(pop3: Pop3Handle, lmtp_sink: LmtpSink, tmp_path: Path) -> None:
    raws = [message(i) for i in range(4)]
    uids = pop3.deliver(raws)
    got = run_getmail(pop3, tmp_path, lmtp_sink, delete=False)
    assert sorted(got) == sorted(raws)
    assert pop3.inbox()[1] == uids
    got = run_getmail(pop3, tmp_path, lmtp_sink, delete=False)
    assert got == []  # keep mode: nothing new the second time
    pop3.deliver([message(50)])
    got = run_getmail(pop3, tmp_path / "second", lmtp_sink, delete=True)  # a fresh client state: fetch all, delete
    assert sorted(got) == sorted([*raws, message(50)])
    assert pop3.inbox()[1] == []


def test_getmail_byte_exact(pop3: Pop3Handle, lmtp_sink: LmtpSink, tmp_path: Path) -> None:
    raw = message(7) + b"\xe9t\xe9 8-bit \xff line\r\n..\r\n.\r\n"
    pop3.deliver([raw])
    got = run_getmail(pop3, tmp_path, lmtp_sink, delete=True)
    assert got == [raw]
