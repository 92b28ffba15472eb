"""Rspamd at the end of DATA with a real rspamd (tests/fixtures/rspamd.py): GTUBE rejected, a
clean message delivered with the scanner's header, spam verdicts filed into Junk, and a dead or
silent scanner handled by KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN within KUBEMAIL_RSPAMD_TIMEOUT."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from services.common import rspamd as rspamd_client
from services.smtp import metrics
from tests.fixtures.rspamd import RspamdServer
from tests.smtp.conftest import DOMAIN, PASSWORD, World
from tests.smtp.test_trust import compose, send, stored

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"  # reject
GTUBE_ADD_HEADER = "YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
GTUBE_REWRITE = "ZJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
ALICE = f"alice@{DOMAIN}"


@pytest.fixture
def spam_world(make_world: Callable[..., World], rspamd: RspamdServer) -> Callable[..., World]:
    def build(**env: str) -> World:
        return make_world(KUBEMAIL_RSPAMD_URL=rspamd.url, KUBEMAIL_RSPAMD_TIMEOUT="3", **env)

    return build


def header(raw: bytes, name: str) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    fields = head.replace("\r\n\t", " ").replace("\r\n ", " ").split("\r\n")
    return [f.split(":", 1)[1].strip() for f in fields if f.lower().startswith(name.lower() + ":")]


def test_gtube_is_rejected_at_end_of_data(spam_world: Callable[..., World], rspamd: RspamdServer) -> None:
    w = spam_world()
    before = metrics.SPAM_VERDICTS.labels("reject")._value.get()
    code, text = send(w, "a@remote.test", compose("a@remote.test", body=f"{GTUBE}\r\n"))
    assert (code, text) == (550, b"5.7.1 Message rejected as spam")
    assert stored(w, ALICE) == []
    assert metrics.SPAM_VERDICTS.labels("reject")._value.get() == before + 1


def test_clean_message_is_delivered_with_the_scanner_header(
    spam_world: Callable[..., World], rspamd: RspamdServer
) -> None:
    w = spam_world()
    scanned = rspamd.stat()["scanned"]
    forged = "X-Spam: No\r\nX-Rspamd-Action: no action\r\n"
    assert send(w, "a@remote.test", compose("a@remote.test", extra=forged))[0] == 250
    [raw] = stored(w, ALICE)
    assert header(raw, "X-Rspamd-Action") == ["no action"]
    [result] = header(raw, "X-Spamd-Result")
    assert result.startswith("default: False [")
    assert header(raw, "X-Spam") == []  # the sender's own claim is gone
    assert rspamd.stat()["scanned"] == scanned + 1


@pytest.mark.parametrize(("pattern", "action"), [(GTUBE_ADD_HEADER, "add header"), (GTUBE_REWRITE, "rewrite subject")])
def test_spam_verdicts_go_to_junk(spam_world: Callable[..., World], pattern: str, action: str) -> None:
    w = spam_world()
    assert send(w, "a@remote.test", compose("a@remote.test", body=f"{pattern}\r\n"))[0] == 250
    assert stored(w, ALICE) == []
    [raw] = stored(w, ALICE, "Junk")
    assert header(raw, "X-Rspamd-Action") == [action]
    assert header(raw, "X-Spam") == ["Yes"]
    subject = header(raw, "Subject")
    assert subject == (["trust"] if action == "add header" else [subject[0]]) and len(subject) == 1
    if action == "rewrite subject":
        assert subject[0] != "trust" and "trust" in subject[0]


def test_spam_action_inbox_keeps_spam_in_the_inbox(spam_world: Callable[..., World]) -> None:
    w = spam_world(KUBEMAIL_SMTP_SPAM_ACTION="inbox")
    assert send(w, "a@remote.test", compose("a@remote.test", body=f"{GTUBE_ADD_HEADER}\r\n"))[0] == 250
    [raw] = stored(w, ALICE)
    assert header(raw, "X-Spam") == ["Yes"]


def test_submission_is_scanned_with_the_user(spam_world: Callable[..., World]) -> None:
    w = spam_world()
    with smtplib.SMTP("127.0.0.1", w.submission, local_hostname="client.test", timeout=10) as s:
        s.starttls(context=w.tls_context())
        s.login(ALICE, PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as err:
            s.sendmail(ALICE, [f"bob@{DOMAIN}"], compose(ALICE, f"bob@{DOMAIN}", body=f"{GTUBE}\r\n"))
    assert err.value.smtp_code == 550
    assert stored(w, f"bob@{DOMAIN}") == []


def test_silent_scanner_is_bounded_by_the_timeout(make_world: Callable[..., World], tmp_path: Path) -> None:
    """A scanner that accepts and never answers: the reply comes after KUBEMAIL_RSPAMD_TIMEOUT,
    fail-open delivers (and says so), fail-closed defers; neither hangs."""
    silent = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        w = make_world(KUBEMAIL_RSPAMD_URL=url, KUBEMAIL_RSPAMD_TIMEOUT="1")
        start = time.monotonic()
        assert send(w, "a@remote.test", compose("a@remote.test"))[0] == 250
        assert 0.9 < time.monotonic() - start < 5
        [raw] = stored(w, ALICE)
        assert header(raw, "X-Spamd-Result") == ["unscanned (scanner timeout)"]
        closed = make_world(
            KUBEMAIL_RSPAMD_URL=url, KUBEMAIL_RSPAMD_TIMEOUT="1", KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN="false"
        )
        code, text = send(closed, "a@remote.test", compose("a@remote.test", to=f"bob@{DOMAIN}"), f"bob@{DOMAIN}")
        assert (code, text) == (451, b"4.7.1 Spam scanner unavailable, try later")
        assert stored(closed, f"bob@{DOMAIN}") == []
    finally:
        silent.close()


def test_killed_rspamd_follows_fail_open_and_fail_closed(
    spam_world: Callable[..., World], rspamd: RspamdServer
) -> None:
    """rspamd SIGKILLed (main process and workers): fail-open stores the message it answers 250
    for, fail-closed answers 451 and stores nothing; after a restart scanning resumes."""
    open_world = spam_world()
    closed_world = spam_world(KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN="false")
    errors = rspamd_client.REQUESTS.labels("check", "error")._value.get()
    rspamd.kill()
    try:
        start = time.monotonic()
        assert send(open_world, "a@remote.test", compose("a@remote.test", body=f"{GTUBE}\r\n"))[0] == 250
        [raw] = stored(open_world, ALICE)
        assert header(raw, "X-Spamd-Result") == ["unscanned (scanner error)"]
        bob = f"bob@{DOMAIN}"
        code, _ = send(closed_world, "a@remote.test", compose("a@remote.test", bob), bob)
        assert code == 451
        assert stored(closed_world, bob) == []
        assert time.monotonic() - start < 5  # refused connections: no waiting for the timeout
        assert rspamd_client.REQUESTS.labels("check", "error")._value.get() == errors + 2
    finally:
        rspamd.restart()
    code, text = send(closed_world, "a@remote.test", compose("a@remote.test", body=f"{GTUBE}\r\n"))
    assert (code, text) == (550, b"5.7.1 Message rejected as spam")
