"""NOTIFY (RFC 5465) over a raw connection, changes made by a second imaplib session:
STATUS for MessageNew / MessageExpunge / FlagChange in other mailboxes (after NOOP and pushed
during IDLE through the change feed), LIST for MailboxName (create, rename with OLDNAME,
delete) and SubscriptionChange, the PERSONAL / INBOXES / SUBSCRIBED / SUBTREE / MAILBOXES
filters, SELECTED keeping EXISTS, SELECTED-DELAYED holding expunges, MessageNew's fetch
attributes for the selected mailbox, NOTIFY SET STATUS, NOTIFY NONE, errors, wrong state."""

from __future__ import annotations

import re

from tests.imap.commands.util import fill
from tests.imap.conftest import ImapHandle, Raw

EVENTS = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)"


def notified(imap: ImapHandle, spec: str) -> Raw:
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("n", f"NOTIFY SET {spec}")
    assert t.startswith(b"n OK"), t
    assert lines == [], lines
    return r


def noop(r: Raw) -> list[bytes]:
    lines, t = r.cmd("p", "NOOP")
    assert t.startswith(b"p OK"), t
    return lines


def status_of(lines: list[bytes], name: str) -> dict[str, int] | None:
    """The latest STATUS report of `name` (changes may also be pushed one by one between commands)."""
    for ln in reversed(lines):
        m = re.match(rb'\* STATUS "?' + re.escape(name.encode()) + rb'"? \(([^)]*)\)', ln)
        if m:
            w = m.group(1).decode().split()
            return {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}
    return None


