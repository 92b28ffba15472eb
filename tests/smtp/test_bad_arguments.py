"""Malformed MAIL/RCPT/EHLO arguments and a failed STARTTLS handshake (#13 item 13), over sockets.

Each bad input gets a 501 syntax reply with an enhanced code (RFC 3463: 5.1.7 sender, 5.1.3
recipient, 5.5.x command), the session stays usable, and the log has at most one line for it and
no traceback.
"""

from __future__ import annotations

import logging
import smtplib
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.smtp import addresses, params, paths
from tests.fixtures.linesock import read_until_closed
from tests.smtp.conftest import DOMAIN, World, message

ALICE = f"alice@{DOMAIN}"


def _raw(s: smtplib.SMTP, line: bytes) -> tuple[int, bytes]:
    s.send(line + b"\r\n")
    return s.getreply()


def _clean_log(caplog: pytest.LogCaptureFixture, bad_inputs: int) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    ours = [r for r in caplog.records if r.name == "kubemail.smtp"]
    assert len(ours) <= bad_inputs, [r.getMessage() for r in ours]
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) <= bad_inputs, [r.getMessage() for r in warned]


def _transaction_works(s: smtplib.SMTP) -> None:
    assert s.mail("x@remote.test")[0] == 250
    assert s.rcpt(ALICE)[0] == 250
    assert s.data(message())[0] == 250


@pytest.mark.parametrize(
    ("line", "code", "enhanced"),
    [
        (b"MAIL FROM:<\xff@b.test> SMTPUTF8", 501, b"5.1.7 "),
        (b"MAIL FROM:<a@b.test> SIZE=\xff", 501, b"5.5."),
        (b"MAIL FROM:<", 501, b"5.1.7 "),
        (b"MAIL FROM:<@a:", 501, b"5.1.7 "),
        (b"MAIL FROM:<x@[", 501, b"5.1.7 "),
        (b"MAIL FROM:<x@b.test>junk", 501, b"5.1.7 "),
        (b"EHLO \xff\xfe.test", 501, b"5.5."),
        (b"HELO \xff\xfe.test", 501, b"5.5."),
        (b"EHLO", 501, b"5.5."),
    ],
)
def test_bad_mail_or_ehlo_argument(
    world: World, caplog: pytest.LogCaptureFixture, line: bytes, code: int, enhanced: bytes
) -> None:
    with world.smtp() as s:
        s.ehlo()
        caplog.set_level(logging.INFO, logger="kubemail.smtp")
        caplog.clear()
        got, text = _raw(s, line)
        assert got == code, (got, text)
        assert text.startswith(enhanced), text
        _clean_log(caplog, 1)
        _transaction_works(s)
    assert world.count(ALICE) == 1


@pytest.mark.parametrize("line", [b"RCPT TO:<", b"RCPT TO:<\xff@example.test>", b"RCPT TO:<@a,@:x@b.test>"])
def test_bad_rcpt_argument(world: World, caplog: pytest.LogCaptureFixture, line: bytes) -> None:
    with world.smtp() as s:
        s.ehlo()
        assert s.mail("x@remote.test")[0] == 250
        caplog.set_level(logging.INFO, logger="kubemail.smtp")
        caplog.clear()
        got, text = _raw(s, line)
        assert got == 501 and text.startswith(b"5.1.3 "), (got, text)
        _clean_log(caplog, 1)
        assert s.rcpt(ALICE)[0] == 250
        assert s.data(message())[0] == 250


def test_starttls_then_plain_bytes_logs_one_line(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kubemail.smtp")
    for _ in range(2):
        caplog.clear()
        sock = socket.create_connection(("127.0.0.1", world.mx), timeout=10)
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"EHLO c.test\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        sock.sendall(b"STARTTLS\r\n")
        assert f.readline().startswith(b"220 ")
        sock.sendall(b"this is not TLS at all\r\n" * 4)
        read_until_closed(sock, timeout=10)
        _clean_log(caplog, 1)
        with world.smtp() as s:  # the server goes on serving
            s.ehlo()
            _transaction_works(s)
    assert world.count(ALICE) == 2


def test_internal_error_is_a_temporary_failure_logged_once(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(arg: str | None) -> str:
        raise RuntimeError("a bug")

    with world.smtp() as s:
        s.ehlo()
        caplog.clear()
        monkeypatch.setattr(paths, "parse_helo", broken)
        code, text = s.docmd("EHLO", "c.test")
        assert (code, text) == (451, b"4.3.0 Internal error, try again later")
        monkeypatch.undo()
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [(r.name, bool(r.exc_info)) for r in errors] == [("kubemail.smtp", True)]
        _transaction_works(s)


# -- the argument parsers, fuzzed --------------------------------------------------------

SEEDS = [
    b"<a@b.test>",
    b"<a@b.test> RET=HDRS ENVID=QQ+2B314 SIZE=10",
    b"<Postmaster> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@c.test",
    b"<> SIZE=10",
    b'<"q x"@b.test> BODY=8BITMIME',
    b"<@hop.test,@h2.test:a@b.test> SMTPUTF8",
    b"<j\xc3\xb6rg@b\xc3\xbccher.test>",
    b"<x@[192.0.2.1]>",
    b"a@b.test",
    b"client.test",
    b"[127.0.0.1]",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=4),
    junk=st.binary(max_size=12),
)
def test_fuzz_argument_parsing_raises_only_its_syntax_error(seed: bytes, cuts: list[int], junk: bytes) -> None:
    data = bytearray(seed)
    for c in cuts:
        pos = c % (len(data) + 1)
        data[pos:pos] = junk[: (c % 5) + 1]
    arg = bytes(data).strip().decode("utf-8", "surrogateescape")  # as aiosmtpd hands it over
    try:
        address, rest = paths.parse_path(arg)
    except paths.ArgumentSyntaxError:
        pass
    else:
        assert isinstance(address, str) and isinstance(rest, str)
        address.encode("utf-8")
        assert isinstance(addresses.check(address), addresses.Checked)
    try:
        name = paths.parse_helo(arg)
    except paths.ArgumentSyntaxError:
        pass
    else:
        name.encode("utf-8")
    for parse in (
        lambda: params.mail_command("FROM:" + arg, True, 1000),
        lambda: params.rcpt_command("TO:" + arg, True),
    ):
        try:
            address, _ = parse()
        except params.ParamError as exc:
            assert exc.reply[:3] in ("501", "552", "555"), exc.reply
        else:
            address.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_fuzz_random_bytes(raw: bytes) -> None:
    arg = raw.decode("utf-8", "surrogateescape")
    for parse in (paths.parse_path, paths.parse_helo):
        try:
            parse(arg)
        except paths.ArgumentSyntaxError:
            pass
