"""One SMTP connection: an aiosmtpd SMTP subclass (its state machine is kept as is).

Extended here, through aiosmtpd's documented seams: per-connection PROXY acceptance
(only from KUBEMAIL_PROXY_NETWORKS) and implicit TLS (465) before the greeting,
connection rate limits, AUTH PLAIN/LOGIN against the directory, enhanced status codes,
a DATA-phase timeout, a 421 on idle timeout, and per-command metrics. The transaction
logic (MAIL/RCPT/DATA) lives in handler.py as aiosmtpd handler hooks.

Where aiosmtpd 1.4 has no public seam, the subclass uses a few private members; each is
listed, with what it is needed for, and pinned in tests/smtp/test_aiosmtpd_seams.py.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto as sslproto
import collections
import contextlib
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.proxy_protocol import get_proxy
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session, TLSSetupException, auth_mechanism, syntax

from services.common import sasl
from services.common.admission import Verdict
from services.common.auth import LoginOutcome
from services.common.sockets import norm_ip
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.smtp import chunking, metrics, params, paths
from services.smtp.context import Context, Listener
from services.smtp.replies import code_of, enhance

log = logging.getLogger("kubemail.smtp")

IDENT = "ESMTP kubemail"
MAX_AUTH_PER_SESSION = 5
CHUNK_READ = 64 * 1024


class _DropLoginDataWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_DropLoginDataWarning())


class KmEnvelope(Envelope):
    """aiosmtpd's envelope plus the parsed parameters and what RCPT resolution learned."""

    def __init__(self) -> None:
        super().__init__()
        self.local_user_ids: list[str] = []
        self.remote: list[str] = []
        self.mail_params = params.MailParams()
        self.remote_dsn: dict[str, params.RcptParams] = {}  # DSN parameters of each remote recipient
        self.inbound: dict[str, directory_pb.InboundPolicy] = {}  # local user id -> its domain's trust policy


