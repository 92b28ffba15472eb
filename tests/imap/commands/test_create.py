"""CREATE (RFC 3501 6.3.3, RFC 6154 CREATE-SPECIAL-USE) through imaplib.create."""

from __future__ import annotations

import re

from tests.imap.commands.util import code_of, expect_bad, force_state, mailbox_id, raw
from tests.imap.conftest import ImapHandle, Raw


def _names(c: object, pattern: str = "*") -> list[str]:
    typ, data = c.list('""', pattern)  # type: ignore[attr-defined]
    assert typ == "OK", data
    return [d.rsplit(b' "/" ', 1)[1].decode().strip('"') for d in data if d]


def test_create_and_second_client_sees_it(imap: ImapHandle) -> None:
    c = imap.login()
    other = imap.login()
    typ, data = c.create("Work")
    assert typ == "OK", data
    assert c.create("Deep/a/b")[0] == "OK"  # missing parents are created too
    assert c.create("Trailing/")[0] == "OK"  # trailing delimiter: the name without it
    names = _names(other)
    assert {"INBOX", "Work", "Deep", "Deep/a", "Deep/a/b", "Trailing"} <= set(names), names
    assert "Trailing/" not in names
    assert other.select("Deep/a/b") == ("OK", [b"0"])
    typ, data = c.status("Work", "(MESSAGES UIDNEXT)")
    assert data == [b'"Work" (MESSAGES 0 UIDNEXT 1)']
    c.logout()
    other.logout()


def test_create_errors(imap: ImapHandle) -> None:
    c = imap.login()
    c.create("Work")
    typ, data = c.create("Work")
    assert typ == "NO" and code_of(data) == "ALREADYEXISTS", data
    typ, data = c.create("INBOX")
    assert typ == "NO" and code_of(data) == "ALREADYEXISTS", data
    typ, data = c.create("inbox")  # INBOX is case-insensitive
    assert typ == "NO", data
    typ, data = c.create('"bad*name"')
    assert typ == "NO", data
    typ, data = c.create('"a%b"')
    assert typ == "NO", data
    expect_bad(raw, c, "CREATE")
    expect_bad(raw, c, "CREATE", "A", "B")
    assert "bad*name" not in _names(c)
    c.logout()
    d = imap.client()
    force_state(d, "AUTH")
    expect_bad(d.create, "X")
    force_state(d, "NONAUTH")
    d.logout()


def test_create_special_use(imap: ImapHandle) -> None:
    c = imap.login()
    assert raw(c, "CREATE", "MySent", "(USE (\\Sent))")[0] == "OK"
    typ, data = raw(c, "CREATE", "Odd", "(USE (\\Bogus))")
    assert typ == "NO" and code_of(data) == "USEATTR", data
    typ, data = c.list('""', "MySent")
    assert b"\\Sent" in data[0]
    c.logout()


# -- wire-level tests, formerly in tests/imap/test_mailboxes.py ------------------------
def _wire_names(lines: list[bytes]) -> list[bytes]:
    return [ln.rsplit(b' "/" ', 1)[1] for ln in lines if ln.startswith((b"* LIST", b"* LSUB"))]


def test_mailbox_names_utf7_and_utf8(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("c1", "CREATE &AMQ-pfel")  # "Äpfel" in modified UTF-7
    assert t.startswith(b"c1 OK"), t
    lines, _ = r.cmd("l1", 'LIST "" "*pfel"')
    assert _wire_names(lines) == [b'"&AMQ-pfel"']
    _, t = r.cmd("e1", "ENABLE UTF8=ACCEPT")
    lines, _ = r.cmd("l2", 'LIST "" "*pfel"')
    assert _wire_names(lines) == [b'"' + "Äpfel".encode() + b'"']  # RFC 6855 3: a UTF-8 quoted string
    lines, t = r.cmd("s1", b"STATUS {6+}\r\n" + "Äpfel".encode() + b" (MESSAGES)")
    assert t.startswith(b"s1 OK"), t
    r.close()


def test_create_reports_mailboxid(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("C", "CREATE Fresh")
    m = re.fullmatch(rb"C OK \[MAILBOXID \(([A-Za-z0-9_-]{1,255})\)\] .*", t)
    assert m, t  # RFC 8474 4.1
    assert mailbox_id(r, "Fresh") == m.group(1).decode()
    _, t2 = r.cmd("C2", "CREATE Fresh2")
    assert m.group(1) not in t2  # another mailbox, another id
    r.cmd("D", "DELETE Fresh")
    _, t3 = r.cmd("C3", "CREATE Fresh")
    assert b"MAILBOXID (" + m.group(1) + b")" not in t3  # never reused, not even for the same name
    r.close()
