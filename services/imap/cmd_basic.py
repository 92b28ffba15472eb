"""Commands of any state: CAPABILITY NOOP LOGOUT ID STARTTLS LOGIN AUTHENTICATE ENABLE IDLE
NAMESPACE CHECK."""

from __future__ import annotations

import asyncio
import logging
import time

import grpc

from services.common import sasl
from services.imap import metrics, reasons, wire
from services.imap.cmd_notify import deliver
from services.imap.deflate import DeflateError
from services.imap.errors import CommandError, Result, Silent, bad, no
from services.imap.grammar import LOGOUT, AuthenticateArgs, Command, LoginArgs
from services.imap.session import Session

VERSION = "0.1.0"
log = logging.getLogger("kubemail.imap")


async def capability(s: Session, cmd: Command) -> Result:
    s.untagged(f"CAPABILITY {s.capabilities()}")
    return Result(text="Capability completed")


async def noop(s: Session, cmd: Command) -> Result:
    return Result(text="NOOP completed")


async def check(s: Session, cmd: Command) -> Result:
    return Result(text="CHECK completed")


async def logout(s: Session, cmd: Command) -> Result:
    s.untagged("BYE Logging out")
    s.state = LOGOUT
    return Result(text="LOGOUT completed")


async def id_(s: Session, cmd: Command) -> Result:
    s.untagged(b"ID " + wire.render([b"name", b"kubemail", b"version", VERSION.encode()]))
    return Result(text="ID completed")


async def starttls(s: Session, cmd: Command) -> Result:
    if s.tls_active:
        raise bad("TLS is already active")
    if s.ctx.tls is None:
        raise no("TLS is not available")
    if s.rx.buffered:
        raise bad("Commands pipelined after STARTTLS")
    s.send(wire.tagged(cmd.tag, "OK", "Begin TLS negotiation now"))
    await s.flush()
    await s.start_tls()
    raise Silent()


async def login(s: Session, cmd: Command) -> Result:
    if not s.login_allowed():
        raise no("LOGIN requires TLS", "PRIVACYREQUIRED")
    a: LoginArgs = cmd.args
    user, pw = a.user, a.password
    try:
        name = user.decode("utf-8")
    except UnicodeDecodeError:
        raise no("Invalid user name", "AUTHENTICATIONFAILED") from None
    result = await s.authenticate(name, pw)
    if result.status == "OK":
        result.code = f"CAPABILITY {s.capabilities()}"
    return result


async def authenticate(s: Session, cmd: Command) -> Result:
    a: AuthenticateArgs = cmd.args
    mech, initial = a.mechanism, a.initial
    if not s.login_allowed():
        raise no("Authentication requires TLS", "PRIVACYREQUIRED")

    async def challenge(encoded: bytes) -> None:
        s.send(b"+ " + encoded + b"\r\n")
        await s.flush()

    async def response() -> bytes:
        line = await _read_line(s)
        if line is None:
            s.state = LOGOUT
            raise bad("Connection closed")
        return line

    try:
        creds = await sasl.run(mech, initial, challenge, response)
    except sasl.SaslError as exc:
        if exc.kind is sasl.SaslFailure.UNSUPPORTED:
            raise no("Unsupported mechanism", "CANNOT") from None
        raise CommandError(*reasons.sasl_reply(exc.kind, str(exc))) from None
    result = await s.authenticate(creds.authcid, creds.password, mech.lower())
    if result.status == "OK":
        result.code = f"CAPABILITY {s.capabilities()}"
    return result


async def _read_line(s: Session) -> bytes | None:
    while True:
        try:
            line = s.rx.take_line()
        except ValueError:
            raise bad("Line too long") from None
        if line is not None:
            return line
        if not await s.read_more():
            return None


async def enable(s: Session, cmd: Command) -> Result:
    done: list[str] = []
    for cap in cmd.args:
        if cap in ("CONDSTORE", "QRESYNC", "IMAP4REV2", "UTF8=ACCEPT") and cap not in s.enabled:
            s.enabled.add(cap)
            done.append({"IMAP4REV2": "IMAP4rev2"}.get(cap, cap))
            if cap in ("CONDSTORE", "QRESYNC"):
                if cap == "QRESYNC" and "CONDSTORE" not in s.enabled:
                    s.enabled.add("CONDSTORE")
                s.enable_condstore()
    s.untagged(("ENABLED " + " ".join(done)).rstrip())
    return Result(text="ENABLE completed")


async def namespace(s: Session, cmd: Command) -> Result:
    s.untagged('NAMESPACE (("" "/")) (("Other Users/" "/")) NIL')
    return Result(text="NAMESPACE completed")


class _Outage:
    """The metadata service unreachable during IDLE: since when (monotonic), None when not."""

    def __init__(self) -> None:
        self.since: float | None = None