class KubemailSMTP(SMTP):
    def __init__(self, handler: Any, ctx: Context, listener: Listener) -> None:
        self.ctx = ctx
        self.listener = listener
        self._bdat = bytearray()  # the chunks of the current BDAT transaction so far
        self._bdat_active = False
        cfg = ctx.cfg
        tls_context = ctx.tls.context() if ctx.tls else None
        super().__init__(
            handler,
            data_size_limit=cfg.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=ctx.hostname,
            ident=IDENT,
            tls_context=tls_context,
            require_starttls=False,
            timeout=cfg.timeout,
            auth_required=listener.auth,
            auth_require_tls=True,
            command_call_limit={"AUTH": MAX_AUTH_PER_SESSION, "*": 10_000},
            loop=asyncio.get_running_loop(),
        )
        # aiosmtpd keeps these on the class and grows them per EHLO; make them ours.
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        self.client_ip = ""
        self.client_port = 0
        self.session_id = uuid.uuid4().hex[:12]
        self._counted = False
        self._last_code: int | None = None
        self._raw_push = False
        self._proxied = False
        self._data_started = False
        self._deadline: asyncio.TimerHandle | None = None  # KUBEMAIL_SMTP_SESSION_TIMEOUT
        self._in_command = False
        self._expired = False
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._instrument(name, method)

    # -- connection lifecycle --------------------------------------------------------

    def _create_envelope(self) -> KmEnvelope:
        return KmEnvelope()

    def _set_post_data_state(self) -> None:
        # after end of DATA/BDAT LAST, RSET, EHLO/HELO, STARTTLS: a new transaction
        super()._set_post_data_state()
        self._bdat = bytearray()
        self._bdat_active = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self._original_transport is None and self.transport is None
        if first:
            peer = transport.get_extra_info("peername") or ("", 0)
            self.client_ip, self.client_port = norm_ip(str(peer[0])), int(peer[1])
            self._proxied = self.ctx.proxy_ip(self.client_ip, self.listener.kind)
            self._set_auth_policy()
            self.ctx.sessions.add(self)
            metrics.CONNECTIONS.labels(self.listener.kind).inc()
            self._counted = True
        super().connection_made(transport)
        if first and self._handler_coroutine is not None:
            self._handler_coroutine.add_done_callback(self._session_over)

    def connection_lost(self, error: Exception | None) -> None:
        self._release()
        super().connection_lost(error)

    def _release(self) -> None:
        """Uncounts the session, once, whichever end of it comes first."""
        if self._counted:
            self._counted = False
            metrics.CONNECTIONS.labels(self.listener.kind).dec()
            self.ctx.sessions.discard(self)

    def _session_over(self, _: asyncio.Future[None]) -> None:
        """The session task ended (QUIT, drop, timeout, rejection, failed TLS): release and close.

        connection_lost alone is not enough: an SSLProtocol whose handshake never completed
        (implicit TLS or STARTTLS, failed or abandoned) never forwards connection_lost to us,
        and a task cancelled by eof_received during PROXY/admission left a half-open socket.
        """
        self._release()
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        if self._deadline is not None:
            self._deadline.cancel()
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.close()
        raw = self._original_transport
        handshake_done = self.session is not None and self.session.ssl is not None
        if isinstance(raw, asyncio.Transport) and not handshake_done and not raw.is_closing():
            raw.abort()  # the TLS layer never came up: nothing to shut down gracefully

    def _set_auth_policy(self) -> None:
        # AUTH only over TLS, except from trusted networks (RFC 8314 leaves that to policy).
        self._auth_require_tls = not self.ctx.trusted_ip(self.client_ip)

    def _timeout_cb(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.write(f"421 4.4.2 {self.hostname} Error: timeout exceeded\r\n".encode())
        metrics.COMMANDS.labels("timeout", "tempfail").inc()
        super()._timeout_cb()

    async def _handle_client(self) -> None:
        """PROXY header, admission and implicit TLS, then aiosmtpd's command loop."""
        try:
            if self._proxied and not await self._read_proxy():
                self._close()
                return
            if not await self._admit():
                self._close()
                return
            if self.ctx.cfg.session_timeout > 0:
                self._deadline = self.loop.call_later(self.ctx.cfg.session_timeout, self._session_time_up)
            if self.listener.implicit_tls and not await self._start_implicit_tls():
                self._close()
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session %s: setup failed", self.session_id)
            self._close()
            return
        try:
            await super()._handle_client()
        except ConnectionResetError:
            # a STARTTLS that failed (logged once where it failed) ends the session here, not as
            # an unretrieved task exception with a traceback
            self._close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _session_time_up(self) -> None:
        """The whole-session deadline: between commands the session ends now, inside one (a
        delivery, a DATA body bounded by its own timeout) right after its reply."""
        self._expired = True
        if not self._in_command:
            self._expire()

    def _expire(self) -> None:
        self._expired = False  # once
        log.info("session %s from %s: session time limit reached", self.session_id, self.client_ip)
        metrics.COMMANDS.labels("timeout", "tempfail").inc()
        with contextlib.suppress(Exception):
            self._writer.write(f"421 4.4.2 {self.hostname} Session time limit exceeded\r\n".encode())
        self._close()

    async def _read_proxy(self) -> bool:
        self._reset_timeout(self.ctx.cfg.proxy_timeout)
        data = await get_proxy(self._reader)
        if not data or not data.valid:
            log.warning("session %s: invalid PROXY header from %s", self.session_id, self.client_ip)
            metrics.CONNECTIONS_TOTAL.labels(self.listener.kind, "bad_proxy").inc()
            return False
        if data.src_addr:  # LOCAL / UNKNOWN keep the proxy's own address
            self.client_ip = str(data.src_addr)
            self.client_port = int(data.src_port or 0)
            self._set_auth_policy()
        self._reset_timeout()
        return True

    async def _admit(self) -> bool:
        ctx = self.ctx
        ctx.admission.draining = ctx.draining
        # sessions from this address (none counted for trusted networks: internal relays, the laptop)
        ip = self.client_ip
        same_ip = 0 if ctx.trusted_ip(ip) else sum(1 for s in ctx.sessions if getattr(s, "client_ip", None) == ip)
        verdict = await ctx.admission.check(len(ctx.sessions), self.client_ip, same_ip)  # this session included
        if verdict is Verdict.BUSY:
            await self.push(f"421 4.3.2 {self.hostname} Service not available, try later")
            metrics.CONNECTIONS_TOTAL.labels(self.listener.kind, "busy").inc()
            return False
        if verdict is Verdict.RATE_LIMITED:
            await self.push(f"421 4.7.0 {self.hostname} Too many connections, try later")
            metrics.CONNECTIONS_TOTAL.labels(self.listener.kind, "rate_limited").inc()
            return False
        metrics.CONNECTIONS_TOTAL.labels(self.listener.kind, "accepted").inc()
        return True

    async def _start_implicit_tls(self) -> bool:
        """TLS before the greeting (RFC 8314), on the already accepted TCP connection."""
        if self.tls_context is None or self.transport is None:
            return False
        pending = bytes(self._reader._buffer)  # type: ignore[attr-defined]
        self._reader._buffer.clear()  # type: ignore[attr-defined]
        waiter = self.loop.create_future()
        self._tls_protocol = sslproto.SSLProtocol(self.loop, self, self.tls_context, waiter, server_side=True)
        self._original_transport = self.transport
        self._original_transport.set_protocol(self._tls_protocol)
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(self._original_transport)
        if pending:
            buf = self._tls_protocol.get_buffer(len(pending))
            buf[: len(pending)] = pending
            self._tls_protocol.buffer_updated(len(pending))
        resume = getattr(self._original_transport, "resume_reading", None)
        if resume is not None:
            with contextlib.suppress(Exception):
                resume()
        try:
            await waiter
        except (ssl.SSLError, ConnectionError, OSError) as exc:
            log.info("session %s: TLS handshake failed: %s", self.session_id, exc)
            return False
        return self._tls_up()

    def _tls_up(self) -> bool:
        """The TLS layer called connection_made (handshake done), not only woke the waiter."""
        return self.session is not None and self.session.ssl is not None

    # -- replies and metrics ---------------------------------------------------------

    async def push(self, status: Any) -> None:
        if isinstance(status, bytes):
            text = status.decode("utf-8", "surrogateescape")
        else:
            text = str(status)
        if not self._raw_push:
            text = enhance(text)
        self._last_code = code_of(text)
        if self._last_code == 354:
            self._data_started = True
        await super().push(text)

    def _instrument(self, name: str, method: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        label = metrics.command_label(name)

        async def wrapped(arg: Any) -> None:
            self._last_code = None
            self._in_command = True
            try:
                await method(arg)
            finally:
                self._in_command = False
                metrics.COMMANDS.labels(label, metrics.result_label(self._last_code)).inc()
                if self._expired:
                    self._expire()

        return wrapped

    async def handle_exception(self, error: Exception) -> str:
        """A bug of ours in a command (bad input never gets here): logged once, and a 451 so
        senders retry instead of bouncing on aiosmtpd's ``500 Error: (SomeError) text``."""
        log.error("session %s: internal error: %r", self.session_id, error, exc_info=error)
        return "451 4.3.0 Internal error, try again later"

    # -- commands aiosmtpd implements, adjusted --------------------------------------

    async def _bad_helo(self, command: str, hostname: str | None) -> bool:
        """Refuses (501) an EHLO/HELO argument that is no name; the session keeps its state."""
        try:
            paths.parse_helo(hostname)
        except paths.ArgumentSyntaxError as exc:
            log.info("session %s: %s refused: %s", self.session_id, command, exc)
            await self.push(f"501 5.5.2 Syntax: {command} hostname")
            return True
        return False

    async def smtp_HELO(self, hostname: str) -> None:  # type: ignore[override]  # noqa: N802
        if not await self._bad_helo("HELO", hostname):
            await super().smtp_HELO(hostname)

    async def smtp_EHLO(self, hostname: str) -> None:  # type: ignore[override]  # noqa: N802
        if await self._bad_helo("EHLO", hostname):
            return
        self.command_size_limits.clear()  # each EHLO grows them from the base again
        self._raw_push = True
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self._raw_push = False

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """The MAIL/RCPT path parser: ours, not the e-mail header parser aiosmtpd uses.

        (None, None) makes aiosmtpd answer 553 5.1.3; ("", "") is its 501 for a missing path.
        """
        if not arg:
            return "", ""
        try:
            return paths.parse_path(arg)
        except paths.ArgumentSyntaxError as exc:
            log.info("session %s: path refused: %s", self.session_id, exc)
            return None, None

    async def smtp_STARTTLS(self, arg: str) -> None:  # type: ignore[override]  # noqa: N802
        if self._tls_protocol is not None:
            await self.push("503 5.5.1 TLS already active")
            return
        if not self.tls_context:
            await self.push("502 5.5.1 STARTTLS not available")
            return
        try:
            await super().smtp_STARTTLS(arg)
        except TLSSetupException as exc:
            # a client's failed handshake is not our error: one line, no traceback, session over
            log.info("session %s: TLS handshake failed: %s", self.session_id, exc.__cause__ or exc)
            raise ConnectionResetError("TLS handshake failed") from None
        if self._tls_protocol is not None and not self._tls_up():
            # the connection went away mid-handshake without an error: the session is over
            raise ConnectionResetError("connection lost during the TLS handshake")

    async def smtp_HELP(self, arg: str) -> None:  # type: ignore[override]  # noqa: N802
        """214 (RFC 5321 4.2.2): the commands, or one command's syntax; 504 for an unknown topic."""
        if await self.check_auth_needed("HELP"):
            return
        assert self.session is not None
        if arg:
            # the methods themselves: _smtp_methods holds their metric wrappers (_instrument)
            method = getattr(self, f"smtp_{arg.upper()}", None) if arg.upper() in self._smtp_methods else None
            if method is None or not self._syntax_available(method):
                await self.push("504 5.5.1 No help for that topic")
                return
            text = method.__smtp_syntax__  # type: ignore[attr-defined]
            if self.session.extended_smtp and method.__smtp_syntax_extended__:  # type: ignore[attr-defined]
                text += method.__smtp_syntax_extended__  # type: ignore[attr-defined]
            await self.push(f"214 2.0.0 Syntax: {text}")
            return
        names = sorted(n for n in self._smtp_methods if self._syntax_available(getattr(self, f"smtp_{n}")))
        await self.push(f"214 2.0.0 Supported commands: {' '.join(names)}")

    async def smtp_AUTH(self, arg: str) -> None:  # type: ignore[override]  # noqa: N802
        if not self.listener.auth:
            await self.push("502 5.5.1 AUTH not available on this port; use submission")
            return
        await super().smtp_AUTH(arg)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:  # noqa: N802
        """aiosmtpd's MAIL, with the parameters parsed by services.smtp.params (their values
        keep their case: ENVID is data) and every refusal carrying an enhanced code."""
        if await self.check_helo_needed() or await self.check_auth_needed("MAIL"):
            return
        assert self.session is not None and self.envelope is not None
        try:
            address, mail = params.mail_command(arg, self.session.extended_smtp, self.data_size_limit or 0)
        except params.ParamError as exc:
            log.info("session %s: MAIL refused: %s", self.session_id, exc)
            await self.push(exc.reply)
            return
        if self.envelope.mail_from:
            await self.push("503 5.5.1 Error: nested MAIL command")
            return
        self.envelope.smtp_utf8 = mail.smtputf8
        await self.push(await self._call_handler_hook("MAIL", address, mail))

    @syntax("RCPT TO: <address>", extended=" [SP <rcpt-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:  # noqa: N802
        if await self.check_helo_needed() or await self.check_auth_needed("RCPT"):
            return
        assert self.session is not None and self.envelope is not None
        if self._bdat_active:
            await self.push("503 5.5.1 RCPT not allowed after BDAT")
            return
        if not self.envelope.mail_from:
            await self.push("503 5.5.1 Error: need MAIL command")
            return
        try:
            address, rcpt = params.rcpt_command(arg, self.session.extended_smtp)
        except params.ParamError as exc:
            log.info("session %s: RCPT refused: %s", self.session_id, exc)
            await self.push(exc.reply)
            return
        await self.push(await self._call_handler_hook("RCPT", address, rcpt))

    async def smtp_DATA(self, arg: str) -> None:  # type: ignore[override]  # noqa: N802
        if self._bdat_active:  # RFC 3030 2: DATA and BDAT do not mix in one transaction
            await self.push("503 5.5.1 DATA not allowed after BDAT")
            return
        # The idle timer bounds the whole DATA phase (RFC 5321 4.5.3.2: 3 min per block, 10 min total).
        if self.envelope is not None and self.envelope.rcpt_tos and not arg:
            self._reset_timeout(self.ctx.cfg.data_timeout)
        self._last_code = None
        await super().smtp_DATA(arg)
        if self._last_code == 552 and self._data_started:
            metrics.MESSAGES.labels("rejected", "size").inc()
        elif self._last_code == 500 and self._data_started:
            metrics.MESSAGES.labels("rejected", "line_length").inc()
        self._data_started = False

    # -- CHUNKING (RFC 3030) -----------------------------------------------------------

    @syntax("BDAT <size> [LAST]")
    async def smtp_BDAT(self, arg: str | None) -> None:  # noqa: N802
        """One chunk: always read whole (it is in the stream), then accepted or refused."""
        cmd = chunking.parse_bdat(arg)
        if cmd is None:
            # without a size the chunk's end is unknown: what follows cannot be read as commands
            await self.push("501 5.5.4 Syntax: BDAT <size> [LAST]")
            self._close()
            return
        self._reset_timeout(self.ctx.cfg.data_timeout)  # bounds reading the chunk and the delivery
        try:
            await self._bdat_chunk(cmd)
        finally:
            if self.transport is not None:
                self._reset_timeout()

    async def _bdat_chunk(self, cmd: chunking.Bdat) -> None:
        refusal = self._bdat_refusal()
        limit = self.data_size_limit or 0
        over = refusal is None and bool(limit) and len(self._bdat) + cmd.size > limit
        await self._read_chunk(cmd.size, self._bdat if refusal is None and not over else None)
        if refusal is not None:
            await self.push(refusal)
            return
        if over:
            # the transaction failed: later pipelined chunks get 503 and are discarded (RFC 3030 2)
            self._set_post_data_state()
            metrics.MESSAGES.labels("rejected", "size").inc()
            await self.push("552 5.3.4 Message size exceeds fixed maximum message size")
            return
        self._bdat_active = True
        if not cmd.last:
            await self.push(f"250 2.0.0 {cmd.size} octets received")
            return
        assert self.envelope is not None
        content = bytes(self._bdat)
        self._bdat = bytearray()
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")  # the same end of data as DATA
        self._set_post_data_state()
        await self.push(status)

    def _bdat_refusal(self) -> str | None:
        session, envelope = self.session, self.envelope
        assert session is not None and envelope is not None
        if not session.host_name:
            return "503 5.5.1 Error: send EHLO first"
        if self._auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if not envelope.mail_from:
            return "503 5.5.1 Error: need MAIL command"
        if not envelope.rcpt_tos:
            return "503 5.5.1 Error: need RCPT command"
        return None

    async def _read_chunk(self, size: int, into: bytearray | None) -> None:
        """Exactly `size` octets from the stream, appended to `into` or discarded, in bounded pieces."""
        remaining = size
        try:
            while remaining:
                piece = await self._reader.readexactly(min(remaining, CHUNK_READ))
                remaining -= len(piece)
                if into is not None:
                    into += piece
        except asyncio.IncompleteReadError:
            raise ConnectionResetError("connection closed inside a BDAT chunk") from None

    # -- SASL (RFC 4616 PLAIN, draft LOGIN) ------------------------------------------

    async def _sasl(self, mechanism: str, args: list[str]) -> AuthResult:

        async def challenge(encoded: bytes) -> None:
            await self.push(b"334 " + encoded)

        async def response() -> bytes:
            try:
                return await self._reader.readline()
            except ValueError:  # over the stream limit
                raise sasl.SaslError(sasl.SaslFailure.TOO_LONG, "response too long") from None

        try:
            creds = await sasl.run(mechanism, args[1].encode() if len(args) > 1 else None, challenge, response)
        except sasl.SaslCancelled:
            await self.push("501 5.7.0 Authentication cancelled")
            return AuthResult(success=False, handled=True)
        except sasl.SaslError as exc:
            await self.push(f"501 5.5.2 {exc}")
            return AuthResult(success=False, handled=True)
        return await self._login(creds.authcid, creds.password, mechanism.lower())

    @auth_mechanism("PLAIN")
    async def auth_PLAIN(self, _: SMTP, args: list[str]) -> AuthResult:  # type: ignore[override]  # noqa: N802
        return await self._sasl("PLAIN", args)

    @auth_mechanism("LOGIN")
    async def auth_LOGIN(self, _: SMTP, args: list[str]) -> AuthResult:  # type: ignore[override]  # noqa: N802
        return await self._sasl("LOGIN", args)

    async def _login(self, name: str, password: bytes, mechanism: str) -> AuthResult:
        res = await self.ctx.login(name, password, self.client_ip, mechanism)
        if res.ok and res.user is not None:
            return AuthResult(success=True, auth_data=res.user, message="235 2.7.0 Authentication successful")
        if res.outcome is LoginOutcome.RATE_LIMITED:
            return AuthResult(success=False, handled=False, message="454 4.7.0 Too many failed attempts, try later")
        if res.temporary:
            return AuthResult(success=False, handled=False, message="454 4.7.0 Temporary authentication failure")
        return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")

    # -- helpers for the handler -----------------------------------------------------

    @property
    def user(self) -> directory_pb.User | None:
        s: Session | None = self.session
        if s is None or not s.authenticated:
            return None
        data = s.auth_data
        return data if isinstance(data, directory_pb.User) else None

    def tls_info(self) -> tuple[str, str]:
        if self.transport is None or self._tls_protocol is None:
            return "", ""
        obj = self.transport.get_extra_info("ssl_object")
        if obj is None:
            return "", ""
        cipher = obj.cipher()
        return str(obj.version() or ""), str(cipher[0] if cipher else "")
