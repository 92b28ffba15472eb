"""Sans-I/O SASL server mechanisms: PLAIN (RFC 4616) and LOGIN.

The protocol session owns the wire; this module only turns client responses into
challenges and, at the end, credentials::

    ex = sasl.new_exchange("PLAIN")            # SaslError if unsupported
    step = ex.start(initial)                   # initial: the base64 text of SASL-IR / AUTH PLAIN <ir>,
                                               # b"=" for an empty one, None when absent
    while isinstance(step, sasl.Challenge):
        send(prefix + step.encoded)            # "334 " (SMTP), "+ " (IMAP, POP3)
        step = ex.feed(read_line())            # the client's base64 line, CRLF stripped or not
    creds = step                               # Credentials(authcid, password, authzid)

Every problem raises `SaslError` with a `kind` (:class:`SaslFailure`, what sessions branch on)
and a short text fit for the client (`SaslCancelled` for "*"); the session answers
501 / BAD / NO / -ERR by the kind and forgets the exchange.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

MECHANISMS: tuple[str, ...] = ("PLAIN", "LOGIN")
MAX_RESPONSE = 8192  # base64 octets of one client response
MAX_IDENTITY = 512  # octets of authcid / authzid
MAX_PASSWORD = 1024


class SaslFailure(enum.Enum):
    """Why an exchange failed."""

    CANCELLED = "cancelled"  # the client sent "*"
    MALFORMED = "malformed"  # not base64, not a PLAIN message, a NUL in the password
    TOO_LONG = "too_long"  # a response, identity or password over its bound
    AUTHORIZATION = "authorization"  # a bad or different authorization identity
    INVALID = "invalid"  # an empty, non-UTF-8 or control-character identity or password
    STATE = "state"  # the exchange was already started or finished
    UNSUPPORTED = "unsupported"  # an unknown mechanism


class SaslError(Exception):
    """The exchange failed: `kind` says why; str(exc) is a short text safe to send to the client."""

    def __init__(self, kind: SaslFailure, text: str) -> None:
        super().__init__(text)
        self.kind = kind


class SaslCancelled(SaslError):  # noqa: N818 - the public name others import
    """The client sent "*"."""

    def __init__(self, text: str = "authentication cancelled") -> None:
        super().__init__(SaslFailure.CANCELLED, text)


@dataclass(frozen=True)
class Credentials:
    authcid: str  # the login name
    password: bytes = b""
    authzid: str = ""  # empty, or equal to authcid


@dataclass(frozen=True)
class Challenge:
    payload: bytes  # raw (unencoded) server challenge

    @property
    def encoded(self) -> bytes:
        """Base64 of the payload (empty for an empty challenge)."""
        return base64.b64encode(self.payload)


Step = Challenge | Credentials


def decode_response(line: bytes) -> bytes:
    """One client response line -> raw bytes. "*" raises SaslCancelled; "=" is empty."""
    data = line.rstrip(b"\r\n").strip(b" \t")
    if data == b"*":
        raise SaslCancelled("authentication cancelled")
    if len(data) > MAX_RESPONSE:
        raise SaslError(SaslFailure.TOO_LONG, "response too long")
    if data == b"=":
        return b""
    if not data:
        return b""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise SaslError(SaslFailure.MALFORMED, "invalid base64") from None


def _identity(raw: bytes, what: str, invalid: SaslFailure = SaslFailure.INVALID) -> str:
    if len(raw) > MAX_IDENTITY:
        raise SaslError(
            SaslFailure.AUTHORIZATION if invalid is SaslFailure.AUTHORIZATION else SaslFailure.TOO_LONG,
            f"{what} too long",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslError(invalid, f"{what} is not UTF-8") from None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise SaslError(invalid, f"{what} contains control characters")
    return text


def _password(raw: bytes) -> bytes:
    if not raw:
        raise SaslError(SaslFailure.INVALID, "empty password")
    if len(raw) > MAX_PASSWORD:
        raise SaslError(SaslFailure.TOO_LONG, "password too long")
    if b"\x00" in raw:
        raise SaslError(SaslFailure.MALFORMED, "malformed password")
    return raw


def decode_plain(message: bytes) -> Credentials:
    """RFC 4616 message: [authzid] NUL authcid NUL passwd."""
    fields = message.split(b"\x00")
    if len(fields) != 3:
        raise SaslError(SaslFailure.MALFORMED, "malformed PLAIN response")
    authzid = _identity(fields[0], "authorization identity", SaslFailure.AUTHORIZATION)
    authcid = _identity(fields[1], "authentication identity")
    if not authcid:
        raise SaslError(SaslFailure.INVALID, "empty authentication identity")
    password = _password(fields[2])
    if authzid and authzid != authcid:
        raise SaslError(SaslFailure.AUTHORIZATION, "authorization identity not permitted")
    return Credentials(authcid=authcid, password=password, authzid=authzid)


class Exchange(Protocol):
    mechanism: str

    def start(self, initial: bytes | None = None) -> Step: ...

    def feed(self, line: bytes) -> Step: ...


class _Base:
    mechanism = ""

    def __init__(self) -> None:
        self.done = False

    def _check(self) -> None:
        if self.done:
            raise SaslError(SaslFailure.STATE, "exchange already finished")


class PlainExchange(_Base):
    mechanism = "PLAIN"

    def __init__(self) -> None:
        super().__init__()
        self.started = False

    def start(self, initial: bytes | None = None) -> Step:
        self._check()
        if self.started:
            raise SaslError(SaslFailure.STATE, "exchange already started")
        self.started = True
        if initial is None:
            return Challenge(b"")
        return self.feed(initial)

    def feed(self, line: bytes) -> Step:
        self._check()
        self.started = True
        self.done = True
        return decode_plain(decode_response(line))


class LoginExchange(_Base):
    """LOGIN: "Username:" then "Password:" (an initial response is the user name)."""

    mechanism = "LOGIN"
    USERNAME = Challenge(b"Username:")
    PASSWORD = Challenge(b"Password:")

    def __init__(self) -> None:
        super().__init__()
        self.state = 0  # 0 new, 1 awaiting user name, 2 awaiting password
        self.user = ""

    def start(self, initial: bytes | None = None) -> Step:
        self._check()
        if self.state != 0:
            raise SaslError(SaslFailure.STATE, "exchange already started")
        self.state = 1
        if initial is None:
            return self.USERNAME
        return self.feed(initial)

    def feed(self, line: bytes) -> Step:
        self._check()
        if self.state == 0:
            self.state = 1
        data = decode_response(line)
        if self.state == 1:
            user = _identity(data, "user name")
            if not user:
                self.done = True
                raise SaslError(SaslFailure.INVALID, "empty user name")
            self.user = user
            self.state = 2
            return self.PASSWORD
        self.done = True
        return Credentials(authcid=self.user, password=_password(data))


async def run(
    mechanism: str,
    initial: bytes | None,
    challenge: Callable[[bytes], Awaitable[None]],
    response: Callable[[], Awaitable[bytes]],
) -> Credentials:
    """The one SASL exchange loop of every protocol.

    `challenge` sends the base64 challenge with the protocol's prefix ("334 " for SMTP, "+ " for
    IMAP and POP3) and `response` reads the client's next line; a response over the protocol's
    line bound raises SaslError(TOO_LONG) there, a closed connection whatever the protocol ends
    a session with. Every failure of the exchange itself raises SaslError with its kind; the
    session maps the kind to its reply in its reasons table and checks the credentials.
    """
    exchange = new_exchange(mechanism)
    step = exchange.start(initial)
    while isinstance(step, Challenge):
        await challenge(step.encoded)
        step = exchange.feed(await response())
    return step


def new_exchange(mechanism: str) -> PlainExchange | LoginExchange:
    """A fresh exchange for a mechanism name (case-insensitive); SaslError if unsupported."""
    mech = mechanism.strip().upper()
    if mech == "PLAIN":
        return PlainExchange()
    if mech == "LOGIN":
        return LoginExchange()
    raise SaslError(SaslFailure.UNSUPPORTED, "unsupported mechanism")
