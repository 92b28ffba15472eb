"""One SMTP transaction to one address of a destination, on aiosmtplib (RFC 5321 client side).

`send` connects (its own socket, so an MX host's name and the address tried stay apart: the
name is what TLS verifies), says EHLO, upgrades with STARTTLS as the target's TLS mode asks,
authenticates when the target has credentials, and sends MAIL, RCPT per recipient and DATA.
What happened comes back per recipient as an SMTP reply; a failure before MAIL was accepted
(connection, greeting, TLS, AUTH) raises `SessionFailed` so the caller tries the next address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import ipaddress
import socket
import ssl
from collections.abc import Sequence

import aiosmtplib

from services.relay.message import Outgoing


class TlsMode(enum.Enum):
    NONE = "none"  # never STARTTLS (smarthost on a trusted network)
    OPPORTUNISTIC = "opportunistic"  # STARTTLS when offered, certificate not checked (RFC 7435)
    VERIFIED = "verified"  # STARTTLS required, certificate valid for the host name (MTA-STS, smarthost)
    IMPLICIT = "implicit"  # TLS from the first byte (port 465), certificate verified


@dataclasses.dataclass(frozen=True)
class Target:
    hostname: str  # MX or smarthost name: TLS server name, logs
    address: str  # IP address (or the hostname itself for a smarthost)
    port: int
    tls: TlsMode
    username: str = ""
    password: str = ""


@dataclasses.dataclass(frozen=True)
class Timeouts:
    connect: float = 30.0
    command: float = 300.0
    data: float = 600.0


@dataclasses.dataclass(frozen=True)
class Reply:
    code: int
    text: str  # as received, enhanced code included

    @property
    def line(self) -> str:
        return f"{self.code} {self.text}".strip()

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class SessionFailed(Exception):  # noqa: N818 - reads as a condition
    """Nothing was sent to this address: try the next one. `reply` says why (4xx or 5xx)."""

    def __init__(self, reply: Reply, stage: str) -> None:
        super().__init__(f"{stage}: {reply.line}")
        self.reply = reply
        self.stage = stage


@dataclasses.dataclass
class Outcome:
    replies: dict[str, Reply]  # recipient address -> its final reply in this transaction
    tls: str  # "none", "opportunistic", "verified"
    dsn: bool = False  # the peer supports DSN (RFC 3461): it sends any SUCCESS/DELAY notice itself


def client_contexts(ca_file: str = "") -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(opportunistic, verified) client contexts; verified trusts `ca_file` or the system CAs."""
    loose = ssl.create_default_context()
    loose.check_hostname = False
    loose.verify_mode = ssl.CERT_NONE
    strict = ssl.create_default_context(cafile=ca_file or None)
    strict.minimum_version = ssl.TLSVersion.TLSv1_2
    return loose, strict


async def _connect(address: str, port: int, timeout: float) -> socket.socket:
    """A connected non-blocking socket to an IP address, or to the first address of a host name
    (smarthosts) that accepts."""
    loop = asyncio.get_running_loop()
    try:
        ipaddress.ip_address(address)
        candidates: list[tuple[int, str]] = [(socket.AF_INET6 if ":" in address else socket.AF_INET, address)]
    except ValueError:
        infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM)
        candidates = [(int(fam), str(sa[0])) for fam, _, _, _, sa in infos]
    last: BaseException = OSError(f"{address} has no address")
    for family, ip in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (ip, port)), timeout)
            return sock
        except (OSError, TimeoutError) as exc:
            sock.close()
            last = exc
        except BaseException:
            sock.close()
            raise
    raise last


