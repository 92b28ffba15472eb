"""Password logins for POP3 through the shared Authenticator (services.common.auth)."""

from __future__ import annotations

from services.common.auth import Authenticator
from services.pop3.session import LoginFn, LoginResult


def make_login(auth: Authenticator) -> LoginFn:
    async def login(username: str, password: bytes, remote_ip: str) -> LoginResult:
        res = await auth.login(username, password, remote_ip)
        if res.ok and res.user is not None:
            return LoginResult(ok=True, user_id=res.user.id, address=res.user.address)
        return LoginResult(ok=False, limited=res.reason == "rate-limited", unavailable=res.reason == "unavailable")

    return login
