"""kill -9 the metadata service under live front-ends: temporary errors, no crash, no loss, recovery."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import E2E, HAS_IMAP, HAS_POP3, dump_logs, start_suite, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]


@pytest.fixture(scope="module")
def fault_e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    # a short gRPC deadline so that each refused call answers within a few seconds
    suite = start_suite(tmp_path_factory.mktemp("e2e-fault"), KUBEMAIL_GRPC_TIMEOUT="3")
    try:
        yield E2E(suite)
    finally:
        suite.stop()


def _send(e2e: E2E, rcpt: str, subject: str) -> bool:
    with e2e.smtp() as s:
        try:
            return s.sendmail("a@remote.test", [rcpt], f"Subject: {subject}\r\n\r\nbody\r\n".encode()) == {}
        except smtplib.SMTPRecipientsRefused:
            return False


def test_metadata_kill_9_and_restart(fault_e2e: E2E) -> None:
    e2e = fault_e2e
    suite = e2e.suite
    rcpt = e2e.add_user("fault")
    assert _send(e2e, rcpt, "before")
    e2e.wait_count(rcpt, 1)
    frontends = {n: suite.procs[n].pid for n in suite.services}
    idle_imap = e2e.imap(rcpt) if HAS_IMAP else None
    # an SMTP transaction that has passed RCPT when the metadata service dies
    pending = e2e.smtp()
    pending.ehlo()
    assert pending.mail("a@remote.test")[0] == 250
    assert pending.rcpt(rcpt)[0] == 250

    suite.kill("metadata")
    try:
        # SMTP: the message in flight is refused with 4xx, never acknowledged
        code, text = pending.data(b"Subject: in flight\r\n\r\nnot acknowledged\r\n")
        assert 400 <= code < 500, (code, text)
        pending.quit()
        # SMTP: new transactions get 4xx at RCPT (the directory cannot be asked)
        with e2e.smtp() as s:
            s.ehlo()
            assert s.mail("a@remote.test")[0] == 250
            code, text = s.rcpt(rcpt)
            assert 400 <= code < 500, (code, text)
        if HAS_IMAP:
            with pytest.raises(imaplib.IMAP4.error, match=r"UNAVAILABLE|temporar"):
                e2e.imap(rcpt)
            assert idle_imap is not None
            typ, data = idle_imap.select("INBOX")
            assert typ == "NO", (typ, data)  # a tagged NO, and the connection stays usable
        if HAS_POP3:
            with pytest.raises(poplib.error_proto, match=r"SYS/TEMP"):
                e2e.pop3(rcpt)
        dead = {n: p.returncode for n, p in suite.procs.items() if n != "metadata" and p.poll() is not None}
        assert not dead, f"front-ends died while metadata was down: {dead}\n{dump_logs(suite)}"
    finally:
        suite.restart("metadata")

    # service resumes through the same front-end processes
    wait_for(lambda: _send(e2e, rcpt, "after"), 30, 0.5, "SMTP delivery after the metadata restart")
    assert {n: suite.procs[n].pid for n in suite.services} == frontends
    assert all(suite.procs[n].poll() is None for n in suite.services)
    e2e.wait_count(rcpt, 2, timeout=30)  # "before" and "after"; the refused one never arrived
    if HAS_POP3:
        subjects = sorted(raw.split(b"Subject: ")[1].split(b"\r\n")[0] for _, raw in e2e.pop3_messages(rcpt))
        assert subjects == [b"after", b"before"]
    if HAS_IMAP:
        assert idle_imap is not None
        typ, data = wait_for(lambda: _ok(idle_imap.select("INBOX")), 30, 0.5, "IMAP SELECT after restart")
        assert data == [b"2"], data
        idle_imap.logout()


def _ok(resp: tuple[str, list[Any]]) -> tuple[str, list[Any]] | None:
    return resp if resp[0] == "OK" else None
