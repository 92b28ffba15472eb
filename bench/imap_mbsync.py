"""Benchmark: Debian's mbsync pulling 1,000 messages over IMAP, then pushing local flag
changes and deletions back (the full-size version of tests/imap/test_mbsync.py).

    python bench/imap_mbsync.py [--messages 1000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._imap_common import ADDRESS, PASSWORD, deliver, imap_world
from tests.fixtures.servers import LoopThread


def _config(tmp: Path, port: int) -> Path:
    maildir = tmp / "Mail"
    maildir.mkdir()
    cfg = tmp / "mbsyncrc"
    cfg.write_text(
        f"IMAPAccount b\nHost 127.0.0.1\nPort {port}\nUser {ADDRESS}\nPass {PASSWORD}\nSSLType None\n"
        f"AuthMechs LOGIN\nPipelineDepth 50\n\nIMAPStore remote\nAccount b\n\nMaildirStore local\n"
        f"Path {maildir}/\nInbox {maildir}/INBOX\nSubFolders Verbatim\n\nChannel b\nFar :remote:\n"
        "Near :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n"
    )
    return cfg


def _sync(cfg: Path) -> float:
    t = time.perf_counter()
    p = subprocess.run(["mbsync", "-c", str(cfg), "-a"], capture_output=True, text=True, timeout=170)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-500:])
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    args = ap.parse_args(argv if argv is not None else [])
    if shutil.which("mbsync") is None:
        print("   mbsync not installed; skipped")
        return
    with imap_world(blob="s3") as w, tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        lt = LoopThread()
        lt.run(deliver(w.env, w.user_id, args.messages, size=4096, seen_every=0), timeout=600)
        lt.close()
        cfg = _config(tmp, w.port)
        pull = _sync(cfg)
        inbox = tmp / "Mail" / "INBOX"
        files = sorted((inbox / "cur").iterdir()) + sorted((inbox / "new").iterdir())
        print(f"   pull of {len(files)} messages: {pull:.2f} s ({len(files) / pull:.0f} msg/s)")
        for f in files[: len(files) // 10]:
            f.rename(inbox / "cur" / (f.name.split(":2,")[0] + ":2,FS"))
        for f in files[len(files) // 10 : len(files) // 10 + len(files) // 20]:
            f.unlink()
        push = _sync(cfg)
        print(f"   push of {len(files) // 10} flag changes + {len(files) // 20} deletions: {push:.2f} s")
        noop = _sync(cfg)
        print(f"   no-change resync: {noop:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
