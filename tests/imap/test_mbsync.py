"""Debian's mbsync (isync) syncing an account both ways: pull everything, then local flag
changes and deletions pushed back and visible to imaplib."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig, load
from services.common.grpcclient import MetadataClient
from services.common.mime import build_summary
from services.gen.kubemail.v1 import metadata_pb2 as pb
from tests.fixtures.servers import LoopThread
from tests.imap.conftest import PASSWORD, USER, ImapHandle

N = int(os.environ.get("KUBEMAIL_TEST_MBSYNC_MESSAGES", "200"))

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync (isync) not installed")


async def _bulk_deliver(env: dict[str, str], user_id: str, n: int) -> None:
    common = load(CommonConfig, env)
    blobs = make_blobstore(common)
    import asyncio

    sem = asyncio.Semaphore(16)
    async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"]) as c:

        async def one(i: int) -> None:
            raw = b"From: s@example.test\r\nSubject: bulk %d\r\nMessage-ID: <b%d@x>\r\n\r\nbody %d\r\n" % (i, i, i)
            async with sem:
                bid = await blobs.put(raw)
                await c.messages.Deliver(
                    pb.DeliverRequest(
                        blob_id=bid,
                        size=len(raw),
                        summary=build_summary(raw),
                        deliveries=[pb.Delivery(user_id=user_id)],
                        idempotency_key=bid[:20],
                    )
                )

        await asyncio.gather(*(one(i) for i in range(n)))
    await blobs.close()


def _config(tmp: Path, port: int) -> Path:
    maildir = tmp / "Mail"
    maildir.mkdir()
    cfg = tmp / "mbsyncrc"
    cfg.write_text(
        f"""IMAPAccount test
Host 127.0.0.1
Port {port}
User {USER}
Pass {PASSWORD}
SSLType None
AuthMechs LOGIN
PipelineDepth 50

IMAPStore remote
Account test

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel test
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
"""
    )
    return cfg


def _run(cfg: Path) -> None:
    p = subprocess.run(["mbsync", "-c", str(cfg), "-a"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "error" not in p.stderr.lower(), p.stderr


def test_mbsync_two_way(imap: ImapHandle, tmp_path: Path) -> None:
    lt = LoopThread()
    lt.run(_bulk_deliver(imap.env, imap.user_id, N), timeout=120)
    lt.close()
    c = imap.login()
    c.create("Folder")
    c.append("Folder", None, None, b"Subject: in folder\r\n\r\nx\r\n")
    c.logout()
    cfg = _config(tmp_path, imap.port)
    start = time.monotonic()
    _run(cfg)
    pulled = time.monotonic() - start
    inbox = tmp_path / "Mail" / "INBOX"
    files = sorted((inbox / "cur").iterdir()) + sorted((inbox / "new").iterdir())
    assert len(files) == N, (len(files), pulled)
    assert (
        len(
            list((tmp_path / "Mail" / "Folder" / "new").iterdir())
            + list((tmp_path / "Mail" / "Folder" / "cur").iterdir())
        )
        == 1
    )
    # local changes: mark 10 seen+flagged, delete 5
    changed = files[:10]
    for f in changed:
        base = f.name.split(":2,")[0]
        f.rename(inbox / "cur" / (base + ":2,FS"))
    deleted = files[10:15]
    for f in deleted:
        f.unlink()
    # a local new message is uploaded
    (inbox / "new" / "local1.host").write_bytes(b"Subject: made locally\r\n\r\nhi\r\n")
    _run(cfg)
    c = imap.login()
    c.select("INBOX")
    typ, data = c.search(None, "FLAGGED SEEN")
    assert typ == "OK" and len(data[0].split()) == 10
    typ, data = c.search(None, "ALL")
    assert len(data[0].split()) == N - 5 + 1
    typ, data = c.search(None, 'SUBJECT "made locally"')
    assert len(data[0].split()) == 1
    # remote change pulled back: flag on server, sync, visible locally
    c.store("1", "+FLAGS", "(\\Answered)")
    c.logout()
    _run(cfg)
    names = [f.name for d in ("cur", "new") for f in (inbox / d).iterdir()]
    assert sum(1 for n in names if ":2," in n and "R" in n.split(":2,")[1]) == 1
