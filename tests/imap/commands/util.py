"""Helpers for the per-command acceptance modules: imaplib clients on the in-process server,
seeding, forcing imaplib's client-side state (so the *server's* state checks are exercised),
and a small IDLE driver (imaplib in Python 3.11 has no idle())."""

from __future__ import annotations

import imaplib
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.imap.conftest import ImapHandle, Raw, msg

# extension commands imaplib 3.11 does not know
imaplib.Commands.setdefault("IDLE", ("AUTH", "SELECTED"))
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
imaplib.Commands.setdefault("ESEARCH", ("SELECTED",))

Error = imaplib.IMAP4.error


def fill(imap: ImapHandle, n: int, mailbox: str = "INBOX", start: int = 1) -> None:
    """Appends msg(start..start+n-1) to `mailbox` through a separate imaplib session."""
    c = imap.login()
    for i in range(start, start + n):
        typ, data = c.append(mailbox, None, None, msg(i))
        assert typ == "OK", data
    c.logout()


def selected(imap: ImapHandle, mailbox: str = "INBOX", readonly: bool = False) -> imaplib.IMAP4:
    c = imap.login()
    typ, data = c.select(mailbox, readonly=readonly)
    assert typ == "OK", data
    return c


def expect_bad(fn: Callable[..., Any], *args: Any) -> str:
    """Calls an imaplib method that must end in a tagged BAD (imaplib raises IMAP4.error)."""
    with pytest.raises(Error) as exc:
        fn(*args)
    text = str(exc.value)
    assert "command error: BAD" in text, text
    return text


def force_state(c: imaplib.IMAP4, state: str) -> None:
    """Lies to imaplib about the session state so a command reaches the server anyway."""
    c.state = state


def pop(c: imaplib.IMAP4, name: str) -> list[Any]:
    """Untagged responses (or response codes) of `name` collected so far; clears them."""
    return list(c.untagged_responses.pop(name, []))


def raw(c: imaplib.IMAP4, name: str, *args: str) -> tuple[str, list[Any]]:
    """Runs an arbitrary command through imaplib's own machinery (`_simple_command`)."""
    return c._simple_command(name, *args)  # type: ignore[attr-defined,no-any-return]


def code_of(data: list[Any]) -> str:
    """The response code of a tagged NO/OK text, e.g. "TRYCREATE" from [b"[TRYCREATE] ..."]."""
    text = data[-1].decode() if isinstance(data[-1], bytes) else str(data[-1])
    m = re.match(r"\[([A-Z0-9.=-]+)", text)
    return m.group(1) if m else ""


def seqs(data: list[Any], kind: str = "EXPUNGE") -> list[int]:
    return [int(x) for x in data]


def fetch_flags(c: imaplib.IMAP4, seqset: str = "1:*") -> dict[int, set[str]]:
    typ, data = c.fetch(seqset, "(FLAGS)")
    assert typ == "OK", data
    out: dict[int, set[str]] = {}
    for item in data:
        if not isinstance(item, bytes):
            continue
        m = re.match(rb"(\d+) \(.*FLAGS \(([^)]*)\)", item)
        if m:
            out[int(m.group(1))] = set(m.group(2).decode().split())
    return out


def uids(c: imaplib.IMAP4, query: str = "ALL") -> list[int]:
    typ, data = c.uid("SEARCH", query)
    assert typ == "OK", data
    return [int(x) for x in data[0].split()]


class Idler:
    """Drives IDLE over an imaplib connection: start, read untagged lines, DONE."""

    def __init__(self, c: imaplib.IMAP4) -> None:
        self.c = c
        self.tag = c._command("IDLE")  # type: ignore[attr-defined]
        first = c.readline()
        assert first.startswith(b"+"), first
        self.lines: list[bytes] = []

    def wait_for(self, pattern: bytes, timeout: float = 10.0) -> list[bytes]:
        """Reads untagged lines until one matches `pattern` (regex); returns all read so far."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        assert self.c.sock is not None
        while time.monotonic() < deadline:
            self.c.sock.settimeout(max(0.1, deadline - time.monotonic()))
            line = self.c.readline().rstrip(b"\r\n")
            if not line:
                raise EOFError("server closed the connection during IDLE")
            self.lines.append(line)
            if rx.search(line):
                self.c.sock.settimeout(15)
                return self.lines
        raise AssertionError(f"no {pattern!r} during IDLE; got {self.lines}")

    def done(self) -> tuple[str, list[Any]]:
        assert self.c.sock is not None
        self.c.sock.settimeout(15)
        self.c.send(b"DONE\r\n")
        return self.c._command_complete("IDLE", self.tag)  # type: ignore[attr-defined,no-any-return]


def move(c: imaplib.IMAP4, seqset: str, mailbox: str) -> tuple[str, list[Any]]:
    """imaplib 3.11 lists MOVE as a command but has no move() method."""
    return raw(c, "MOVE", seqset, mailbox)


def fill_mail(imap: ImapHandle, n: int = 5) -> Raw:
    c = imap.login()
    for i in range(1, n + 1):
        body = (
            b"From: s%d@example.test\r\nSubject: subj %d\r\nDate: %d Jan 2024 10:00:00 +0000\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nword%d \xc3\xa9t\xc3\xa9\r\n" % (i, i, i, i)
        )
        c.append("INBOX", "(\\Seen)" if i % 2 else None, f'"0{i}-Feb-2024 10:00:00 +0000"', body)
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


def fill_raw(imap: ImapHandle, n: int) -> Raw:
    c = imap.login()
    for i in range(1, n + 1):
        c.append("INBOX", None, None, msg(i))
    c.create("Archive")
    c.logout()
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    return r


_OBJECT_IDS = re.compile(rb"UID (\d+) EMAILID \(([A-Za-z0-9_-]+)\) THREADID \(([A-Za-z0-9_-]+)\)")


def object_ids(r: Raw, seqset: str = "1:*") -> dict[int, tuple[str, str]]:
    """uid -> (EMAILID, THREADID) of the selected mailbox's messages (RFC 8474 FETCH items)."""
    lines, tagged = r.cmd("OI", f"UID FETCH {seqset} (UID EMAILID THREADID)")
    assert tagged.startswith(b"OI OK"), tagged
    out: dict[int, tuple[str, str]] = {}
    for line in lines:
        m = _OBJECT_IDS.search(line)
        assert m, line
        out[int(m.group(1))] = (m.group(2).decode(), m.group(3).decode())
    return out


def mailbox_id(r: Raw, name: str) -> str:
    """MAILBOXID of a mailbox via STATUS (RFC 8474 4.3)."""
    lines, tagged = r.cmd("MI", f'STATUS "{name}" (MAILBOXID)')
    assert tagged.startswith(b"MI OK"), tagged
    m = re.search(rb"\(MAILBOXID \(([A-Za-z0-9_-]{1,255})\)\)", lines[0])
    assert m, lines
    return m.group(1).decode()
