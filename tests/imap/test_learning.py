"""Spam learning from IMAP (issue 15) against a real rspamd: MOVE into Junk trains spam, MOVE
out of Junk trains ham (visible in the controller's /stat), and a dead scanner never fails
or slows the IMAP command."""

from __future__ import annotations

import imaplib
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from services.common import rspamd as rspamd_client
from tests.fixtures.rspamd import RspamdServer
from tests.imap.conftest import PASSWORD, USER, ImapHandle, start_imap, stop_imap

SPAMMY = (
    b"From: Promo <promo@remote.test>\r\nTo: alice@example.test\r\nSubject: %s\r\n"
    b"Message-ID: <%s@remote.test>\r\n\r\nCheap watches and pills, limited offer %s, click now.\r\n"
)


@pytest.fixture
def learning_imap(imap: ImapHandle, rspamd: RspamdServer) -> Iterator[Callable[..., ImapHandle]]:
    """The imap fixture's world, with a second server that trains `rspamd` (or another URL)."""
    started: list[Any] = []

    def build(url: str = "") -> ImapHandle:
        srv, lt = start_imap(imap.env, KUBEMAIL_RSPAMD_CONTROLLER_URL=url or rspamd.controller_url)
        started.append((srv, lt))
        return ImapHandle(srv.port_of("imap"), 0, srv, lt, imap.env, imap.user_id)

    yield build
    for srv, lt in started:
        stop_imap(srv, lt)


def revisions(rs: RspamdServer) -> dict[str, int]:
    return {f["symbol"]: int(f["revision"]) for f in rs.stat()["statfiles"]}


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not learned in time"
        time.sleep(0.1)


def append(c: imaplib.IMAP4, mailbox: str, n: int) -> None:
    tag = f"learn{n}-{time.monotonic_ns()}".encode()
    typ, _ = c.append(mailbox, None, None, SPAMMY % (tag, tag, tag))
    assert typ == "OK"


def test_move_into_junk_learns_spam_and_out_learns_ham(
    learning_imap: Callable[..., ImapHandle], rspamd: RspamdServer
) -> None:
    h = learning_imap()
    before = revisions(rspamd)
    c = h.login(USER, PASSWORD)
    append(c, "INBOX", 1)
    append(c, "Junk", 2)
    c.select("INBOX")
    typ, data = c.uid("MOVE", "1:*", "Junk")
    assert typ == "OK", data
    wait_for(lambda: revisions(rspamd)["BAYES_SPAM"] == before["BAYES_SPAM"] + 1)
    c.select("Junk")
    typ, _ = c.uid("MOVE", "1", "INBOX")  # the one appended to Junk
    assert typ == "OK"
    wait_for(lambda: revisions(rspamd)["BAYES_HAM"] == before["BAYES_HAM"] + 1)
    typ, _ = c.uid("COPY", "1:*", "Trash")  # out of Junk into Trash: no lesson
    assert typ == "OK"
    time.sleep(0.5)
    assert revisions(rspamd)["BAYES_HAM"] == before["BAYES_HAM"] + 1
    c.logout()


def test_dead_scanner_never_fails_the_move(learning_imap: Callable[..., ImapHandle]) -> None:
    dead = socket.create_server(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now: connections are refused
    errors = rspamd_client.REQUESTS.labels("learn_spam", "error")._value.get()
    h = learning_imap(f"http://127.0.0.1:{port}")
    c = h.login(USER, PASSWORD)
    append(c, "INBOX", 3)
    c.select("INBOX")
    start = time.monotonic()
    typ, _ = c.uid("MOVE", "1:*", "Junk")
    assert typ == "OK" and time.monotonic() - start < 2
    wait_for(lambda: rspamd_client.REQUESTS.labels("learn_spam", "error")._value.get() > errors)
    c.logout()