def test_capability(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    lines, _ = r.cmd("c", "CAPABILITY")
    assert b" NOTIFY" in lines[0], lines
    r.close()


def test_message_events_in_other_mailboxes(imap: ImapHandle) -> None:
    r = notified(imap, f"(PERSONAL {EVENTS})")
    assert noop(r) == []  # nothing changed yet
    fill(imap, 2, "Archive")
    st = status_of(noop(r), "Archive")
    assert st is not None and st["MESSAGES"] == 2 and st["UIDNEXT"] == 3 and st["UNSEEN"] == 2, st
    assert noop(r) == []  # reported once
    c = imap.login()
    c.select("Archive")
    c.store("1", "+FLAGS", "(\\Seen)")
    st = status_of(noop(r), "Archive")
    assert st is not None and st["UNSEEN"] == 1 and st["MESSAGES"] == 2, st  # FlagChange
    c.store("2", "+FLAGS", "(\\Deleted)")
    c.expunge()
    lines = noop(r)
    st = status_of(lines, "Archive")
    assert st is not None and st["MESSAGES"] == 1, lines  # MessageExpunge
    c.logout()
    r.close()


def test_mailbox_name_and_subscription_events(imap: ImapHandle) -> None:
    r = notified(imap, f"(PERSONAL {EVENTS})")
    c = imap.login()
    c.create("Proj")
    assert b'* LIST () "/" "Proj"' in noop(r)
    c.rename("Proj", "Work")
    assert b'* LIST () "/" "Work" ("OLDNAME" ("Proj"))' in noop(r)
    c.subscribe("Work")
    assert b'* LIST (\\Subscribed) "/" "Work"' in noop(r)
    c.unsubscribe("Work")
    assert b'* LIST () "/" "Work"' in noop(r)
    c.delete("Work")
    assert b'* LIST (\\NonExistent) "/" "Work"' in noop(r)
    c.logout()
    r.close()


def test_pushed_during_idle(imap: ImapHandle) -> None:
    r = notified(imap, "(INBOXES (MessageNew MessageExpunge))")
    r.send(b"i IDLE\r\n")
    assert r.line().startswith(b"+")
    fill(imap, 1, "Archive")  # not an inbox: not reported
    fill(imap, 1, "INBOX")
    line = r.line()
    while line.startswith(b"* OK"):  # keepalives
        line = r.line()
    assert status_of([line], "INBOX") == {
        "MESSAGES": 1,
        "UIDNEXT": 2,
        "UIDVALIDITY": status_of([line], "INBOX")["UIDVALIDITY"],
        "UNSEEN": 1,
    }  # type: ignore[index]
    r.send(b"DONE\r\n")
    _, t = r.until("i")
    assert t.startswith(b"i OK"), t
    r.close()


def test_filters(imap: ImapHandle) -> None:
    c = imap.login()
    for name in ("Lists", "Lists/python", "Other", "Sub", "Loose"):
        c.create(name)
    c.subscribe("Sub")
    spec = '(SUBTREE Lists (MessageNew MessageExpunge)) (MAILBOXES ("Other") NONE)'
    r = notified(imap, spec + " (SUBSCRIBED (MessageNew MessageExpunge))")
    for name in ("Lists/python", "Other", "Sub", "Loose"):
        fill(imap, 1, name)
    lines = noop(r)
    assert status_of(lines, "Lists/python") and status_of(lines, "Sub"), lines
    # MAILBOXES with NONE comes first for Other: nothing for it; Loose is in no filter
    assert status_of(lines, "Other") is None and status_of(lines, "Loose") is None, lines
    c.logout()
    r.close()


def test_selected_mailbox_gets_exists_not_status(imap: ImapHandle) -> None:
    r = notified(imap, f"(SELECTED (MessageNew MessageExpunge FlagChange)) (PERSONAL {EVENTS})")
    _, t = r.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK"), t
    fill(imap, 1, "INBOX")
    lines = noop(r)
    assert b"* 1 EXISTS" in lines and status_of(lines, "INBOX") is None, lines
    r.close()


def test_set_status_and_none(imap: ImapHandle) -> None:
    fill(imap, 1, "Archive")
    r = Raw(imap.port)
    r.login()
    lines, t = r.cmd("n", "NOTIFY SET STATUS (PERSONAL (MessageNew MessageExpunge))")
    assert t.startswith(b"n OK"), t
    assert status_of(lines, "Archive") is not None and status_of(lines, "INBOX") is not None, lines
    _, t = r.cmd("x", "NOTIFY NONE")
    assert t.startswith(b"x OK"), t
    fill(imap, 1, "Archive")
    assert noop(r) == []
    r.close()


def test_errors(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    for text in (
        "NOTIFY SET (PERSONAL (MessageNew))",  # without MessageExpunge
        "NOTIFY SET (PERSONAL (FlagChange))",
        "NOTIFY SET (SELECTED (MailboxName))",
        "NOTIFY SET (SELECTED NONE) (SELECTED-DELAYED NONE)",
        "NOTIFY SET (EVERYWHERE (MessageNew MessageExpunge))",
        "NOTIFY SET",
        "NOTIFY",
        "NOTIFY MAYBE",
    ):
        _, t = r.cmd("b", text)
        assert t.startswith(b"b BAD"), (text, t)
    _, t = r.cmd("e", "NOTIFY SET (PERSONAL (AnnotationChange))")
    assert t.startswith(b"e NO [BADEVENT]"), t
    # MessageNew with fetch attributes is accepted
    _, t = r.cmd("f", "NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge))")
    assert t.startswith(b"f OK"), t
    r.close()
    r = Raw(imap.port)
    _, t = r.cmd("a", "NOTIFY NONE")
    assert t.startswith(b"a BAD"), t
    r.close()


def test_message_new_sends_the_requested_fetch_attributes(imap: ImapHandle) -> None:
    fill(imap, 1)
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    spec = "(SELECTED (MessageNew (UID FLAGS BODY[HEADER.FIELDS (SUBJECT)]) MessageExpunge))"
    _, t = r.cmd("n", f"NOTIFY SET {spec}")
    assert t.startswith(b"n OK"), t
    fill(imap, 2, start=2)
    lines = noop(r)
    assert b"* 3 EXISTS" in lines, lines
    fetches = [ln for ln in lines if re.match(rb"\* [23] FETCH ", ln)]
    assert len(fetches) == 2, lines
    joined = b"\n".join(lines)
    assert b"UID 2" in joined and b"UID 3" in joined and b"FLAGS (\\Recent)" in joined, lines
    assert b"Subject: hello 2" in joined and b"Subject: hello 3" in joined, lines
    assert noop(r) == []  # sent once
    # BODY[...] in a notification does not set \Seen
    lines, _ = r.cmd("f", "FETCH 2:3 FLAGS")
    assert not any(b"\\Seen" in ln for ln in lines), lines
    # during IDLE too (pushed by the change feed)
    r.send(b"i IDLE\r\n")
    assert r.line().startswith(b"+")
    fill(imap, 1, start=4)
    got = [r.line() for _ in range(2)]
    while not any(b"FETCH" in g for g in got):
        got.append(r.line())
    r.send(b"DONE\r\n")
    rest, _t = r.until("i")
    assert any(b"Subject: hello 4" in ln for ln in got + rest), got + rest
    _, t = r.cmd("b", "NOTIFY SET (SELECTED (MessageNew (RFC822) MessageExpunge))")
    assert t.startswith(b"b BAD"), t
    _, t = r.cmd("b", "NOTIFY SET (SELECTED (MessageNew (NOSUCH) MessageExpunge))")
    assert t.startswith(b"b BAD"), t
    _, t = r.cmd("b", "NOTIFY SET (PERSONAL (MessageNew (BODY[1.) MessageExpunge))")
    assert t.startswith(b"b BAD"), t
    r.close()


def test_selected_delayed_holds_expunges(imap: ImapHandle) -> None:
    fill(imap, 3)
    r = Raw(imap.port)
    r.login()
    r.cmd("s", "SELECT INBOX")
    _, t = r.cmd("n", "NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge FlagChange))")
    assert t.startswith(b"n OK"), t
    c = imap.login()
    c.select("INBOX")
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    c.expunge()
    # UID FETCH and UID SEARCH (RFC 3501 7.4.1 would allow EXPUNGE after them) hold it back
    for tag, text in (("u", "UID FETCH 1:* FLAGS"), ("v", "UID SEARCH ALL"), ("w", "STATUS INBOX (MESSAGES)")):
        lines, t = r.cmd(tag, text)
        assert t.startswith(f"{tag} OK".encode()), t
        assert not any(b"EXPUNGE" in ln for ln in lines), (text, lines)
    lines = noop(r)
    assert b"* 1 EXPUNGE" in lines, lines
    # plain SELECTED: the same UID FETCH reports it at once
    _, t = r.cmd("n", "NOTIFY SET (SELECTED (MessageNew MessageExpunge FlagChange))")
    c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
    c.expunge()
    lines, t = r.cmd("u", "UID FETCH 1:* FLAGS")
    assert any(b"* 1 EXPUNGE" in ln for ln in lines), lines
    c.logout()
    r.close()


def test_changes_are_pushed_while_the_client_sends_nothing(imap: ImapHandle) -> None:
    """RFC 5465: with NOTIFY the client need not IDLE; between commands the server reports at
    once (STATUS for other mailboxes, EXISTS for the selected one, never EXPUNGE: RFC 3501 7.4.1)."""
    r = Raw(imap.port)
    r.login()
    _, t = r.cmd("s", "SELECT INBOX")
    assert t.startswith(b"s OK"), t
    _, t = r.cmd("n", f"NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (PERSONAL {EVENTS})")
    assert t.startswith(b"n OK"), t
    fill(imap, 2, "Archive")  # another session; this one sends nothing from here on
    line = r.line()
    while status_of([line], "Archive") is None or status_of([line], "Archive")["MESSAGES"] < 2:  # type: ignore[index]
        line = r.line()  # (a first report may show only the first of the two)
    fill(imap, 1, "INBOX")
    line = r.line()
    while not line.endswith(b" EXISTS"):
        assert not line.endswith(b" EXPUNGE"), line
        line = r.line()
    assert line == b"* 1 EXISTS", line
    r.close()
