"""One POP3 connection: the state machine, one handler per command from a table.

The session owns connection state only; input goes through the sans-I/O LineReader and
parse_command, output through formatter/DotStuffer, storage through Maildrop and the blob
store, logins through the shared authenticator (`Deps.login`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from services.common import sasl
from services.common.auth import AuthResult, LoginOutcome
from services.common.blobstore import BlobError, BlobStore
from services.common.grpcclient import MetadataClient
from services.pop3 import formatter as fmt
from services.pop3 import metrics as m
from services.pop3.config import Pop3Config
from services.pop3.dotstuff import DotStuffer
from services.pop3.maildrop import LockLostError, Maildrop, MaildropInUseError, MaildropUnavailableError, Message
from services.pop3.protocol import (
    COMMANDS,
    MAX_SASL_LINE,
    TOO_LONG,
    Command,
    CommandError,
    LineReader,
    State,
    parse_command,
    parse_count,
    parse_msgno,
)
from services.pop3.reasons import sasl_reply

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
MECHANISMS = ("PLAIN", "LOGIN")
DRAIN_IDLE = 1.0  # while the server drains: seconds a session may wait for its next command


class Transport(Protocol):
    """What a session needs from its connection (the shared listener's Connection)."""

    remote_ip: str
    trusted: bool
    draining: asyncio.Event  # set when the server shuts down gracefully

    @property
    def tls_active(self) -> bool: ...

    async def read(self, n: int) -> bytes: ...
    def write(self, data: bytes) -> None: ...
    async def drain(self) -> None: ...
    def tls_available(self) -> bool: ...
    async def start_tls(self) -> None: ...
    async def close(self) -> None: ...


# The -ERR text and response code for each failed login (RFC 2449 / 3206 codes).
LOGIN_REPLIES: dict[LoginOutcome, tuple[str, str]] = {
    LoginOutcome.UNAVAILABLE: ("Authentication temporarily unavailable", fmt.SYS_TEMP),
    LoginOutcome.RATE_LIMITED: ("Too many failed logins, try again later", fmt.LOGIN_DELAY),
    LoginOutcome.BAD_CREDENTIALS: ("Authentication failed", fmt.AUTH),
    LoginOutcome.DISABLED: ("Authentication failed", fmt.AUTH),
}

# services.common.auth.Authenticator.login: (username, password, remote_ip, mechanism)
LoginFn = Callable[[str, bytes, str, str], Awaitable[AuthResult]]


@dataclasses.dataclass
class Deps:
    cfg: Pop3Config
    hostname: str
    client: MetadataClient
    blobs: BlobStore
    login: LoginFn


class SessionEndError(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


Handler = Callable[["Session", Command], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


class Session:
    def __init__(self, conn: Transport, deps: Deps) -> None:
        self.conn = conn
        self.deps = deps
        self.cfg = deps.cfg
        self.state = State.AUTHORIZATION
        self.reader = LineReader()
        self.username: str | None = None
        self.maildrop: Maildrop | None = None
        self.bad_commands = 0
        self._result = "ok"
        self._streaming = False  # inside a multi-line reply: failure may only close the connection

    # --- I/O ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.conn.write(data)
        m.BYTES_SENT.inc(len(data))

    async def flush(self) -> None:
        await self.conn.drain()

    def reply_ok(self, text: str = "", code: str | None = None) -> None:
        self._result = "ok"
        self.send(fmt.ok(text, code))

    def reply_err(self, text: str, code: str | None = None) -> None:
        self._result = "err"
        self.send(fmt.err(text, code))

    async def read_line(self, limit: int | None = None) -> bytes | object:
        """The next input line (or TOO_LONG); waits at most the idle timeout for the whole
        line, so a client trickling bytes (slowloris) is cut off like an idle one."""
        deadline = asyncio.get_running_loop().time() + self.cfg.idle_timeout
        while True:
            line = self.reader.next_line(limit)
            if line is not None:
                return line
            if self.reader.buffered == 0:
                await self.flush()
            self.reader.feed(await self._read_some(deadline))

    async def _read_some(self, deadline: float) -> bytes:
        """Bytes from the client; ends the session at `deadline` (loop time), hang-up or drain."""
        read = asyncio.ensure_future(self.conn.read(READ_SIZE))
        try:
            if not self.conn.draining.is_set():
                drain = asyncio.ensure_future(self.conn.draining.wait())
                try:
                    await asyncio.wait(
                        {read, drain},
                        timeout=max(deadline - asyncio.get_running_loop().time(), 0.0),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    drain.cancel()
                if not read.done() and not self.conn.draining.is_set():
                    raise SessionEndError("timeout")
            if not read.done():
                # Shutting down: a client that is mid-conversation sends its next command at
                # once; one that is idle is told to come back (to another pod) and let go.
                await asyncio.wait({read}, timeout=DRAIN_IDLE)
                if not read.done():
                    raise SessionEndError("shutdown")
            data = read.result()
        except (ConnectionError, OSError):
            raise SessionEndError("disconnect") from None
        finally:
            if not read.done():
                read.cancel()
        if not data:
            raise SessionEndError("disconnect")
        return data

    # --- main loop -----------------------------------------------------------------------

    async def run(self) -> None:
        m.CONNECTIONS.inc()
        reason = "disconnect"
        try:
            self.reply_ok(f"{self.deps.hostname} POP3 server ready")
            while True:
                line = await self.read_line()
                await self._dispatch(line)
        except SessionEndError as end:
            reason = end.reason
            if reason == "timeout":
                self._try_send(fmt.err("Autologout; idle for too long"))
            elif reason == "shutdown":
                self._try_send(fmt.err("Server shutting down, try again", fmt.SYS_TEMP))
        except asyncio.CancelledError:
            reason = "shutdown"
            self._try_send(fmt.err("Server shutting down, try again", fmt.SYS_TEMP))
            raise
        except (ConnectionError, OSError):
            reason = "disconnect"
        except Exception:
            log.exception("pop3 session failed")
            reason = "protocol_error"
            self._try_send(fmt.err("Internal error", fmt.SYS_TEMP))
        finally:
            m.SESSIONS_ENDED.labels(reason).inc()
            m.CONNECTIONS.dec()
            if self.maildrop is not None:
                await asyncio.shield(self.maildrop.release())
            try:
                await asyncio.wait_for(self.conn.drain(), 5)
            except Exception:
                pass
            await self.conn.close()

    def _try_send(self, data: bytes) -> None:
        """A last status line, unless it would land inside a multi-line reply."""
        if self._streaming:
            return
        try:
            self.send(data)
        except Exception:
            pass

    async def _dispatch(self, line: bytes | object) -> None:
        start = time.perf_counter()
        if line is TOO_LONG:
            parsed: Command | CommandError = CommandError("Line too long")
        else:
            assert isinstance(line, bytes)
            parsed = parse_command(line, self.state)
        if isinstance(parsed, CommandError):
            label = m.command_label(parsed.name)
            self.reply_err(parsed.text)
            m.COMMANDS_TOTAL.labels(label, "err").inc()
            self.bad_commands += 1
            if self.bad_commands >= self.cfg.max_bad_commands:
                self.send(fmt.err("Too many bad commands, closing"))
                raise SessionEndError("protocol_error")
            return
        self._result = "ok"
        try:
            await HANDLERS[parsed.name](self, parsed)
        finally:
            m.COMMANDS_TOTAL.labels(parsed.name, self._result).inc()
            m.COMMAND_DURATION.labels(parsed.name).observe(time.perf_counter() - start)

    # --- helpers -------------------------------------------------------------------------

    @property
    def auth_allowed(self) -> bool:
        return self.conn.tls_active or self.conn.trusted

    async def login(self, username: str, password: bytes, mechanism: str) -> None:
        """Authenticates, then locks and snapshots the maildrop (-> TRANSACTION)."""
        result = await self.deps.login(username, password, self.conn.remote_ip, mechanism)
        if not result.ok or result.user is None:
            self.reply_err(*LOGIN_REPLIES[result.outcome])
            return
        drop = Maildrop(self.deps.client, result.user.id, self.cfg.lock_ttl)
        try:
            await drop.open()
        except MaildropInUseError:
            m.MAILDROP_OPEN.labels("in_use").inc()
            self.reply_err("Maildrop already locked by another session", fmt.IN_USE)
            return
        except MaildropUnavailableError as exc:
            m.MAILDROP_OPEN.labels("unavailable").inc()
            log.warning("maildrop unavailable: %s", exc)
            self.reply_err("Maildrop temporarily unavailable", fmt.SYS_TEMP)
            return
        m.MAILDROP_OPEN.labels("ok").inc()
        self.maildrop = drop
        self.state = State.TRANSACTION
        count, size = drop.stat()
        self.reply_ok(f"Maildrop has {count} messages ({size} octets)")

    def message_arg(self, arg: str) -> tuple[int, Message] | None:
        """Resolves a message-number argument, replying -ERR when it is bad."""
        assert self.maildrop is not None
        n = parse_msgno(arg)
        if n is None:
            self.reply_err("Invalid message number")
            return None
        msg = self.maildrop.get(n)
        if msg is None:
            if 1 <= n <= len(self.maildrop.messages):
                self.reply_err(f"Message {n} already deleted")
            else:
                self.reply_err(f"No such message {n}")
            return None
        return n, msg

    async def stream_message(self, n: int, body_lines: int | None) -> None:
        """RETR/TOP: '+OK', the dot-stuffed message read from the blob store, '.'.

        A blob that cannot be read before anything is sent gets -ERR [SYS/TEMP]; one that
        fails after the status line is out closes the connection, so that a client never
        takes a truncated message for a whole one.
        """
        assert self.maildrop is not None
        msg = self.maildrop.messages[n - 1]
        stuffer = DotStuffer(body_lines)
        chunks = self.deps.blobs.stream(msg.blob_id).__aiter__()
        try:
            try:
                first = await chunks.__anext__()
            except StopAsyncIteration:
                first = b""
            except (BlobError, ValueError) as exc:
                log.warning("blob of uid %s unavailable: %s", msg.uid, exc)
                self.reply_err("Message temporarily unavailable", fmt.SYS_TEMP)
                return
            self.reply_ok(f"{msg.size} octets")
            self._streaming = True
            chunk = first
            try:
                while True:
                    out = stuffer.feed(chunk)
                    if out:
                        self.send(out)
                        await self.flush()
                    if stuffer.done:
                        break
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
            except (ConnectionError, OSError):
                raise
            except Exception as exc:
                # The status line is out: the only safe way to signal failure is to hang up.
                log.warning("blob of uid %s failed mid-stream: %s", msg.uid, exc)
                self._result = "err"
                raise SessionEndError("blob_error") from exc
            self.send(stuffer.finish())
            self._streaming = False
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()


# --- AUTHORIZATION -------------------------------------------------------------------------


@handler("CAPA")
async def cmd_capa(s: Session, cmd: Command) -> None:
    caps = fmt.capabilities(
        tls_available=s.conn.tls_available() and not s.conn.tls_active,
        auth_allowed=s.auth_allowed,
        in_transaction=s.state is State.TRANSACTION,
    )
    s._result = "ok"
    s.send(fmt.multiline(fmt.ok("Capability list follows"), caps))


@handler("STLS")
async def cmd_stls(s: Session, cmd: Command) -> None:
    if s.conn.tls_active:
        s.reply_err("Already using TLS")
        return
    if not s.conn.tls_available():
        s.reply_err("TLS not available")
        return
    s.reply_ok("Begin TLS negotiation")
    await s.flush()
    s.reader.clear()  # RFC 2595: nothing pipelined before the handshake counts
    s.username = None
    try:
        await s.conn.start_tls()
    except Exception as exc:
        log.info("STLS handshake failed: %s", exc)
        raise SessionEndError("disconnect") from exc


@handler("USER")
async def cmd_user(s: Session, cmd: Command) -> None:
    if not s.auth_allowed:
        s.reply_err("Plaintext authentication disallowed without TLS (use STLS)", fmt.AUTH)
        return
    s.username = cmd.args[0]
    s.reply_ok("Send PASS")


@handler("PASS")
async def cmd_pass(s: Session, cmd: Command) -> None:
    if not s.auth_allowed:
        s.reply_err("Plaintext authentication disallowed without TLS (use STLS)", fmt.AUTH)
        return
    if s.username is None:
        s.reply_err("USER first")
        return
    username, s.username = s.username, None
    await s.login(username, cmd.args[0].encode("utf-8") if cmd.args else b"", "command")


@handler("AUTH")
async def cmd_auth(s: Session, cmd: Command) -> None:
    if not cmd.args:
        s._result = "ok"
        s.send(fmt.multiline(fmt.ok("Mechanisms follow"), MECHANISMS))
        return
    mech = cmd.args[0].upper()
    if mech not in MECHANISMS:
        s.reply_err("Unsupported authentication mechanism")
        return
    if not s.auth_allowed:
        s.reply_err("Authentication disallowed without TLS (use STLS)", fmt.AUTH)
        return
    initial = cmd.args[1] if len(cmd.args) > 1 else None
    creds = await sasl_exchange(s, mech, initial)
    if creds is None:
        return
    s.username = None
    await s.login(creds[0], creds[1], mech.lower())


async def sasl_exchange(s: Session, mech: str, initial: str | None) -> tuple[str, bytes] | None:
    """Runs the SASL exchange (services.common.sasl); returns (authcid, password) or None after -ERR."""

    async def challenge(encoded: bytes) -> None:
        s.send(b"+ " + encoded + b"\r\n")

    async def response() -> bytes:
        line = await s.read_line(MAX_SASL_LINE)
        if line is TOO_LONG:
            raise sasl.SaslError(sasl.SaslFailure.TOO_LONG, "SASL response too long")
        assert isinstance(line, bytes)
        return line

    try:
        creds = await sasl.run(
            mech, None if initial is None else initial.encode("ascii", "replace"), challenge, response
        )
    except sasl.SaslError as exc:
        s.reply_err(*sasl_reply(exc))
        return None
    return creds.authcid, creds.password


@handler("QUIT")
async def cmd_quit(s: Session, cmd: Command) -> None:
    if s.state is State.AUTHORIZATION or s.maildrop is None:
        s.reply_ok(f"{s.deps.hostname} POP3 server signing off")
        raise SessionEndError("quit")
    s.state = State.UPDATE
    try:
        removed = await s.maildrop.commit()
    except LockLostError:
        s.reply_err("Maildrop lock lost; no messages deleted", fmt.SYS_TEMP)
        raise SessionEndError("update_failed") from None
    except MaildropUnavailableError as exc:
        log.warning("UPDATE failed: %s", exc)
        s.reply_err("Some deleted messages not removed", fmt.SYS_TEMP)
        raise SessionEndError("update_failed") from None
    m.MESSAGES_DELETED.inc(removed)
    count, _ = s.maildrop.stat()
    s.reply_ok(f"{s.deps.hostname} POP3 server signing off ({count} messages left)")
    raise SessionEndError("quit")


# --- TRANSACTION ---------------------------------------------------------------------------


@handler("NOOP")
async def cmd_noop(s: Session, cmd: Command) -> None:
    s.reply_ok()


@handler("STAT")
async def cmd_stat(s: Session, cmd: Command) -> None:
    assert s.maildrop is not None
    count, size = s.maildrop.stat()
    s.reply_ok(f"{count} {size}")


@handler("LIST")
async def cmd_list(s: Session, cmd: Command) -> None:
    assert s.maildrop is not None
    if cmd.args:
        found = s.message_arg(cmd.args[0])
        if found is not None:
            n, msg = found
            s.reply_ok(fmt.scan_listing(n, msg.size))
        return
    count, size = s.maildrop.stat()
    s._result = "ok"
    s.send(
        fmt.multiline(
            fmt.ok(f"{count} messages ({size} octets)"),
            (fmt.scan_listing(n, msg.size) for n, msg in s.maildrop.live()),
        )
    )


@handler("UIDL")
async def cmd_uidl(s: Session, cmd: Command) -> None:
    drop = s.maildrop
    assert drop is not None
    if cmd.args:
        found = s.message_arg(cmd.args[0])
        if found is not None:
            n, msg = found
            s.reply_ok(fmt.uid_listing(n, drop.uidl(msg)))
        return
    s._result = "ok"
    listing = (fmt.uid_listing(n, drop.uidl(x)) for n, x in drop.live())
    s.send(fmt.multiline(fmt.ok("Unique-ID listing follows"), listing))


@handler("RETR")
async def cmd_retr(s: Session, cmd: Command) -> None:
    found = s.message_arg(cmd.args[0])
    if found is None:
        return
    await s.stream_message(found[0], None)
    if s._result == "ok":
        m.MESSAGES_RETRIEVED.inc()


@handler("TOP")
async def cmd_top(s: Session, cmd: Command) -> None:
    found = s.message_arg(cmd.args[0])
    if found is None:
        return
    lines = parse_count(cmd.args[1])
    if lines is None:
        s.reply_err("Invalid line count")
        return
    await s.stream_message(found[0], lines)


@handler("DELE")
async def cmd_dele(s: Session, cmd: Command) -> None:
    found = s.message_arg(cmd.args[0])
    if found is None:
        return
    n, msg = found
    msg.deleted = True
    s.reply_ok(f"Message {n} deleted")


@handler("RSET")
async def cmd_rset(s: Session, cmd: Command) -> None:
    assert s.maildrop is not None
    s.maildrop.rset()
    count, size = s.maildrop.stat()
    s.reply_ok(f"Maildrop has {count} messages ({size} octets)")


assert set(HANDLERS) == set(COMMANDS), set(COMMANDS) ^ set(HANDLERS)
