"""Unit tests of the sans-I/O POP3 parser, command table, formatter and dot-stuffer (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.gen.kubemail.v1 import errors_pb2 as er
from services.pop3 import formatter as fmt
from services.pop3 import reasons
from services.pop3.dotstuff import DotStuffer, stuff
from services.pop3.protocol import (
    COMMANDS,
    MAX_COMMAND_LINE,
    TOO_LONG,
    Command,
    CommandError,
    LineReader,
    State,
    parse_command,
    parse_count,
    parse_msgno,
)

A, T = State.AUTHORIZATION, State.TRANSACTION


def lines_of(reader: LineReader) -> list[object]:
    out: list[object] = []
    while (x := reader.next_line()) is not None:
        out.append(x)
    return out


# --- line reader -------------------------------------------------------------------------


def test_lines_crlf_and_bare_lf() -> None:
    r = LineReader()
    r.feed(b"USER a\r\nPASS b c\nSTAT\r\nparti")
    assert lines_of(r) == [b"USER a", b"PASS b c", b"STAT"]
    r.feed(b"al\r\n")
    assert lines_of(r) == [b"partial"]


def test_overlong_line_reported_once_and_next_line_survives() -> None:
    r = LineReader()
    r.feed(b"X" * (MAX_COMMAND_LINE + 10) + b"\r\n")
    assert lines_of(r) == [TOO_LONG]
    r = LineReader()
    r.feed(b"X" * 2000)
    assert lines_of(r) == []  # discarding, waits for the end of the line
    assert r.buffered == 0  # memory bounded
    r.feed(b"Y" * 2000 + b"\r\nNOOP\r\n")
    assert lines_of(r) == [TOO_LONG, b"NOOP"]


def test_line_at_limit_is_accepted_and_one_more_is_not() -> None:
    ok_line = b"A" * (MAX_COMMAND_LINE - 2) + b"\r\n"
    r = LineReader()
    r.feed(ok_line + b"B" * (MAX_COMMAND_LINE - 1) + b"\r\n")
    assert lines_of(r) == [b"A" * (MAX_COMMAND_LINE - 2), TOO_LONG]


def test_clear_drops_pipelined_plaintext() -> None:
    r = LineReader()
    r.feed(b"STLS\r\nUSER injected\r\n")
    assert r.next_line() == b"STLS"
    r.clear()
    assert r.next_line() is None


@given(st.lists(st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"")), max_size=20), st.data())
def test_chunked_refeed_gives_same_lines(lines: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(line + b"\r\n" for line in lines)
    whole = LineReader()
    whole.feed(stream)
    expected = lines_of(whole)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    r = LineReader()
    got: list[object] = []
    prev = 0
    for c in [*cuts, len(stream)]:
        r.feed(stream[prev:c])
        got += lines_of(r)
        prev = c
    assert got == expected
    assert got == lines


# --- command parser and state table --------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "state", "expected"),
    [
        (b"user alice@example.test", A, Command("USER", ("alice@example.test",))),
        (b"PASS my secret pass", A, Command("PASS", ("my secret pass",))),
        (b"STAT", T, Command("STAT")),
        (b"list", T, Command("LIST")),
        (b"LIST 3", T, Command("LIST", ("3",))),
        (b"TOP 1 10", T, Command("TOP", ("1", "10"))),
        (b"AUTH PLAIN AGFAYg==", A, Command("AUTH", ("PLAIN", "AGFAYg=="))),
        (b"AUTH", A, Command("AUTH")),
        (b"CAPA", T, Command("CAPA")),
        (b"QUIT", A, Command("QUIT")),
    ],
)
def test_parse_ok(line: bytes, state: State, expected: Command) -> None:
    assert parse_command(line, state) == expected


@pytest.mark.parametrize(
    ("line", "state", "needle"),
    [
        (b"", A, "Empty"),
        (b"FROB", A, "Unknown"),
        (b"STAT", A, "not allowed in AUTHORIZATION"),
        (b"RETR 1", A, "not allowed"),
        (b"USER x", T, "not allowed in TRANSACTION"),
        (b"STLS", T, "not allowed"),
        (b"NOOP", A, "not allowed"),
        (b"RETR", T, "Wrong number"),
        (b"RETR 1 2", T, "Wrong number"),
        (b"TOP 1", T, "Wrong number"),
        (b"STAT x", T, "Wrong number"),
        (b"LIST  1", T, "Malformed"),
        (b"USER", A, "Wrong number"),
        (b"RETR \x00", T, "Control"),
        (b"\xff\xfe", A, "UTF-8"),
        (b"USER " + b"a" * 300, A, "too long"),
    ],
)
def test_parse_errors(line: bytes, state: State, needle: str) -> None:
    res = parse_command(line, state)
    assert isinstance(res, CommandError)
    assert needle.lower() in res.text.lower()


def test_every_command_has_a_state_and_update_allows_nothing() -> None:
    for spec in COMMANDS.values():
        assert spec.states
        assert State.UPDATE not in spec.states
        assert isinstance(parse_command(spec.name.encode(), State.UPDATE), CommandError)


@pytest.mark.parametrize(
    ("arg", "n"),
    [("1", 1), ("0042", 42), ("0", None), ("-1", None), ("x", None), ("99999999999", None), ("１", None), ("", None)],
)
def test_parse_msgno(arg: str, n: int | None) -> None:
    assert parse_msgno(arg) == n


def test_parse_count() -> None:
    assert parse_count("0") == 0
    assert parse_count("12") == 12
    assert parse_count("-3") is None


@settings(max_examples=300)
@given(st.binary(max_size=600), st.sampled_from([A, T]))
def test_fuzz_parser_never_raises(line: bytes, state: State) -> None:
    res = parse_command(line, state)
    assert isinstance(res, Command | CommandError)
    if isinstance(res, Command):
        spec = COMMANDS[res.name]
        assert state in spec.states
        assert spec.min_args <= len(res.args) <= spec.max_args


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=300), max_size=30))
def test_fuzz_reader_bounded(chunks: list[bytes]) -> None:
    r = LineReader()
    for c in chunks:
        r.feed(c)
        for x in lines_of(r):
            assert x is TOO_LONG or (isinstance(x, bytes) and len(x) < MAX_COMMAND_LINE)
        assert r.buffered <= MAX_COMMAND_LINE


# --- formatter ---------------------------------------------------------------------------


def test_status_lines_and_codes() -> None:
    assert fmt.ok("2 320") == b"+OK 2 320\r\n"
    assert fmt.err("maildrop busy", fmt.IN_USE) == b"-ERR [IN-USE] maildrop busy\r\n"
    assert fmt.err("bad\r\ninjection") == b"-ERR bad  injection\r\n"
    assert fmt.ok() == b"+OK\r\n"


def test_multiline_stuffs_dots() -> None:
    assert fmt.multiline(b"+OK\r\n", ["1 10", ".x"]) == b"+OK\r\n1 10\r\n..x\r\n.\r\n"


def test_capabilities() -> None:
    caps = fmt.capabilities(tls_available=True, auth_allowed=True, in_transaction=False)
    for c in (
        "TOP",
        "UIDL",
        "USER",
        "SASL PLAIN LOGIN",
        "RESP-CODES",
        "PIPELINING",
        "EXPIRE NEVER",
        "LOGIN-DELAY 0",
        "STLS",
    ):
        assert c in caps
    assert any(c.startswith("IMPLEMENTATION ") for c in caps)
    caps = fmt.capabilities(tls_available=True, auth_allowed=False, in_transaction=False)
    assert "USER" not in caps and "STLS" in caps
    caps = fmt.capabilities(tls_available=True, auth_allowed=True, in_transaction=True)
    assert "STLS" not in caps and "USER" not in caps and "TOP" in caps


# --- dot-stuffer ---------------------------------------------------------------------------


def test_stuff_crlf_message_is_byte_exact_apart_from_dots() -> None:
    msg = b"Subject: x\r\n\r\nline\r\n.dot\r\n..two\r\n.\r\nend\r\n"
    assert stuff(msg) == b"Subject: x\r\n\r\nline\r\n..dot\r\n...two\r\n..\r\nend\r\n.\r\n"


def test_stuff_bare_lf_unterminated_and_lone_cr() -> None:
    assert stuff(b"a\nb") == b"a\r\nb\r\n.\r\n"
    assert stuff(b"a\rb\r\n") == b"a\rb\r\n.\r\n"
    assert stuff(b"") == b".\r\n"
    assert stuff(b"x\r") == b"x\r\n.\r\n"


def test_top() -> None:
    msg = b"H: 1\r\nH2: 2\r\n\r\nb1\r\n.b2\r\nb3\r\n"
    assert stuff(msg, 0) == b"H: 1\r\nH2: 2\r\n\r\n.\r\n"
    assert stuff(msg, 2) == b"H: 1\r\nH2: 2\r\n\r\nb1\r\n..b2\r\n.\r\n"
    assert stuff(msg, 100) == stuff(msg)
    assert stuff(b"H: 1\n\nb\n", 0) == b"H: 1\r\n\r\n.\r\n"


def _unstuff(wire: bytes) -> bytes:
    assert wire.endswith(b".\r\n")
    lines = wire[:-3].split(b"\r\n")
    assert lines[-1] == b""
    return b"".join((line[1:] if line.startswith(b".") else line) + b"\r\n" for line in lines[:-1])


message_bytes = st.lists(
    st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"a", b"\xff", b" ", b"\x00", b"\r\n.\r\n"]), max_size=60
).map(b"".join)


@settings(max_examples=300)
@given(message_bytes, st.data(), st.one_of(st.none(), st.integers(0, 5)))
def test_dotstuffer_chunking_invariant(msg: bytes, data: st.DataObject, top: int | None) -> None:
    whole = stuff(msg, top)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(msg)), max_size=8)))
    d = DotStuffer(top)
    out, prev = [], 0
    for c in [*cuts, len(msg)]:
        out.append(d.feed(msg[prev:c]))
        prev = c
    out.append(d.finish())
    assert b"".join(out) == whole
    # The wire form never contains a premature terminator and only CRLF line ends.
    body = whole[:-3]
    assert b"\r\n.\r\n" not in b"\r\n" + body
    assert body.replace(b"\r\n", b"").count(b"\n") == 0


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")), max_size=20))
def test_dotstuffer_roundtrip_crlf_messages(lines: list[bytes]) -> None:
    msg = b"".join(line + b"\r\n" for line in lines)
    assert _unstuff(stuff(msg)) == msg


def test_metadata_reasons_map_to_maildrop_kinds() -> None:
    assert reasons.kind(er.ERROR_REASON_LEASE_LOST) is reasons.Kind.LOCK_LOST
    assert reasons.kind(er.ERROR_REASON_NO_SUCH_MAILBOX) is reasons.Kind.EMPTY
    for r in (
        er.ERROR_REASON_BACKEND_UNAVAILABLE,
        er.ERROR_REASON_INTERNAL,
        er.ERROR_REASON_INVALID_ARGUMENT,
        er.ERROR_REASON_UNSPECIFIED,
    ):
        assert reasons.kind(r) is reasons.Kind.UNAVAILABLE
