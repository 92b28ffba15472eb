"""Sans-I/O receiver and grammar: every input re-fed in chunks of 1..512 bytes; fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.imap.grammar import Command, FetchAtt, LoginArgs, Section
from services.imap.receiver import Bad, Continue, Fatal, Limits, Receiver

SAMPLES: list[bytes] = [
    b"a CAPABILITY\r\n",
    b"a NOOP\r\n",
    b"a LOGOUT\r\n",
    b'a LOGIN bob "p\\"w"\r\n',
    b"a LOGIN {3}\r\nbob {2}\r\npw\r\n",
    b"a AUTHENTICATE PLAIN AGJvYgBwdw==\r\n",
    b"a AUTHENTICATE LOGIN\r\n",
    b"a STARTTLS\r\n",
    b"a ENABLE QRESYNC CONDSTORE\r\n",
    b"a SELECT INBOX (CONDSTORE)\r\n",
    b"a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
    b'a EXAMINE "Sent Items"\r\n',
    b"a CREATE foo/bar (USE (\\Sent))\r\n",
    b"a DELETE foo\r\n",
    b"a RENAME foo bar\r\n",
    b"a SUBSCRIBE foo\r\n",
    b"a UNSUBSCRIBE foo\r\n",
    b'a LIST "" *\r\n',
    b'a LIST (SUBSCRIBED) "" ("*" %) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n',
    b'a LSUB "" %\r\n',
    b"a NAMESPACE\r\n",
    b"a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT SIZE HIGHESTMODSEQ)\r\n",
    b'a APPEND INBOX (\\Seen) " 5-Mar-2021 10:00:00 +0000" {11}\r\nhello world\r\n',
    b"a APPEND INBOX {5+}\r\nhello\r\n",
    b"a APPEND INBOX {2+}\r\nm1 (\\Seen) CATENATE (TEXT {1+}\r\nx URL /INBOX/;UID=3)\r\n",
    b"a IDLE\r\n",
    b"a COMPRESS DEFLATE\r\n",
    b'a CANCELUPDATE "t1" {2+}\r\nt2\r\n',
    b'a ID ("name" "x" "version" NIL)\r\n',
    b"a GETQUOTAROOT INBOX\r\n",
    b'a GETQUOTA ""\r\n',
    b'a GETMETADATA (DEPTH 1) "" /shared/comment\r\n',
    b"a SETMETADATA INBOX (/private/comment {5}\r\nhello)\r\n",
    b"a SETACL INBOX bob@example.test lrs\r\n",
    b"a DELETEACL INBOX bob@example.test\r\n",
    b"a GETACL INBOX\r\n",
    b"a LISTRIGHTS INBOX bob@example.test\r\n",
    b"a MYRIGHTS INBOX\r\n",
    b"a NOTIFY SET STATUS (PERSONAL (MessageNew MessageExpunge MailboxName))\r\n",
    b'a SETQUOTA "" (STORAGE 512)\r\n',
    b"a CHECK\r\n",
    b"a CLOSE\r\n",
    b"a UNSELECT\r\n",
    b"a EXPUNGE\r\n",
    b"a UID EXPUNGE 1:3,5\r\n",
    b"a SEARCH CHARSET UTF-8 OR SEEN (UID 1:5 FROM {4}\r\nbob\xc3) NOT SINCE 1-Feb-2020\r\n",
    b'a UID SEARCH RETURN (MIN MAX COUNT) UNSEEN LARGER 100 HEADER X-Foo "" MODSEQ 5\r\n',
    b"a SORT (REVERSE DATE SUBJECT) UTF-8 UNSEEN\r\n",
    b"a UID THREAD REFERENCES UTF-8 ALL\r\n",
    b"a FETCH 1:* (FLAGS UID BODY.PEEK[HEADER.FIELDS (From To)]<0.100> BODY[1.2.MIME] BINARY.SIZE[1])\r\n",
    b"a UID FETCH 1:* ALL (CHANGEDSINCE 12 VANISHED)\r\n",
    b"a FETCH 2 BODYSTRUCTURE\r\n",
    b"a STORE 1:3 +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
    b"a UID STORE 1 (UNCHANGEDSINCE 9) FLAGS \\Deleted\r\n",
    b"a COPY 1:2 Archive\r\n",
    b"a UID MOVE 4:* Trash\r\n",
]


def test_samples_cover_every_command() -> None:
    from services.imap.grammar import COMMANDS

    seeded = set()
    for sample in SAMPLES:
        words = sample.split(b" ")
        seeded.add((words[2] if words[1] == b"UID" else words[1]).rstrip(b"\r\n").decode())
    assert set(COMMANDS) <= seeded, set(COMMANDS) - seeded


def feed_all(data: bytes, chunk: int, limits: Limits | None = None) -> list[object]:
    r = Receiver(limits)
    events: list[object] = []
    for i in range(0, len(data), chunk):
        r.feed(data[i : i + chunk])
        while (ev := r.next()) is not None:
            events.append(ev)
    return events


def _norm(events: list[object]) -> list[object]:
    return [e for e in events if not isinstance(e, Continue)]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.split(b" ")[1].decode() + str(len(s)))
def test_each_sample_parses_identically_in_any_chunking(sample: bytes) -> None:
    whole = feed_all(sample, len(sample))
    assert len(_norm(whole)) == 1 and isinstance(_norm(whole)[0], Command), whole
    for chunk in (1, 2, 3, 7, 64, 512):
        assert _norm(feed_all(sample, chunk)) == _norm(whole)


def test_pipelined_commands_in_chunks() -> None:
    data = b"".join(SAMPLES)
    ref = _norm(feed_all(data, len(data)))
    assert len(ref) == len(SAMPLES)
    for chunk in (1, 5, 13, 512):
        assert _norm(feed_all(data, chunk)) == ref


def test_synchronising_literal_asks_for_continuation() -> None:
    r = Receiver()
    r.feed(b"a1 LOGIN {3}\r\n")
    assert isinstance(r.next(), Continue)
    assert r.next() is None
    r.feed(b"bob pw\r\n")
    cmd = r.next()
    assert isinstance(cmd, Command) and cmd.args == LoginArgs(b"bob", b"pw")


def test_non_synchronising_literal_needs_no_continuation() -> None:
    ev = feed_all(b"a1 LOGIN {3+}\r\nbob pw\r\n", 100)
    assert len(ev) == 1 and isinstance(ev[0], Command)


def test_fetch_items() -> None:
    (cmd,) = feed_all(b"x FETCH 1 (BODY[1.HEADER.FIELDS.NOT (Subject)]<5.10> RFC822.SIZE)\r\n", 99)
    assert isinstance(cmd, Command)
    assert cmd.args.atts == (
        FetchAtt("BODY[]", Section((1,), "HEADER.FIELDS.NOT", ("Subject",)), False, (5, 10)),
        FetchAtt("RFC822.SIZE"),
    )


@pytest.mark.parametrize(
    "bad",
    [
        b"a FETCH 0 FLAGS\r\n",
        b"a FETCH 1 (FLAGS\r\n",
        b"a FETCH 1 BODY[HEADER\r\n",
        b"a FROB\r\n",
        b"a UID NOOP\r\n",
        b'a LOGIN "unterminated\r\n',
        b"a SEARCH FOO\r\n",
        b"a SEARCH BEFORE 31-Feb-2020\r\n",
        b"a STORE 1 FLAGS (\\Recent)\r\n",
        b"a SELECT\r\n",
        b"a CAPABILITY extra\r\n",
        b"+ NOOP\r\n",
        b'a APPEND INBOX "bad date" {1}\r\nx\r\n',
    ],
)
def test_bad_syntax_gives_tagged_bad(bad: bytes) -> None:
    events = _norm(feed_all(bad, 3))
    assert len(events) == 1 and isinstance(events[0], Bad), events


def test_tag_recovered_for_bad_command() -> None:
    (ev,) = feed_all(b"t17 FETCH\r\n", 50)
    assert isinstance(ev, Bad) and ev.tag == "t17"
    (ev,) = feed_all(b"(bad NOOP\r\n", 50)
    assert isinstance(ev, Bad) and ev.tag == "*"


def test_line_too_long_is_bad_and_recovers() -> None:
    lim = Limits(max_line=100)
    data = b"a NOOP " + b"x" * 500 + b"\r\nb NOOP\r\n"
    events = feed_all(data, 17, lim)
    assert isinstance(events[0], Bad)
    assert isinstance(events[-1], Command) and events[-1].tag == "b"


def test_oversized_sync_literal_rejected_without_continuation() -> None:
    lim = Limits(max_literal=10)
    events = feed_all(b"a APPEND INBOX {11}\r\nb NOOP\r\n", 4, lim)
    assert isinstance(events[0], Bad) and events[0].status == "NO" and events[0].code == "TOOBIG"
    assert isinstance(events[1], Command) and events[1].tag == "b"


def test_oversized_nonsync_literal_is_discarded() -> None:
    lim = Limits(max_literal=10)
    events = feed_all(b"a APPEND INBOX {20+}\r\n" + b"y" * 20 + b" more\r\nb NOOP\r\n", 3, lim)
    assert isinstance(events[0], Bad) and events[0].code == "TOOBIG"
    assert isinstance(events[1], Command) and events[1].tag == "b"


def test_small_literal_limit_for_other_commands() -> None:
    events = feed_all(b"a LOGIN {100000}\r\n", 50)
    assert isinstance(events[0], Bad)


def test_nesting_and_key_count_bounded() -> None:
    deep = b"a SEARCH " + b"(" * 40 + b"ALL" + b")" * 40 + b"\r\n"
    (ev,) = feed_all(deep, 512)
    assert isinstance(ev, Bad)
    nots = b"a SEARCH " + b"NOT " * 40 + b"ALL\r\n"
    (ev,) = feed_all(nots, 512)
    assert isinstance(ev, Bad)


def test_raw_lines_for_idle_and_authenticate() -> None:
    r = Receiver()
    r.feed(b"DON")
    assert r.take_line() is None
    r.feed(b"E\r\na NOOP\r\n")
    assert r.take_line() == b"DONE"
    assert isinstance(r.next(), Command)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SAMPLES),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=4),
    junk=st.binary(max_size=40),
    chunk=st.integers(min_value=1, max_value=512),
)
def test_fuzz_receiver_never_crashes(seed: bytes, cuts: list[int], junk: bytes, chunk: int) -> None:
    data = bytearray(seed)
    for c in cuts:
        pos = c % (len(data) + 1)
        data[pos:pos] = junk[: (c % 7) + 1]
    data += b"\r\nz NOOP\r\n"
    lim = Limits(max_line=300, max_literal=300, max_small_literal=300, max_command=2000)
    events = feed_all(bytes(data), chunk, lim)
    for ev in events:
        assert isinstance(ev, Command | Bad | Continue | Fatal)


def test_empty_command_line_is_answered_bad() -> None:
    """#13 item 8: an empty line gets '* BAD' (peers answer it), not silence."""
    events = feed_all(b"\r\n  \r\na1 NOOP\r\n", 1)
    assert [type(e) for e in events] == [Bad, Bad, Command], events
    assert all(isinstance(e, Bad) and e.tag == "*" and e.status == "BAD" for e in events[:2])
