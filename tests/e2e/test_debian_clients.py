"""Debian's mail clients against the suite as processes: mbsync (IMAP over TLS), fetchmail (POP3 over TLS)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import E2E, PASSWORD, needs_imap, needs_pop3

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]


def _deliver(e2e: E2E, rcpt: str, n: int) -> list[bytes]:
    sent = []
    with e2e.smtp() as s:
        for i in range(n):
            raw = f"From: <s@remote.test>\r\nTo: <{rcpt}>\r\nSubject: client {i}\r\nMessage-ID: <c{i}@e2e.test>\r\n"
            raw += f"\r\nbody {i}\r\n.dot line {i}\r\n"
            assert s.sendmail("s@remote.test", [rcpt], raw.encode()) == {}
            sent.append(raw.encode())
    e2e.wait_count(rcpt, n)
    return sent


def _body(stored: bytes) -> bytes:
    """From the original From: header on, with CRLF line ends (local files use LF) and without the
    tracking header mbsync adds (X-TUID); trace headers above From: are cut off."""
    text = stored.replace(b"\r\n", b"\n")
    text = b"".join(line for line in text.splitlines(keepends=True) if not line.startswith(b"X-TUID: "))
    text = text.replace(b"\n", b"\r\n")
    return text[text.index(b"From: <s@remote.test>") :]


@needs_imap
@pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync (isync) is not installed")
def test_mbsync_over_implicit_tls_pulls_and_pushes_a_deletion(e2e: E2E, tmp_path: Path) -> None:
    rcpt = e2e.add_user("mbsync")
    sent = _deliver(e2e, rcpt, 3)
    maildir = tmp_path / "Mail"
    maildir.mkdir()
    cfg = tmp_path / "mbsyncrc"
    cfg.write_text(
        f'IMAPAccount e2e\nHost localhost\nPort {e2e.ports.imaps}\nUser {rcpt}\nPass "{PASSWORD}"\n'
        f"SSLType IMAPS\nCertificateFile {e2e.suite.env['KUBEMAIL_TLS_CERT']}\n"
        "Timeout 50\n\n"  # mbsync's default (20 s per response) is short on a loaded CI machine
        "IMAPStore remote\nAccount e2e\n\n"
        f"MaildirStore local\nPath {maildir}/\nInbox {maildir}/INBOX\n\n"
        "Channel e2e\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nExpunge Both\nSyncState *\n"
    )

    def sync() -> None:
        p = subprocess.run(["mbsync", "-c", str(cfg), "-a"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr

    sync()
    inbox = maildir / "INBOX"
    files = sorted((*(inbox / "cur").iterdir(), *(inbox / "new").iterdir()))
    assert sorted(_body(f.read_bytes()) for f in files) == sorted(sent)
    victim = next(f for f in files if b"Subject: client 1\r\n" in _body(f.read_bytes()))
    victim.unlink()  # deleted locally: mbsync expunges it on the server
    sync()
    remaining = e2e.imap_messages(rcpt)
    assert sorted(_body(raw) for raw in remaining.values()) == sorted([sent[0], sent[2]])


@needs_pop3
@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")
def test_fetchmail_over_pop3s_downloads_and_deletes(e2e: E2E, tmp_path: Path) -> None:
    rcpt = e2e.add_user("fetchmail")
    sent = _deliver(e2e, rcpt, 3)
    out = tmp_path / "out"
    out.mkdir()
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        "set no syslog\n"
        f"poll localhost protocol pop3 port {e2e.ports.pop3s} auth password timeout 30\n"
        f'  user "{rcpt}" password "{PASSWORD}" is "root" here\n'
        f"  ssl sslcertck sslcertfile '{e2e.suite.env['KUBEMAIL_TLS_CERT']}'\n"
        "  nokeep no rewrite\n"
        f"  mda \"/bin/sh -c 'cat > $(mktemp {out}/m.XXXXXXXX)'\"\n"
    )
    rc.chmod(0o600)
    env = {**os.environ, "FETCHMAILHOME": str(tmp_path), "HOME": str(tmp_path)}
    p = subprocess.run(
        ["fetchmail", "-f", str(rc), "--nodetach", "--idfile", str(tmp_path / "ids"),
         "--pidfile", str(tmp_path / "pid")],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert p.returncode == 0, p.stdout + p.stderr
    got = sorted(_body(f.read_bytes()) for f in out.iterdir())
    assert got == sorted(sent)
    assert e2e.pop3_messages(rcpt) == []  # nokeep: DELE + QUIT committed
    if "imap" in e2e.suite.services:
        assert e2e.imap_messages(rcpt) == {}
