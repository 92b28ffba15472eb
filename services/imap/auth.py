"""LOGIN / AUTHENTICATE through the shared Authenticator (services.common.auth).

Attempts are counted there (kubemail_auth_attempts_total{service="imap"}); this module only
maps the shared login outcome to IMAP's tagged reply (RFC 5530 response codes).
"""

from __future__ import annotations

from services.common.auth import LoginOutcome
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.imap.context import ServerContext
from services.imap.errors import Result

REPLIES: dict[LoginOutcome, Result] = {
    LoginOutcome.RATE_LIMITED: Result("NO", "Too many failed logins, try later", "UNAVAILABLE"),
    LoginOutcome.UNAVAILABLE: Result("NO", "Authentication temporarily unavailable", "UNAVAILABLE"),
    LoginOutcome.DISABLED: Result("NO", "Account disabled", "AUTHORIZATIONFAILED"),
    LoginOutcome.BAD_CREDENTIALS: Result("NO", "Invalid credentials", "AUTHENTICATIONFAILED"),
}


async def login(
    ctx: ServerContext, username: str, password: bytes, remote_ip: str, mechanism: str
) -> tuple[directory_pb.User | None, Result]:
    res = await ctx.auth.login(username, password, remote_ip, mechanism)
    if res.ok:
        return res.user, Result("OK", "Logged in")
    r = REPLIES[res.outcome]
    return None, Result(r.status, r.text, r.code)
