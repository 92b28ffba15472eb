"""RFC 8474 object ids across pods and threading through APPEND (DESIGN invariant 11): a second
IMAP server (its own MetadataClient) reports the same MAILBOXID, EMAILID and THREADID; a reply
lands in its parent's thread only when it references it and the base subjects match."""

from __future__ import annotations

from tests.imap.commands.util import mailbox_id, object_ids
from tests.imap.conftest import ImapHandle, Raw, start_imap, stop_imap


def _append(r: Raw, subject: str, msgid: str, extra: str = "") -> None:
    body = (
        f"From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\n"
        f"Message-ID: {msgid}\r\n{extra}\r\nhi\r\n"
    ).encode()
    r.send(b"A APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
    _, t = r.until("A")
    assert t.startswith(b"A OK"), t


def test_second_pod_sees_the_same_ids(imap: ImapHandle) -> None:
    srv, lt = start_imap(imap.env)
    try:
        a, b = Raw(imap.port), Raw(srv.port_of("imap"))
        a.login()
        b.login()
        a.cmd("C", "CREATE Shared")
        _append(a, "pods", "<pods@x>")
        a.cmd("S", "SELECT INBOX")
        a.cmd("K", "COPY 1 Shared")
        b.cmd("S", "SELECT INBOX")
        assert object_ids(b) == object_ids(a)
        assert mailbox_id(b, "Shared") == mailbox_id(a, "Shared")
        b.cmd("S2", "SELECT Shared")
        assert list(object_ids(b).values()) == list(object_ids(a).values())
        a.close()
        b.close()
    finally:
        stop_imap(srv, lt)


def test_threading_through_append(imap: ImapHandle) -> None:
    r = Raw(imap.port)
    r.login()
    _append(r, "Quarterly numbers", "<q1@x>")
    _append(r, "Re: Quarterly numbers", "<q2@x>", "In-Reply-To: <q1@x>\r\nReferences: <q1@x>\r\n")
    _append(r, "Quarterly numbers", "<q3@x>")  # same subject, no reference: its own thread
    _append(r, "Re: lunch?", "<q4@x>", "In-Reply-To: <q2@x>\r\n")  # references, other subject
    _append(r, "Fwd: RE: [fin] quarterly  NUMBERS", "<q5@x>", "References: <q1@x> <q2@x>\r\n")
    r.cmd("S", "SELECT INBOX")
    ids = object_ids(r)
    threads = [ids[u][1] for u in sorted(ids)]
    assert threads[1] == threads[0] == threads[4]
    assert len({threads[0], threads[2], threads[3]}) == 3
    assert len({e for e, _ in ids.values()}) == 5
    lines, _ = r.cmd("Q", f"UID SEARCH THREADID {threads[0]}")
    assert lines == [b"* SEARCH 1 2 5"]
    r.close()
