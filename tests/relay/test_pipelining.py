"""The relay's SMTP client: the sans-I/O reply reader and PIPELINING (RFC 2920) against scripted
servers on 127.0.0.2 that record when each command arrived relative to their replies."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl

import pytest

from services.relay.message import Outgoing, Recipient
from services.relay.smtpwire import ProtocolError, Reply, ReplyReader, command, dot_stuffed, extensions
from services.relay.transfer import Target, Timeouts, TlsMode, client_contexts, send

pytestmark = pytest.mark.timeout(60)

HOST = "127.0.0.2"


# ---------------------------------------------------------------- sans-I/O


def test_replies_are_found_however_the_bytes_are_cut() -> None:
    stream = b"250-mx.test hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n250 2.1.0 ok\r\n550 5.1.1 no\r\n354 go\r\n"
    for cut in range(1, len(stream)):
        r = ReplyReader()
        r.feed(stream[:cut])
        first = r.replies()
        r.feed(stream[cut:])
        got = first + r.replies()
        assert [x.code for x in got] == [250, 250, 550, 354], cut
        assert got[0].lines == ["mx.test hello", "PIPELINING", "SIZE 1000"]
        assert got[2].text == "5.1.1 no"


def test_ehlo_extensions_and_bare_code() -> None:
    r = ReplyReader()
    r.feed(b"250-mx.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 pipelining\r\n250\r\n")
    ehlo, bare = r.replies()
    assert extensions(ehlo) == {"8bitmime": "", "auth": "PLAIN LOGIN", "pipelining": ""}
    assert bare == Reply(250, "")


@pytest.mark.parametrize(
    "garbage",
    [b"hello\r\n", b"250-a\r\n550 b\r\n", b"2500 x\r\n", b"x" * 5000, b"250-x\r\n" * 300],
)
def test_garbage_is_a_protocol_error(garbage: bytes) -> None:
    with pytest.raises(ProtocolError):
        ReplyReader().feed(garbage)


def test_commands_refuse_line_breaks_and_data_is_dot_stuffed() -> None:
    assert command("RCPT", "TO:<a@b.test>", "NOTIFY=NEVER") == b"RCPT TO:<a@b.test> NOTIFY=NEVER\r\n"
    with pytest.raises(ValueError):
        command("RCPT", "TO:<a@b.test>\r\nRSET")
    assert dot_stuffed(b".a\r\nb\r\n.\r\n..c") == b"..a\r\nb\r\n..\r\n...c\r\n.\r\n"
    # a bare LF is never sent as such (SMTP smuggling): every line end goes out as CRLF
    assert dot_stuffed(b"x\n.\ny\r\n") == b"x\r\n..\r\ny\r\n.\r\n"


# ---------------------------------------------------------------- scripted servers


@dataclasses.dataclass
class Script:
    pipelining: bool = True
    rcpt: dict[str, str] = dataclasses.field(default_factory=dict)  # address -> reply (others 250)
    mail_reply: str = "250 2.1.0 ok"
    data_reply: str = ""  # "" = 354 when a recipient was accepted, else 554
    # what the server saw
    group: bytes = b""  # bytes received before the server's first transaction reply
    early: bytes = b""  # (no PIPELINING) bytes that arrived before the server answered MAIL
    message: bytes = b""


async def _serve(script: Script, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async def reply(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()
        await asyncio.sleep(0.02)  # each reply its own segment

    await reply("220 mx.test ESMTP")
    await reader.readline()  # EHLO
    ext = ["250-mx.test", "250-8BITMIME"] + (["250-PIPELINING"] if script.pipelining else []) + ["250 SIZE 100000"]
    writer.write(("\r\n".join(ext) + "\r\n").encode())
    await writer.drain()
    lines: list[bytes] = []
    if script.pipelining:
        # the whole group arrives before any reply: wait for DATA (or give up after 3 s)
        try:
            while not lines or lines[-1].upper() != b"DATA\r\n":
                lines.append(await asyncio.wait_for(reader.readline(), 3))
        except TimeoutError:
            pass
        script.group = b"".join(lines)
    else:
        lines.append(await reader.readline())
        try:
            script.early = await asyncio.wait_for(reader.read(100), 0.3)
        except TimeoutError:
            pass
    accepted = 0
    if not lines or not lines[0].upper().startswith(b"MAIL"):
        writer.close()
        return
    await reply(script.mail_reply)
    pending = lines[1:]
    while True:
        line = pending.pop(0) if pending else await reader.readline()
        if line.upper().startswith(b"RCPT"):
            address = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
            r = script.rcpt.get(address, "250 2.1.5 ok")
            accepted += r.startswith("2") and script.mail_reply.startswith("2")
            await reply(r)
        elif line.upper() == b"DATA\r\n":
            go = script.data_reply or ("354 go ahead" if accepted else "554 5.5.1 no valid recipients")
            await reply(go)
            if go.startswith("354"):
                body = b""
                while not body.endswith(b"\r\n.\r\n") and body != b".\r\n":
                    body += await reader.readline()
                script.message = body
                await reply("250 2.0.0 queued")
        elif line.upper() == b"QUIT\r\n" or not line:
            await reply("221 bye")
            writer.close()
            return
        else:
            await reply("500 5.5.1 what")


async def _run(script: Script, msg: Outgoing) -> dict[str, Reply]:
    server = await asyncio.start_server(lambda r, w: _serve(script, r, w), HOST, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        target = Target("mx.test", HOST, port, TlsMode.NONE)
        contexts: tuple[ssl.SSLContext, ssl.SSLContext] = client_contexts()
        outcome = await send(target, msg, "relay.test", contexts, Timeouts(connect=5, command=5, data=5))
        return outcome.replies
    finally:
        server.close()
        await server.wait_closed()


def _msg(*rcpts: str) -> Outgoing:
    return Outgoing("alice@local.test", tuple(Recipient(r) for r in rcpts), b"Subject: x\r\n\r\n.hi\r\n")


async def test_mail_rcpt_and_data_go_out_as_one_group() -> None:
    script = Script(rcpt={"c@remote.test": "550 5.1.1 no such user"})
    replies = await _run(script, _msg("a@remote.test", "b@remote.test", "c@remote.test"))
    assert script.group.count(b"\r\n") == 5, script.group  # MAIL, 3 RCPT, DATA before any reply
    assert script.group.startswith(b"MAIL FROM:<alice@local.test> SIZE=") and script.group.endswith(b"DATA\r\n")
    assert script.message == b"Subject: x\r\n\r\n..hi\r\n.\r\n"
    assert {a: r.code for a, r in replies.items()} == {"a@remote.test": 250, "b@remote.test": 250, "c@remote.test": 550}
    assert replies["c@remote.test"].text == "5.1.1 no such user"


async def test_without_pipelining_each_command_waits_for_its_reply() -> None:
    script = Script(pipelining=False)
    replies = await _run(script, _msg("a@remote.test", "b@remote.test"))
    assert script.early == b"", f"sent before the MAIL reply: {script.early!r}"
    assert script.message.endswith(b"\r\n.\r\n")
    assert all(r.code == 250 for r in replies.values())


async def test_every_recipient_refused_in_a_group_sends_no_message() -> None:
    script = Script(rcpt={"a@remote.test": "550 5.1.1 no", "b@remote.test": "450 4.2.1 later"})
    replies = await _run(script, _msg("a@remote.test", "b@remote.test"))
    assert script.message == b""  # DATA was answered 554: nothing sent
    assert [replies[a].code for a in ("a@remote.test", "b@remote.test")] == [550, 450]


async def test_a_354_after_no_recipient_gets_only_the_dot() -> None:
    script = Script(rcpt={"a@remote.test": "550 5.1.1 no"}, data_reply="354 go ahead anyway")
    replies = await _run(script, _msg("a@remote.test"))
    assert script.message == b".\r\n"
    assert replies["a@remote.test"].code == 550


async def test_refused_mail_from_applies_to_every_recipient() -> None:
    script = Script(mail_reply="553 5.7.1 sender refused")
    replies = await _run(script, _msg("a@remote.test", "b@remote.test"))
    assert {r.code for r in replies.values()} == {553}
    assert script.message == b""
