"""Debian's mbsync (isync) syncing a 1,000-message account both ways: pull everything
(byte-exact), then local flag changes and deletions on a sample pushed back and visible to
imaplib, a locally made message uploaded, and a server-side flag pulled back; mbsync exits 0
with nothing on stderr every time.

The stack runs on the filesystem blob backend and is seeded concurrently; see
tests/fixtures/bulk.py for why. KUBEMAIL_TEST_MBSYNC_MESSAGES sets the size (default 1000).
"""

from __future__ import annotations

import email
import imaplib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.bulk import Phases, bulk_deliver_env, bulk_messages, fs_env, hashes, to_crlf
from tests.fixtures.servers import LoopThread
from tests.imap.conftest import PASSWORD, USER, ImapHandle

N = int(os.environ.get("KUBEMAIL_TEST_MBSYNC_MESSAGES", "1000"))

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync (isync) not installed")


@pytest.fixture
def backend_env(backend_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The shared backend (fresh Redis), blobs in one local directory for every component."""
    return fs_env(backend_env, tmp_path / "fsblobs")


def _config(tmp: Path, port: int, cafile: str) -> Path:
    """Over implicit TLS (the fixture's self-signed certificate, trusted explicitly): in the
    clear mbsync warns on stderr that the password is sent in the clear. Timeout: mbsync's
    default of 20 s per server response is too short on a loaded 2-core CI machine."""
    maildir = tmp / "Mail"
    maildir.mkdir()
    cfg = tmp / "mbsyncrc"
    cfg.write_text(
        f"""IMAPAccount test
Host 127.0.0.1
Port {port}
User {USER}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {cafile}
AuthMechs LOGIN
PipelineDepth 50
Timeout 120

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
    assert p.stderr.strip() == "", p.stderr


def _files(box: Path) -> list[Path]:
    return sorted((box / "cur").iterdir()) + sorted((box / "new").iterdir())


def _as_sent(stored: bytes) -> bytes:
    """A pulled message as the server sent it: mbsync stores LF line ends and appends its one
    X-TUID header (a temporary id to find the copy) to the header; nothing else differs."""
    head, sep, body = stored.partition(b"\n\n")
    lines = head.split(b"\n")
    assert re.fullmatch(rb"X-TUID: [A-Za-z0-9+/]{12}", lines[-1]), stored[:300]
    return to_crlf(b"\n".join(lines[:-1]) + sep + body)


def _message_id(data: bytes) -> str:
    return str(email.message_from_bytes(data)["Message-ID"])


def _server_view(c: imaplib.IMAP4) -> dict[str, set[str]]:
    """Message-ID -> flags (without \\Recent) of every message in the selected mailbox."""
    typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert typ == "OK", data
    view: dict[str, set[str]] = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        m = re.search(rb"FLAGS \(([^)]*)\)", item[0])
        assert m, item[0]
        flags = {f.decode() for f in m.group(1).split()} - {"\\Recent"}
        view[_message_id(item[1])] = flags
    return view


def test_mbsync_two_way(imap: ImapHandle, tmp_path: Path) -> None:
    t = Phases("mbsync")
    raws = bulk_messages(N, USER, "mbsync")
    with t("seed"):
        lt = LoopThread()
        lt.run(bulk_deliver_env(imap.env, imap.user_id, raws), timeout=120)
        lt.close()
    c = imap.login()
    c.create("Folder")
    c.append("Folder", None, None, b"Subject: in folder\r\n\r\nx\r\n")
    c.logout()
    cfg = _config(tmp_path, imap.tls_port, imap.env["KUBEMAIL_TLS_CERT"])

    with t("pull"):
        _run(cfg)
    inbox = tmp_path / "Mail" / "INBOX"
    files = _files(inbox)
    assert len(files) == N
    assert hashes(_as_sent(f.read_bytes()) for f in files) == hashes(raws)  # byte-exact
    assert len(_files(tmp_path / "Mail" / "Folder")) == 1
    by_id = {_message_id(f.read_bytes()): f for f in files}
    assert len(by_id) == N

    # local changes on a sample spread over the mailbox: flags on 1 in 20 (three kinds),
    # deletion of 1 in 50 (none of them flagged), one new message made locally
    ids = sorted(by_id, key=lambda i: int(i.split("-")[1]))
    flag_sets = [("FS", {"\\Flagged", "\\Seen"}), ("S", {"\\Seen"}), ("RS", {"\\Answered", "\\Seen"})]
    expected: dict[str, set[str]] = {i: set() for i in ids}
    for k, mid in enumerate(ids[::20]):
        letters, flags = flag_sets[k % 3]
        f = by_id[mid]
        f.rename(inbox / "cur" / (f.name.split(":2,")[0] + ":2," + letters))
        expected[mid] = flags
    deleted = [mid for mid in ids[7::50]]
    for mid in deleted:
        by_id[mid].unlink()
        del expected[mid]
    (inbox / "new" / "local1.host").write_bytes(b"Subject: made locally\nMessage-ID: <local1@x>\n\nhi\n")
    with t("push"):
        _run(cfg)

    c = imap.login()
    typ, _ = c.select("INBOX")
    assert typ == "OK"
    view = _server_view(c)
    local = view.pop("<local1@x>")
    assert view == expected  # every flag change, every deletion, nothing else touched
    assert "\\Deleted" not in local
    typ, data = c.search(None, "FLAGGED SEEN")
    assert typ == "OK" and len(data[0].split()) == len(ids[::20][::3])
    typ, data = c.search(None, "ALL")
    assert len(data[0].split()) == N - len(deleted) + 1

    # a server-side change is pulled back
    typ, data = c.search(None, f'HEADER Message-ID "{ids[1]}"')
    assert typ == "OK" and len(data[0].split()) == 1, data
    c.store(data[0].decode(), "+FLAGS", "(\\Draft)")
    c.logout()
    with t("pull back"):
        _run(cfg)
    drafts = [f for f in _files(inbox) if "D" in f.name.split(":2,")[-1] and ":2," in f.name]
    assert [_message_id(f.read_bytes()) for f in drafts] == [ids[1]]
    assert len(_files(inbox)) == N - len(deleted) + 1
    print(t)
