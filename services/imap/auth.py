"""LOGIN / AUTHENTICATE through the shared Authenticator (services.common.auth)."""

from __future__ import annotations

from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.imap import metrics
from services.imap.context import ServerContext
from services.imap.errors import Result


async def login(
    ctx: ServerContext, username: str, password: bytes, remote_ip: str
) -> tuple[directory_pb.User | None, Result]:
    res = await ctx.auth.login(username, password, remote_ip)
    if res.ok and res.user is not None:
        metrics.AUTH_RESULTS.labels("ok").inc()
        return res.user, Result("OK", "Logged in")
    if res.reason == "rate-limited":
        metrics.AUTH_RESULTS.labels("ratelimited").inc()
        return None, Result("NO", "Too many failed logins, try later", "UNAVAILABLE")
    if res.reason == "unavailable":
        return None, Result("NO", "Authentication temporarily unavailable", "UNAVAILABLE")
    if res.reason == "disabled":
        metrics.AUTH_RESULTS.labels("disabled").inc()
        return None, Result("NO", "Account disabled", "AUTHORIZATIONFAILED")
    metrics.AUTH_RESULTS.labels("fail").inc()
    return None, Result("NO", "Invalid credentials", "AUTHENTICATIONFAILED")
