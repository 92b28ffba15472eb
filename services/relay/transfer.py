"""One SMTP transaction to one address of a destination (RFC 5321 client side).

`send` connects (its own socket, so an MX host's name and the address tried stay apart: the
name is what TLS verifies), says EHLO, upgrades with STARTTLS as the target's TLS mode asks,
authenticates when the target has credentials, and sends MAIL, RCPT per recipient and DATA, as
one pipelined group when the server offers PIPELINING (RFC 2920; services.relay.smtpclient).
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

from services.relay.message import Outgoing
from services.relay.smtpclient import Connection, Disconnected, ReplyError
from services.relay.smtpwire import ProtocolError, Reply, command

__all__ = ["Outcome", "Reply", "SessionFailed", "Target", "Timeouts", "TlsMode", "client_contexts", "send", "xtext"]


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
    if isinstance(exc, ReplyError):
        return exc.reply
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return Reply(451, "4.4.2 timeout waiting for the remote server")
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Reply(451, f"4.7.5 TLS failed: {exc}")
    if isinstance(exc, Disconnected | ConnectionError):
        return Reply(451, "4.4.2 connection lost")
    if isinstance(exc, ProtocolError):
        return Reply(451, f"4.5.0 the remote server broke the protocol: {exc}")
    if isinstance(exc, OSError):
        return Reply(451, f"4.4.1 connection failed: {exc.strerror or exc}")
    return Reply(451, f"4.4.0 {type(exc).__name__}: {exc}")


_FAILURES = (ReplyError, Disconnected, ProtocolError, OSError, asyncio.TimeoutError, ssl.SSLError)


async def send(
    target: Target,
    msg: Outgoing,
    helo: str,
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
    timeouts: Timeouts,
) -> Outcome:
    loose, strict = contexts
    stage = "connect"
    conn: Connection | None = None
    try:
        sock = await _connect(target.address, target.port, timeouts.connect)
        try:
            implicit = target.tls is TlsMode.IMPLICIT
            conn = await Connection.open(
                sock, timeouts.command, strict if implicit else None, target.hostname if implicit else ""
            )
        except BaseException:
            sock.close()
            raise
        stage = "greeting"
        await conn.greeting()
        stage = "ehlo"
        await conn.ehlo(helo)
        tls = "verified" if target.tls is TlsMode.IMPLICIT else "none"
        if target.tls in (TlsMode.OPPORTUNISTIC, TlsMode.VERIFIED) and not conn.supports("starttls"):
            if target.tls is TlsMode.VERIFIED:
                raise SessionFailed(Reply(451, "4.7.4 TLS required but STARTTLS is not offered"), "starttls")
        elif target.tls in (TlsMode.OPPORTUNISTIC, TlsMode.VERIFIED):
            stage = "starttls"
            verified = target.tls is TlsMode.VERIFIED
            await conn.starttls(strict if verified else loose, target.hostname)
            await conn.ehlo(helo)
            tls = "verified" if verified else "opportunistic"
        if target.username:
            stage = "auth"
            if tls == "none":
                raise SessionFailed(Reply(530, "5.7.0 refusing to send credentials without TLS"), stage)
            await conn.login(target.username, target.password)
        stage = "transaction"
        return await _transaction(conn, msg, timeouts, tls)
    except SessionFailed:
        raise
    except _FAILURES as exc:
        raise SessionFailed(_reply(exc), stage) from None
    finally:
        if conn is not None:
            try:
                await conn.quit()
            except Exception:
                conn.close()


def _mail_options(conn: Connection, msg: Outgoing) -> list[str]:
    opts: list[str] = []
    if conn.supports("size"):
        opts.append(f"SIZE={len(msg.data)}")
    if msg.eight_bit and conn.supports("8bitmime"):
        opts.append("BODY=8BITMIME")
    if msg.smtputf8:
        opts.append("SMTPUTF8")
    if conn.supports("dsn"):
        if msg.ret:
            opts.append(f"RET={msg.ret}")
        if msg.envid:
            opts.append(f"ENVID={xtext(msg.envid)}")
    return opts


def _rcpt_options(conn: Connection, notify: Sequence[str], orcpt: str) -> list[str]:
    if not conn.supports("dsn"):
        return []
    opts = []
    if notify:
        opts.append("NOTIFY=" + ",".join(notify))
    if orcpt:
        opts.append(f"ORCPT={orcpt}")
    return opts


def refusal(conn: Connection, msg: Outgoing) -> Reply | None:
    """A reason not to start the transaction with this peer (it would have to refuse it)."""
    if msg.smtputf8 and not conn.supports("smtputf8"):
        return Reply(553, "5.6.7 the remote server does not support SMTPUTF8, which this message needs")
    if msg.eight_bit and not conn.supports("8bitmime"):
        return Reply(554, "5.6.3 the remote server does not accept 8-bit content (no 8BITMIME)")
    limit = conn.extensions.get("size", "")
    if limit.isdigit() and int(limit) and len(msg.data) > int(limit):
        return Reply(552, f"5.3.4 message size {len(msg.data)} exceeds the remote limit {limit}")
    return None


async def _transaction(conn: Connection, msg: Outgoing, timeouts: Timeouts, tls: str) -> Outcome:
    """MAIL, every RCPT and DATA as one group (RFC 2920 3.1: DATA may end a group), then the
    message if DATA got 354. A server that accepted no recipient must refuse DATA; if it says
    354 anyway, only the terminating dot is sent."""
    dsn = conn.supports("dsn")
    refused = refusal(conn, msg)
    if refused is not None:
        return Outcome({r.address: refused for r in msg.recipients}, tls)
    utf8 = msg.smtputf8
    lines = [command("MAIL", f"FROM:<{msg.mail_from}>", *_mail_options(conn, msg), utf8=utf8)]
    lines += [
        command("RCPT", f"TO:<{r.address}>", *_rcpt_options(conn, r.notify, r.orcpt), utf8=utf8) for r in msg.recipients
    ]
    pipelined = conn.supports("pipelining")
    if pipelined:
        lines.append(command("DATA"))
    replies_in = await conn.pipeline(lines, timeouts.command)
    mail, rcpts = replies_in[0], replies_in[1 : 1 + len(msg.recipients)]
    if not mail.ok:
        if pipelined:
            await _end_refused_data(conn, replies_in[-1], timeouts)
        return Outcome({r.address: mail for r in msg.recipients}, tls, dsn)
    replies = {r.address: reply for r, reply in zip(msg.recipients, rcpts, strict=True)}
    accepted = [r.address for r, reply in zip(msg.recipients, rcpts, strict=True) if reply.ok]
    if not pipelined:
        if not accepted:
            return Outcome(replies, tls, dsn)
        go = await conn.execute(command("DATA"), timeouts.command)
    else:
        go = replies_in[-1]
        if not accepted:
            await _end_refused_data(conn, go, timeouts)
            return Outcome(replies, tls, dsn)
    if go.code != 354:
        for address in accepted:
            replies[address] = go
        return Outcome(replies, tls, dsn)
    try:
        final = await conn.data(msg.data, timeouts.data)
    except _FAILURES as exc:
        # the end of DATA may or may not have been received: retrying can duplicate (RFC 5321 6.1)
        final = _reply(exc)
    for address in accepted:
        replies[address] = final
    return Outcome(replies, tls, dsn)


async def _end_refused_data(conn: Connection, data_reply: Reply, timeouts: Timeouts) -> None:
    """A pipelined DATA that the server (wrongly) answered 354 with nothing to send: end it empty."""
    if data_reply.code == 354:
        await conn.execute(b".\r\n", timeouts.data)


def xtext(value: str) -> str:
    """RFC 3461 section 4 xtext: "+" and characters outside 33..126 or "=" as +HH."""
    return "".join(
        c if 33 <= ord(c) <= 126 and c not in "+=" else "".join(f"+{b:02X}" for b in c.encode()) for c in value
    )