def _reply(exc: BaseException) -> Reply:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Reply(exc.code, exc.message)
    if isinstance(exc, asyncio.TimeoutError | aiosmtplib.SMTPTimeoutError):
        return Reply(451, "4.4.2 timeout waiting for the remote server")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Reply(451, f"4.7.5 TLS failed: {exc}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return Reply(451, "4.4.2 connection lost")
    if isinstance(exc, OSError):
        return Reply(451, f"4.4.1 connection failed: {exc.strerror or exc}")
    return Reply(451, f"4.4.0 {type(exc).__name__}: {exc}")


_FAILURES = (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError, ssl.SSLError)


async def send(
    target: Target,
    msg: Outgoing,
    helo: str,
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
    timeouts: Timeouts,
) -> Outcome:
    loose, strict = contexts
    stage = "connect"
    smtp: aiosmtplib.SMTP | None = None
    try:
        if target.tls is TlsMode.IMPLICIT:
            smtp = aiosmtplib.SMTP(
                hostname=target.address,
                port=target.port,
                local_hostname=helo,
                use_tls=True,
                tls_context=strict,
                timeout=timeouts.command,
            )
            await asyncio.wait_for(smtp.connect(), timeouts.connect + timeouts.command)
        else:
            sock = await _connect(target.address, target.port, timeouts.connect)
            smtp = aiosmtplib.SMTP(local_hostname=helo, sock=sock, start_tls=False, timeout=timeouts.command)
            stage = "greeting"
            await smtp.connect()
        stage = "ehlo"
        await smtp.ehlo()
        tls = "verified" if target.tls is TlsMode.IMPLICIT else "none"
        if target.tls in (TlsMode.OPPORTUNISTIC, TlsMode.VERIFIED) and not smtp.supports_extension("starttls"):
            if target.tls is TlsMode.VERIFIED:
                raise SessionFailed(Reply(451, "4.7.4 TLS required but STARTTLS is not offered"), "starttls")
        elif target.tls in (TlsMode.OPPORTUNISTIC, TlsMode.VERIFIED):
            stage = "starttls"
            verified = target.tls is TlsMode.VERIFIED
            await smtp.starttls(server_hostname=target.hostname, tls_context=strict if verified else loose)
            await smtp.ehlo()
            tls = "verified" if verified else "opportunistic"
        if target.username:
            stage = "auth"
            if tls == "none":
                raise SessionFailed(Reply(530, "5.7.0 refusing to send credentials without TLS"), stage)
            await smtp.login(target.username, target.password)
        return await _transaction(smtp, msg, timeouts, tls)
    except SessionFailed:
        raise
    except _FAILURES as exc:
        raise SessionFailed(_reply(exc), stage) from None
    finally:
        if smtp is not None and smtp.is_connected:
            try:
                await asyncio.wait_for(smtp.quit(), 5)
            except Exception:
                smtp.close()


def _mail_options(smtp: aiosmtplib.SMTP, msg: Outgoing) -> list[str]:
    opts: list[str] = []
    if smtp.supports_extension("size"):
        opts.append(f"SIZE={len(msg.data)}")
    if msg.eight_bit and smtp.supports_extension("8bitmime"):
        opts.append("BODY=8BITMIME")
    if msg.smtputf8:
        opts.append("SMTPUTF8")
    if smtp.supports_extension("dsn"):
        if msg.ret:
            opts.append(f"RET={msg.ret}")
        if msg.envid:
            opts.append(f"ENVID={xtext(msg.envid)}")
    return opts


def _rcpt_options(smtp: aiosmtplib.SMTP, notify: Sequence[str], orcpt: str) -> list[str]:
    if not smtp.supports_extension("dsn"):
        return []
    opts = []
    if notify:
        opts.append("NOTIFY=" + ",".join(notify))
    if orcpt:
        opts.append(f"ORCPT={orcpt}")
    return opts


def refusal(smtp: aiosmtplib.SMTP, msg: Outgoing) -> Reply | None:
    """A reason not to start the transaction with this peer (it would have to refuse it)."""
    if msg.smtputf8 and not smtp.supports_extension("smtputf8"):
        return Reply(553, "5.6.7 the remote server does not support SMTPUTF8, which this message needs")
    if msg.eight_bit and not smtp.supports_extension("8bitmime"):
        return Reply(554, "5.6.3 the remote server does not accept 8-bit content (no 8BITMIME)")
    limit = smtp.esmtp_extensions.get("size", "")
    if limit.isdigit() and int(limit) and len(msg.data) > int(limit):
        return Reply(552, f"5.3.4 message size {len(msg.data)} exceeds the remote limit {limit}")
    return None


async def _transaction(smtp: aiosmtplib.SMTP, msg: Outgoing, timeouts: Timeouts, tls: str) -> Outcome:
    replies: dict[str, Reply] = {}
    dsn = smtp.supports_extension("dsn")
    refused = refusal(smtp, msg)
    if refused is not None:
        return Outcome({r.address: refused for r in msg.recipients}, tls)
    encoding = "utf-8" if msg.smtputf8 else "ascii"
    try:
        await smtp.mail(msg.mail_from, options=_mail_options(smtp, msg), encoding=encoding)
    except aiosmtplib.SMTPResponseException as exc:
        return Outcome({r.address: Reply(exc.code, exc.message) for r in msg.recipients}, tls)
    accepted: list[str] = []
    for r in msg.recipients:
        try:
            resp = await smtp.rcpt(r.address, options=_rcpt_options(smtp, r.notify, r.orcpt), encoding=encoding)
            accepted.append(r.address)
            replies[r.address] = Reply(resp.code, resp.message)
        except aiosmtplib.SMTPResponseException as exc:
            replies[r.address] = Reply(exc.code, exc.message)
    if not accepted:
        return Outcome(replies, tls, dsn)
    try:
        resp = await smtp.data(msg.data, timeout=timeouts.data)
        final = Reply(resp.code, resp.message)
    except aiosmtplib.SMTPResponseException as exc:
        final = Reply(exc.code, exc.message)
    except _FAILURES as exc:
        # the end of DATA may or may not have been received: retrying can duplicate (RFC 5321 6.1)
        final = _reply(exc)
    for address in accepted:
        replies[address] = final
    return Outcome(replies, tls, dsn)


def xtext(value: str) -> str:
    """RFC 3461 section 4 xtext: "+" and characters outside 33..126 or "=" as +HH."""
    return "".join(
        c if 33 <= ord(c) <= 126 and c not in "+=" else "".join(f"+{b:02X}" for b in c.encode()) for c in value
    )
