"""The shared login path of SMTP AUTH, IMAP LOGIN/AUTHENTICATE and POP3 USER/PASS/AUTH.

    auth = Authenticator(client, "imap", config.load(AuthLimits))
    res = await auth.login(username, password, conn.remote_ip)
    if res.ok: user = res.user
    elif res.temporary: answer 454 / NO [UNAVAILABLE] / -ERR [SYS/TEMP]
    else: answer 535 / NO [AUTHENTICATIONFAILED] / -ERR [AUTH]

Failed logins are counted per client IP and per login name in the metadata service's
Limits (buckets "auth-fail-ip", "auth-fail-user"), so the limits hold across every pod and
protocol. Too many recent failures refuse the attempt before the password is checked.
`connection_allowed(ip)` is the per-IP connection-rate check ("conn-ip").
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging

import grpc
from prometheus_client import Counter

from services.common.config import register, setting
from services.common.grpcclient import MetadataClient, reason_of
from services.common.loginname import login_name
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import limits_pb2 as limits_pb

log = logging.getLogger(__name__)

AUTH_ATTEMPTS = Counter(
    "kubemail_auth_attempts_total",
    "Password logins by protocol, mechanism (command, plain, login) and result (LoginOutcome)",
    ["protocol", "mechanism", "result"],
)
MECHANISMS = ("command", "plain", "login")  # command: IMAP LOGIN, POP3 USER/PASS
CONN_LIMITED = Counter("kubemail_auth_connections_limited_total", "Connections refused by conn-ip", ["protocol"])

MAX_USERNAME = 320
MAX_PASSWORD = 1024
# Authenticate failures that mean "these credentials are no good"; any other reason is an outage
_BAD_CREDENTIALS = {er.ERROR_REASON_INVALID_ARGUMENT, er.ERROR_REASON_NO_SUCH_USER, er.ERROR_REASON_NO_SUCH_DOMAIN}


@register
@dataclasses.dataclass(frozen=True)
class AuthLimits:
    """Failed-login and connection-rate limits shared by SMTP, IMAP and POP3."""

    fail_per_ip: int = setting(
        "KUBEMAIL_AUTH_FAIL_PER_IP", 20, "Failed logins per client IP per window before logins are refused; 0 = off."
    )
    fail_per_user: int = setting(
        "KUBEMAIL_AUTH_FAIL_PER_USER", 10, "Failed logins per login name per window before it is locked; 0 = off."
    )
    fail_window: int = setting("KUBEMAIL_AUTH_FAIL_WINDOW", 300, "Window of the failed-login limits, seconds.")
    fail_delay: float = setting("KUBEMAIL_AUTH_FAIL_DELAY", 0.0, "Seconds to wait before answering a failed login.")
    conn_per_ip: int = setting(
        "KUBEMAIL_CONN_PER_IP", 0, "New connections per client IP per window (all pods); 0 = unlimited."
    )
    conn_window: int = setting("KUBEMAIL_CONN_WINDOW", 60, "Window of KUBEMAIL_CONN_PER_IP, seconds.")


class LoginOutcome(enum.Enum):
    """The outcome of one password login, the same words on every protocol (and in metrics)."""

    OK = "ok"
    BAD_CREDENTIALS = "bad-credentials"
    DISABLED = "disabled"
    RATE_LIMITED = "rate-limited"
    UNAVAILABLE = "unavailable"


@dataclasses.dataclass(frozen=True)
class AuthResult:
    outcome: LoginOutcome
    user: directory_pb.User | None = None
    retry_after: int = 0  # seconds, when rate-limited

    @property
    def ok(self) -> bool:
        return self.outcome is LoginOutcome.OK and self.user is not None

    @property
    def temporary(self) -> bool:
        """The client should retry later (4xx / [UNAVAILABLE] / [SYS/TEMP])."""
        return self.outcome in (LoginOutcome.RATE_LIMITED, LoginOutcome.UNAVAILABLE)


class UnavailableError(Exception):
    """The metadata service could not answer."""


def _bad_input(username: str, password: bytes) -> bool:
    if not username or len(username) > MAX_USERNAME or not password or len(password) > MAX_PASSWORD:
        return True
    return any(ord(c) < 0x21 or ord(c) == 0x7F for c in username)


class Authenticator:
    def __init__(self, client: MetadataClient, service: str, limits: AuthLimits | None = None) -> None:
        self.client = client
        self.service = service
        self.limits = limits or AuthLimits()
        for mechanism in MECHANISMS:  # every series from the first scrape (rates, alerts)
            for outcome in LoginOutcome:
                AUTH_ATTEMPTS.labels(service, mechanism, outcome.value)

    async def _peek(self, bucket: str, key: str, limit: int) -> int:
        """0 when under the limit, else seconds to wait."""
        if limit <= 0:
            return 0
        req = limits_pb.PeekRequest(bucket=bucket, key=key[:512], limit=limit, window_seconds=self.limits.fail_window)
        try:
            resp = await self.client.limits.Peek(req)
        except grpc.aio.AioRpcError as exc:
            raise UnavailableError(exc.code().name) from None
        if resp.allowed and resp.count < limit:
            return 0
        return max(int(resp.retry_after_seconds), 1) if resp.retry_after_seconds else self.limits.fail_window

    async def _hit(self, bucket: str, key: str, limit: int) -> None:
        if limit <= 0:
            return
        req = limits_pb.HitRequest(
            bucket=bucket, key=key[:512], limit=limit, window_seconds=self.limits.fail_window, cost=1
        )
        try:
            await self.client.limits.Hit(req)
        except grpc.aio.AioRpcError as exc:
            log.warning("recording a failed login failed: %s", exc.code().name)

    def _done(self, result: AuthResult, mechanism: str) -> AuthResult:
        AUTH_ATTEMPTS.labels(self.service, mechanism, result.outcome.value).inc()
        return result

    async def _failed(self, outcome: LoginOutcome, user_key: str, remote_ip: str, mechanism: str) -> AuthResult:
        await self._hit("auth-fail-ip", remote_ip, self.limits.fail_per_ip)
        if user_key:
            await self._hit("auth-fail-user", user_key, self.limits.fail_per_user)
        if self.limits.fail_delay > 0:
            await asyncio.sleep(self.limits.fail_delay)
        return self._done(AuthResult(outcome), mechanism)

    async def login(self, username: str, password: bytes, remote_ip: str, mechanism: str = "command") -> AuthResult:
        """Checks the failure limits, then the password. Never raises for backend errors.
        `mechanism` (one of MECHANISMS) only labels the attempt in kubemail_auth_attempts_total."""
        user_key = login_name(username)
        try:
            wait = max(
                await self._peek("auth-fail-ip", remote_ip, self.limits.fail_per_ip),
                await self._peek("auth-fail-user", user_key, self.limits.fail_per_user) if user_key else 0,
            )
        except UnavailableError as exc:
            log.warning("%s login: limits unavailable: %s", self.service, exc)
            return self._done(AuthResult(LoginOutcome.UNAVAILABLE), mechanism)
        if wait:
            return self._done(AuthResult(LoginOutcome.RATE_LIMITED, retry_after=wait), mechanism)
        if _bad_input(user_key, password):
            key = user_key if len(user_key) <= MAX_USERNAME else ""
            return await self._failed(LoginOutcome.BAD_CREDENTIALS, key, remote_ip, mechanism)
        try:
            resp = await self.client.directory.Authenticate(
                directory_pb.AuthenticateRequest(
                    username=user_key, password=password, remote_ip=remote_ip, service=self.service
                )
            )
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) not in _BAD_CREDENTIALS:
                log.warning("%s login: directory unavailable: %s", self.service, exc.code().name)
                return self._done(AuthResult(LoginOutcome.UNAVAILABLE), mechanism)
            return await self._failed(LoginOutcome.BAD_CREDENTIALS, user_key, remote_ip, mechanism)
        if resp.ok and resp.user.id:
            return self._done(AuthResult(LoginOutcome.OK, user=resp.user), mechanism)
        outcome = LoginOutcome.DISABLED if resp.reason == "disabled" else LoginOutcome.BAD_CREDENTIALS
        return await self._failed(outcome, user_key, remote_ip, mechanism)

    async def connection_allowed(self, remote_ip: str) -> tuple[bool, int]:
        """Counts a new connection from `remote_ip` ("conn-ip"); (allowed, retry_after).
        Fails open when the metadata service is unavailable or the limit is off."""
        return await connection_allowed(self.client, self.limits, remote_ip, self.service)


async def connection_allowed(
    client: MetadataClient, limits: AuthLimits, remote_ip: str, service: str = ""
) -> tuple[bool, int]:
    """The per-IP connection-rate check; (allowed, retry_after_seconds)."""
    if limits.conn_per_ip <= 0:
        return True, 0
    req = limits_pb.HitRequest(
        bucket="conn-ip", key=remote_ip[:512], limit=limits.conn_per_ip, window_seconds=limits.conn_window, cost=1
    )
    try:
        resp = await client.limits.Hit(req)
    except grpc.aio.AioRpcError as exc:
        log.warning("connection limit check failed (allowing): %s", exc.code().name)
        return True, 0
    if resp.allowed:
        return True, 0
    CONN_LIMITED.labels(service or "any").inc()
    return False, int(resp.retry_after_seconds) or limits.conn_window