async def _idle_sync(s: Session, outage: _Outage) -> bool:
    """Re-reads the selected mailbox's changes. A failing metadata service does not end the
    IDLE (clients that do not re-issue IDLE would stop getting pushes): the watch stream
    reconnects by itself (services.common.watch) and the next wake-up or tick re-reads, so the
    session resumes when the service is back. False once the outage has lasted
    KUBEMAIL_IMAP_IDLE_OUTAGE_LIMIT."""
    try:
        if s.sel is None:
            if s.changed is not None:
                s.changed.clear()  # nothing selected to re-read: only NOTIFY looks
        else:
            await s.sync(True, True)
        await deliver(s)
    except grpc.aio.AioRpcError as exc:
        now = time.monotonic()
        if outage.since is None:
            outage.since = now
            log.warning("metadata unavailable during IDLE (%s); the IDLE stays open", exc.code().name)
        limit = s.cfg.idle_outage_limit
        return not (limit > 0 and now - outage.since >= limit)
    if outage.since is not None:
        log.info("metadata reachable again after %.1f s; IDLE resumes", time.monotonic() - outage.since)
        outage.since = None
    return True


async def idle(s: Session, cmd: Command) -> Result:
    s.send(wire.cont("idling"))
    outage = _Outage()
    await _idle_sync(s, outage)
    await s.flush()
    if s.state == LOGOUT:
        return Result(text="IDLE terminated")
    metrics.IDLE_SESSIONS.inc()
    try:
        return await _idle_loop(s, outage)
    finally:
        metrics.IDLE_SESSIONS.dec()


def _deflate_bye(s: Session) -> Result:
    log.info("COMPRESS input refused during IDLE")
    s.untagged("BYE Compressed input refused")
    s.state = LOGOUT
    return Result("BAD", "Compressed input refused")


async def compress(s: Session, cmd: Command) -> Result:
    """COMPRESS DEFLATE (RFC 4978 3): the tagged OK goes out uncompressed, then both
    directions are raw deflate (over TLS when TLS is on: it stays below)."""
    if cmd.args != "DEFLATE":
        raise bad(f"Unknown compression mechanism {cmd.args}")
    if s.deflate is not None:
        raise no("Compression already active", "COMPRESSIONACTIVE")
    s.send(wire.tagged(cmd.tag, "OK", "DEFLATE active"))
    await s.flush()
    try:
        s.start_compression()
    except DeflateError:  # what the client pipelined after the command is not deflate
        s.untagged("BYE Compressed input refused")
        s.state = LOGOUT
        await s.flush()
    raise Silent


async def _idle_loop(s: Session, outage: _Outage) -> Result:
    read_task: asyncio.Task[bytes] | None = None
    last_keepalive = time.monotonic()
    deadline = time.monotonic() + s.cfg.idle_timeout
    try:
        while True:
            try:
                line = s.rx.take_line()
            except ValueError:
                return Result("BAD", "Line too long")
            if line is not None:
                if line.strip().upper() == b"DONE":
                    return Result(text="IDLE terminated")
                return Result("BAD", "Expected DONE")
            try:
                if s.feed_pending():  # COMPRESS: input already received comes first
                    continue
            except DeflateError:
                return _deflate_bye(s)
            if read_task is None:
                read_task = asyncio.ensure_future(s.reader.read(65536))
            notify = asyncio.ensure_future(s.idle_wait(min(s.cfg.poll_interval, s.cfg.keepalive)))
            done, _ = await asyncio.wait({read_task, notify}, return_when=asyncio.FIRST_COMPLETED)
            if notify not in done:
                notify.cancel()
            if read_task in done:
                data = read_task.result()
                read_task = None
                if not data:
                    s.state = LOGOUT
                    return Result("BAD", "Connection closed")
                try:
                    s.feed(data)
                except DeflateError:
                    return _deflate_bye(s)
                continue
            now = time.monotonic()
            if s.ctx.closing:
                s.untagged("BYE Server shutting down")
                s.state = LOGOUT
                return Result("OK", "IDLE terminated")
            if now >= deadline:
                s.untagged("BYE Autologout; idle for too long")
                s.state = LOGOUT
                return Result("NO", "IDLE timed out")
            if not await _idle_sync(s, outage):
                s.untagged("BYE Mail store unavailable; please reconnect")
                s.state = LOGOUT
                return Result("NO", "IDLE ended: mail store unavailable", "UNAVAILABLE")
            if s.state == LOGOUT:  # the sync said BYE (the selected mailbox was deleted)
                return Result("OK", "IDLE terminated")
            if now - last_keepalive >= s.cfg.keepalive:
                s.untagged("OK Still here")
                last_keepalive = now
            await s.flush()
    finally:
        if read_task is not None and not read_task.done():
            read_task.cancel()
