"""The shared login path of SMTP AUTH, IMAP LOGIN/AUTHENTICATE and POP3 USER/PASS/AUTH.

    auth = Authenticator(client, "imap", config.load(AuthLimits))
    res = await auth.login(username, password, conn.remote_ip)
    if res.ok: user = res.user
    elif res.temporary: answer 454 / NO [UNAVAILABLE] / -ERR [SYS/TEMP]
    else: answer 535 / NO [AUTHENTICATIONFAILED] / -ERR [AUTH]

Failed logins are counted in the metadata service's Limits, so the limits hold across every
pod and protocol (decision 0011):
- per login name and client IP, exponential backoff ("auth-backoff"): after
  KUBEMAIL_AUTH_BACKOFF_AFTER failures the pair is refused for base * 2^k seconds, at most
  KUBEMAIL_AUTH_BACKOFF_MAX; a successful login resets it;
- per login name, a much higher window ceiling ("auth-fail-user", KUBEMAIL_AUTH_FAIL_PER_USER)
  against many sources guessing one account;
- per client IP ("auth-fail-ip"), except for addresses in KUBEMAIL_AUTH_SHARED_NETWORKS (load
  balancer, node or carrier NAT sources shared by many clients), which one burst must not
  turn against everybody behind them.
Too many recent failures refuse the attempt before the password is checked.
`connection_allowed(client, limits, ip)` is the per-IP connection-rate check ("conn-ip"), also
skipped for shared networks; services.common.admission applies it to every new connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import ipaddress
import logging

import grpc
from prometheus_client import Counter

from services.common.config import ip_in, parse_networks, register, setting
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
        "KUBEMAIL_AUTH_FAIL_PER_USER",
        100,
        "Failed logins of one login name from all sources per window before it is locked (the ceiling "
        "against distributed guessing; per source, KUBEMAIL_AUTH_BACKOFF_* apply); 0 = off.",
    )
    fail_window: int = setting("KUBEMAIL_AUTH_FAIL_WINDOW", 300, "Window of the failed-login limits, seconds.")
    fail_delay: float = setting("KUBEMAIL_AUTH_FAIL_DELAY", 0.0, "Seconds to wait before answering a failed login.")
    conn_per_ip: int = setting(
        "KUBEMAIL_CONN_PER_IP", 0, "New connections per client IP per window (all pods); 0 = unlimited."
    )
    conn_window: int = setting("KUBEMAIL_CONN_WINDOW", 60, "Window of KUBEMAIL_CONN_PER_IP, seconds.")
    backoff_after: int = setting(
        "KUBEMAIL_AUTH_BACKOFF_AFTER",
        5,
        "Failed logins of one login name from one client IP before each further failure blocks that "
        "pair for KUBEMAIL_AUTH_BACKOFF_BASE * 2^k seconds; a successful login resets it; 0 = off.",
    )
    backoff_base: int = setting("KUBEMAIL_AUTH_BACKOFF_BASE", 1, "First block of the login backoff, seconds.")
    backoff_max: int = setting("KUBEMAIL_AUTH_BACKOFF_MAX", 900, "Longest block of the login backoff, seconds.")
    shared_networks: tuple[str, ...] = setting(
        "KUBEMAIL_AUTH_SHARED_NETWORKS",
        [],
        "CIDRs whose addresses many clients share (load balancer or node SNAT sources without PROXY, "
        "carrier NAT): no per-IP failed-login or connection-rate limit for them; the per-account limits still apply.",
    )

    def __post_init__(self) -> None:
        _networks(self.shared_networks)  # a bad CIDR fails at startup

    def shared(self, ip: str) -> bool:
        """`ip` is in KUBEMAIL_AUTH_SHARED_NETWORKS: no per-IP limit applies to it."""
        return bool(self.shared_networks) and ip_in(ip, _networks(self.shared_networks))


@functools.cache
def _networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return parse_networks(values)


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

    def _pair(self, user_key: str, remote_ip: str) -> str:
        return f"{user_key[:MAX_USERNAME]}|{remote_ip[:64]}"

    async def _backoff_wait(self, user_key: str, remote_ip: str) -> tuple[int, int]:
        """(seconds the pair is still blocked, failures counted for it)."""
        if self.limits.backoff_after <= 0 or not user_key:
            return 0, 0
        req = limits_pb.BackoffCheckRequest(bucket="auth-backoff", key=self._pair(user_key, remote_ip))
        try:
            resp = await self.client.limits.BackoffCheck(req)
        except grpc.aio.AioRpcError as exc:
            raise UnavailableError(exc.code().name) from None
        return int(resp.retry_after_seconds), int(resp.failures)

    async def _backoff(self, user_key: str, remote_ip: str, *, failed: bool) -> None:
        if self.limits.backoff_after <= 0 or not user_key:
            return
        key = self._pair(user_key, remote_ip)
        try:
            if failed:
                await self.client.limits.BackoffFail(
                    limits_pb.BackoffFailRequest(
                        bucket="auth-backoff",
                        key=key,
                        free_failures=self.limits.backoff_after,
                        base_seconds=self.limits.backoff_base,
                        max_seconds=max(self.limits.backoff_max, self.limits.backoff_base),
                    )
                )
            else:
                await self.client.limits.BackoffReset(limits_pb.BackoffResetRequest(bucket="auth-backoff", key=key))
        except grpc.aio.AioRpcError as exc:
            log.warning("recording a login in the backoff failed: %s", exc.code().name)

    def _ip_limit(self, remote_ip: str) -> int:
        """The per-IP failure limit for `remote_ip`: 0 (off) for shared networks."""
        return 0 if self.limits.shared(remote_ip) else self.limits.fail_per_ip

    async def _failed(self, outcome: LoginOutcome, user_key: str, remote_ip: str, mechanism: str) -> AuthResult:
        await self._hit("auth-fail-ip", remote_ip, self._ip_limit(remote_ip))
        if user_key:
            await self._hit("auth-fail-user", user_key, self.limits.fail_per_user)
            await self._backoff(user_key, remote_ip, failed=True)
        if self.limits.fail_delay > 0:
            await asyncio.sleep(self.limits.fail_delay)
        return self._done(AuthResult(outcome), mechanism)

    async def login(self, username: str, password: bytes, remote_ip: str, mechanism: str = "command") -> AuthResult:
        """Checks the failure limits, then the password. Never raises for backend errors.
        `mechanism` (one of MECHANISMS) only labels the attempt in kubemail_auth_attempts_total."""
        user_key = login_name(username)
        limited_key = user_key if len(user_key) <= MAX_USERNAME else ""
        # the three checks are reads: asked at once, a login waits for one round trip, not three
        try:
            ip_wait, user_wait, (backoff_wait, backoff_failures) = await asyncio.gather(
                self._peek("auth-fail-ip", remote_ip, self._ip_limit(remote_ip)),
                self._peek("auth-fail-user", limited_key, self.limits.fail_per_user if limited_key else 0),
                self._backoff_wait(limited_key, remote_ip),
            )
        except UnavailableError as exc:
            log.warning("%s login: limits unavailable: %s", self.service, exc)
            return self._done(AuthResult(LoginOutcome.UNAVAILABLE), mechanism)
        wait = max(ip_wait, user_wait, backoff_wait)
        if wait:
            return self._done(AuthResult(LoginOutcome.RATE_LIMITED, retry_after=wait), mechanism)
        if _bad_input(user_key, password):
            return await self._failed(LoginOutcome.BAD_CREDENTIALS, limited_key, remote_ip, mechanism)
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
            if backoff_failures:  # nothing to forget for a pair without failures: no write
                await self._backoff(user_key, remote_ip, failed=False)
            return self._done(AuthResult(LoginOutcome.OK, user=resp.user), mechanism)
        outcome = LoginOutcome.DISABLED if resp.reason == "disabled" else LoginOutcome.BAD_CREDENTIALS
        return await self._failed(outcome, user_key, remote_ip, mechanism)


async def connection_allowed(
    client: MetadataClient, limits: AuthLimits, remote_ip: str, service: str = ""
) -> tuple[bool, int]:
    """The per-IP connection-rate check; (allowed, retry_after_seconds). Addresses in
    KUBEMAIL_AUTH_SHARED_NETWORKS are not limited."""
    if limits.conn_per_ip <= 0 or limits.shared(remote_ip):
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
