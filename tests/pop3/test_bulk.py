"""Acceptance size: 1,000 messages downloaded by Python's poplib, Debian's fetchmail and
getmail6, with delete (they disappear from the IMAP view too) and in keep mode (they stay,
and a second run fetches nothing new). Every message is checked byte-exact by hash.

The stack runs on the filesystem blob backend and is seeded concurrently; see
tests/fixtures/bulk.py for why. KUBEMAIL_POP3_TEST_BULK sets the size (default 1000).
"""

from __future__ import annotations

import imaplib
import os
import poplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.bulk import Phases, bulk_deliver, bulk_messages, fs_env, hashes
from tests.pop3.clients import LmtpSink, fetched, run_fetchmail, run_getmail
from tests.pop3.conftest import ADDRESS, PASSWORD, Pop3Handle

pytestmark = pytest.mark.slow

N_BULK = int(os.environ.get("KUBEMAIL_POP3_TEST_BULK", "1000"))


@pytest.fixture
def backend_env(backend_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The shared backend (fresh Redis), blobs in one local directory for every component."""
    return fs_env(backend_env, tmp_path / "fsblobs")


class ImapView:
    """The IMAP front-end on the same metadata service: what an IMAP client sees."""

    def __init__(self, port: int) -> None:
        self.port = port

    def inbox_uids(self) -> list[int]:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        try:
            c.login(ADDRESS, PASSWORD)
            typ, data = c.select("INBOX", readonly=True)
            assert typ == "OK", data
            exists = int(data[0] or b"")
            typ, data = c.uid("SEARCH", "ALL")
            assert typ == "OK", data
            uids = [int(u) for u in (data[0] or b"").split()]
            assert len(uids) == exists, (len(uids), exists)
            return uids
        finally:
            c.logout()


@pytest.fixture
def lmtp_sink() -> Iterator[LmtpSink]:
    s = LmtpSink()
    yield s
    s.stop()


@pytest.fixture
def imap_view(pop3: Pop3Handle) -> Iterator[ImapView]:
    from tests.imap.conftest import start_imap, stop_imap

    srv, lt = start_imap(pop3.env)
    yield ImapView(srv.port_of("imap"))
    stop_imap(srv, lt)


def seed(h: Pop3Handle, tag: str, phases: Phases) -> tuple[list[bytes], list[int]]:
    raws = bulk_messages(N_BULK, ADDRESS, tag)
    with phases("seed"):
        uids = h.run(bulk_deliver(h.client, h.blobs, h.user_id, raws), 120)
    assert len(set(uids)) == N_BULK
    return raws, sorted(uids)


# -- poplib --------------------------------------------------------------------------------


def pop_session(h: Pop3Handle, *, delete: bool) -> tuple[list[bytes], list[bytes], int]:
    """One poplib session: RETR every message (DELE each when `delete`).

    Returns (messages, UIDLs, maildrop size in octets from STAT)."""
    p = poplib.POP3("127.0.0.1", h.port, timeout=30)
    try:
        p.user(ADDRESS)
        p.pass_(PASSWORD)
        count, octets = p.stat()
        uidl = [line.split()[1] for line in p.uidl()[1]]
        got = []
        for n in range(1, count + 1):
            _, lines, _ = p.retr(n)
            got.append(b"\r\n".join(lines) + b"\r\n")
            if delete:
                p.dele(n)
        p.quit()
    except BaseException:
        p.close()
        raise
    return got, uidl, octets


def test_poplib_bulk_keep_then_delete(pop3: Pop3Handle, imap_view: ImapView) -> None:
    t = Phases("poplib")
    raws, uids = seed(pop3, "poplib", t)
    with t("keep"):
        got, uidl, octets = pop_session(pop3, delete=False)
    assert len(got) == N_BULK and hashes(got) == hashes(raws)
    assert octets == sum(len(r) for r in raws)
    assert imap_view.inbox_uids() == uids  # keep mode: all still there for IMAP
    with t("delete"):
        got, uidl2, _ = pop_session(pop3, delete=True)
    assert uidl2 == uidl  # stable UIDLs: a client that remembers them fetches nothing new
    assert hashes(got) == hashes(raws)
    assert imap_view.inbox_uids() == []
    assert pop3.inbox()[1] == []
    print(t)


# -- fetchmail -----------------------------------------------------------------------------


def test_fetchmail_bulk_delete(pop3: Pop3Handle, imap_view: ImapView, tmp_path: Path) -> None:
    t = Phases("fetchmail delete")
    raws, _ = seed(pop3, "fmdel", t)
    with t("fetchmail"):
        code, got, err = run_fetchmail(pop3, tmp_path / "fm", keep=False)
    assert code == 0 and err == "", err
    assert len(got) == N_BULK, (len(got), err)
    assert hashes(fetched(got)) == hashes(raws)
    assert imap_view.inbox_uids() == []
    assert pop3.inbox()[1] == []
    with t("fetchmail again"):
        code, got, err = run_fetchmail(pop3, tmp_path / "fm", keep=False)
    assert code == 1 and got == [] and err == "", err  # 1: no mail
    print(t)


def test_fetchmail_bulk_keep(pop3: Pop3Handle, imap_view: ImapView, tmp_path: Path) -> None:
    t = Phases("fetchmail keep")
    raws, uids = seed(pop3, "fmkeep", t)
    with t("fetchmail"):
        code, got, err = run_fetchmail(pop3, tmp_path / "fm", keep=True)
    assert code == 0 and err == "", err
    assert len(got) == N_BULK, (len(got), err)
    assert hashes(fetched(got)) == hashes(raws)
    assert imap_view.inbox_uids() == uids
    with t("fetchmail again"):
        code, got, err = run_fetchmail(pop3, tmp_path / "fm", keep=True)
    assert code == 1 and got == [] and err == "", err  # nothing new
    assert imap_view.inbox_uids() == uids
    print(t)


# -- getmail6 ------------------------------------------------------------------------------


def test_getmail_bulk_keep_then_delete(
    pop3: Pop3Handle, imap_view: ImapView, lmtp_sink: LmtpSink, tmp_path: Path
) -> None:
    t = Phases("getmail")
    raws, uids = seed(pop3, "getmail", t)
    with t("keep"):
        got = run_getmail(pop3, tmp_path / "keep", lmtp_sink, delete=False)
    assert len(got) == N_BULK
    assert hashes(got) == hashes(raws)
    assert imap_view.inbox_uids() == uids
    with t("keep again"):
        assert run_getmail(pop3, tmp_path / "keep", lmtp_sink, delete=False) == []  # nothing new
    with t("delete"):
        got = run_getmail(pop3, tmp_path / "delete", lmtp_sink, delete=True)  # fresh client state: all, deleted
    assert hashes(got) == hashes(raws)
    assert imap_view.inbox_uids() == []
    assert pop3.inbox()[1] == []
    print(t)
