"""Several sessions on one mailbox doing random APPEND / STORE / EXPUNGE / FETCH / MOVE at once:
every session's view (EXISTS minus EXPUNGE) ends equal to the mailbox, UIDs ascend, and \\Recent
is given to at most one session."""

from __future__ import annotations

import random
import threading

from tests.imap.conftest import ImapHandle, Raw, msg


class View:
    def __init__(self, r: Raw) -> None:
        self.r = r
        self.count = 0
        self.recent: set[int] = set()

    def apply(self, lines: list[bytes]) -> None:
        for ln in lines:
            parts = ln.split(b" ")
            if len(parts) >= 3 and parts[0] == b"*" and parts[2] == b"EXISTS":
                assert int(parts[1]) >= self.count - 0, (ln, self.count)
                self.count = int(parts[1])
            elif len(parts) >= 3 and parts[0] == b"*" and parts[2] == b"EXPUNGE":
                seq = int(parts[1])
                assert 1 <= seq <= self.count, (ln, self.count)
                self.count -= 1
            elif ln.startswith(b"* ") and b" FETCH (" in ln and b"\\Recent" in ln and b"UID " in ln:
                uid = int(ln.split(b"UID ")[1].split(b" ")[0].rstrip(b")"))
                self.recent.add(uid)

    def cmd(self, tag: str, text: bytes | str) -> bytes:
        lines, t = self.r.cmd(tag, text)
        self.apply(lines)
        return t


def _worker(imap: ImapHandle, seed: int, views: list[View], errors: list[str]) -> None:
    try:
        rnd = random.Random(seed)
        r = Raw(imap.port)
        r.login()
        v = View(r)
        views.append(v)
        v.cmd("s", "SELECT INBOX")
        for i in range(40):
            op = rnd.random()
            n = max(v.count, 1)
            a = rnd.randint(1, n)
            if op < 0.3:
                body = msg(seed * 1000 + i)
                t = v.cmd(f"a{i}", b"APPEND INBOX {%d+}\r\n" % len(body) + body)
            elif op < 0.55 and v.count:
                t = v.cmd(f"t{i}", f"STORE {a} +FLAGS (\\Deleted \\Seen)")
            elif op < 0.7:
                t = v.cmd(f"e{i}", "EXPUNGE")
            elif op < 0.85 and v.count:
                t = v.cmd(f"f{i}", f"FETCH {a}:* (UID FLAGS)")
            elif op < 0.9 and v.count:
                t = v.cmd(f"m{i}", f"MOVE {a} Archive")
            else:
                t = v.cmd(f"n{i}", "NOOP")
            if b" BAD " in t:
                errors.append(t.decode())
    except Exception as exc:  # reported by the test
        errors.append(repr(exc))


def test_concurrent_sessions_stay_consistent(imap: ImapHandle) -> None:
    c = imap.login()
    for i in range(10):
        c.append("INBOX", None, None, msg(i))
    c.logout()
    views: list[View] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_worker, args=(imap, k + 1, views, errors)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    final = Raw(imap.port)
    final.login()
    lines, _ = final.cmd("st", "STATUS INBOX (MESSAGES)")
    total = int(lines[0].split(b"MESSAGES ")[1].rstrip(b")"))
    for v in views:
        v.cmd("z", "NOOP")
        assert v.count == total
        lines, _ = v.r.cmd("u", "UID SEARCH ALL")
        uids = [int(x) for x in lines[0].split()[2:]]
        assert uids == sorted(uids) and len(uids) == total
    all_recent = [u for v in views for u in v.recent]
    assert len(all_recent) == len(set(all_recent)), "\\Recent given to two sessions"


def test_every_new_message_is_recent_in_the_polling_session(imap: ImapHandle) -> None:
    """#13 item 1: two sessions APPEND while a third polls with NOOP; every new message must be
    \\Recent in the poller (the only session with INBOX selected). ClaimRecent used to remove
    messages the poller had not seen yet, so about 40% ended up \\Recent nowhere."""
    poller = Raw(imap.port)
    poller.cmd("p1", "LOGIN alice@example.test secret")
    poller.cmd("p2", "SELECT INBOX")
    per_writer = 25

    def writer(n: int) -> None:
        c = imap.login()
        for i in range(per_writer):
            c.append("INBOX", None, None, msg(n * 1000 + i))
        c.logout()

    threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    polls = 0
    while any(t.is_alive() for t in threads) or polls < 3:
        poller.cmd(f"n{polls}", "NOOP")
        polls += 1
    for t in threads:
        t.join()
    poller.cmd("n-last", "NOOP")
    lines, tag = poller.cmd("s1", "UID SEARCH RECENT")
    assert tag.startswith(b"s1 OK"), tag
    found = [int(x) for ln in lines if ln.startswith(b"* SEARCH") for x in ln.split()[2:]]
    assert sorted(found) == list(range(1, 2 * per_writer + 1)), (len(found), polls)
    poller.close()
