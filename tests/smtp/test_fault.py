"""Processes end to end: `python -m services.smtp` against `python -m services.metadata`,
which is killed with SIGKILL and restarted while 500 messages are sent. Every message that
got 250 must be stored exactly once; nothing may be stored twice."""

from __future__ import annotations

import collections
import smtplib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common import config
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.gen.kubemail.v1 import messages_pb2 as messages_pb
from services.gen.kubemail.v1 import types_pb2 as types_pb
from tests.fixtures.seed import seed_user
from tests.fixtures.servers import LoopThread, ServiceProcess

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 500
THREADS = 5
RCPTS = ["alice@fault.test", "bob@fault.test"]


@pytest.fixture
def procs(
    backend_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[ServiceProcess, ServiceProcess, dict[str, str], int]]:
    base = {
        **backend_env,
        "KUBEMAIL_METADATA_LISTEN": "127.0.0.1:50051",
        "KUBEMAIL_GRPC_TIMEOUT": "3",
        "KUBEMAIL_LOG_LEVEL": "WARNING",
        "KUBEMAIL_METRICS_HOST": "127.0.0.1",
    }
    meta = ServiceProcess("metadata", base, tmp_path, log=tmp_path / "metadata.log").start()
    base["KUBEMAIL_METADATA_ADDR"] = f"127.0.0.1:{meta.ports['grpc']}"
    smtp_env = {
        **base,
        "KUBEMAIL_SMTP_HOST": "127.0.0.1",
        "KUBEMAIL_SMTP_SUBMISSION_PORT": "0",
        "KUBEMAIL_SMTP_SUBMISSIONS_PORT": "0",
        "KUBEMAIL_SMTP_MSG_RATE_LIMIT": "0",
        "KUBEMAIL_HOSTNAME": "mx.fault.test",
    }
    smtp = ServiceProcess("smtp", smtp_env, tmp_path, log=tmp_path / "smtp.log").start()
    yield meta, smtp, base, smtp.ports["mx"]
    smtp.stop()
    meta.stop()


def smtp_log(proc: ServiceProcess) -> str:
    return proc.log.read_text()[-3000:] if proc.log else ""


def _sender(
    port: int, ids: list[str], results: dict[str, list[str]], lock: threading.Lock, tempfails: list[int]
) -> None:
    conn: smtplib.SMTP | None = None
    for mid in ids:
        raw = (
            f"From: f@remote.test\r\nTo: {', '.join(RCPTS)}\r\nSubject: fault {mid}\r\n"
            f"Message-ID: <{mid}@fault.test>\r\n\r\nbody of {mid}\r\n.dot line\r\n"
        ).encode()
        pending = list(RCPTS)  # recipients still without a 250 (smtplib returns 4xx RCPTs as "refused")
        done: list[str] = []
        for _attempt in range(80):
            try:
                if conn is None:
                    conn = smtplib.SMTP("127.0.0.1", port, local_hostname="fault-client.test", timeout=15)
                refused = conn.sendmail("f@remote.test", pending, raw)
                done += [r for r in pending if r not in refused]
                pending = [r for r in pending if r in refused and refused[r][0] < 500]
                if not pending:
                    break
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    break
                _reset(conn)
            except smtplib.SMTPRecipientsRefused as exc:
                pending = [r for r, (c, _) in exc.recipients.items() if c < 500]
                if not pending:
                    break
                _reset(conn)
            except (smtplib.SMTPException, OSError):
                _close(conn)
                conn = None
            with lock:
                tempfails.append(1)
            time.sleep(0.1)
        outcome = done
        with lock:
            results[mid] = outcome
    _close(conn)


def _reset(conn: smtplib.SMTP | None) -> None:
    try:
        if conn is not None:
            conn.rset()
    except (smtplib.SMTPException, OSError):
        pass


def _close(conn: smtplib.SMTP | None) -> None:
    try:
        if conn is not None:
            conn.close()
    except OSError:
        pass


async def _stored(env: dict[str, str], users: list[directory_pb.User]) -> tuple[collections.Counter[str], int]:
    """Message-IDs stored per user (counted over users) and how many blobs are missing."""
    client = MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 10)
    blobs = make_blobstore(config.load(CommonConfig, env))
    seen: collections.Counter[str] = collections.Counter()
    missing = 0
    try:
        for u in users:
            mbox = (
                await client.mailboxes.GetMailbox(mailboxes_pb.GetMailboxRequest(user_id=u.id, name="INBOX"))
            ).mailbox
            resp = await client.messages.FetchMessages(
                messages_pb.FetchMessagesRequest(
                    user_id=u.id, mailbox_id=mbox.id, uids=[types_pb.UidRange(lo=1, hi=0)], include_summary=True
                )
            )
            for m in resp.messages:
                seen[f"{u.address} {m.summary.envelope.message_id.value.decode()}"] += 1
            for blob_id in {m.blob_id for m in resp.messages}:
                if await blobs.stat(blob_id) is None:
                    missing += 1
    finally:
        await client.close()
    return seen, missing


@pytest.mark.slow
def test_metadata_killed_and_restarted_while_sending(
    procs: tuple[ServiceProcess, ServiceProcess, dict[str, str], int],
) -> None:
    meta, smtp, env, port = procs
    lt = LoopThread()
    try:

        async def seed() -> list[directory_pb.User]:
            async with MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 10) as c:
                return [await seed_user(c, a) for a in RCPTS]

        users = lt.run(seed())
        ids = [f"m{i:04d}" for i in range(MESSAGES)]
        results: dict[str, list[str]] = {}
        lock = threading.Lock()
        tempfails: list[int] = []
        threads = [
            threading.Thread(target=_sender, args=(port, ids[i::THREADS], results, lock, tempfails), daemon=True)
            for i in range(THREADS)
        ]
        for t in threads:
            t.start()
        kills = 0
        for threshold in (60, 200, 340):
            deadline = time.monotonic() + 120
            while len(results) < threshold and time.monotonic() < deadline:
                time.sleep(0.02)
            meta.kill()
            kills += 1
            time.sleep(0.3)
            meta.start()  # on the port it had: the smtp process keeps its address
        for t in threads:
            t.join(180)
        assert len(results) == MESSAGES
        accepted = {(r, mid) for mid, rs in results.items() for r in rs}  # (recipient, id) that got 250
        seen, missing = lt.run(_stored(env, users))
        assert missing == 0
        lost = [(a, m) for a, m in sorted(accepted) if seen[f"{a} <{m}@fault.test>"] != 1]
        doubled = [k for k, n in seen.items() if n > 1]
        failed = [(r, m) for m in ids for r in RCPTS if (r, m) not in accepted]
        assert not lost, ("250 but not stored", len(lost), lost[:10], len(seen))
        assert not doubled, ("stored twice", doubled[:10])
        assert len(failed) < len(RCPTS) * MESSAGES * 0.1, ("never accepted", len(failed), failed[:10])
        assert kills == 3
        assert tempfails, "the kills should have caused 4xx replies and retries"
    finally:
        lt.close()
    code = smtp.stop()
    assert code == 0, ("smtp exit status after SIGTERM", code, (smtp_log(smtp)))
