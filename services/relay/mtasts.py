"""MTA-STS (RFC 8461): policy parsing and MX matching (pure), and `Policies`, which discovers a
domain's policy (TXT `_mta-sts.<domain>`), fetches it over verified HTTPS from
`mta-sts.<domain>` and caches it per pod for its max_age.

RFC 8461 5.1: a cached, unexpired policy stays in force when the TXT record or the policy host is
unreachable (an attacker who blocks them must not downgrade delivery); a domain never seen with a
policy gets none, and delivery falls back to opportunistic TLS.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import ssl
import time

import aiohttp
import aiohttp.abc

from services.relay.routing import RouteError, Router

log = logging.getLogger("kubemail.relay.mtasts")

MAX_POLICY_BYTES = 64 * 1024  # RFC 8461 3.3
MAX_AGE_LIMIT = 31557600  # RFC 8461 3.2: at most one year


class PolicyError(ValueError):
    """The policy text does not follow RFC 8461 section 3.2."""


@dataclasses.dataclass(frozen=True)
class Policy:
    mode: str  # "enforce", "testing" or "none"
    mx: tuple[str, ...]  # patterns, lower case: "mail.example.com" or "*.example.net"
    max_age: int
    id: str = ""  # the TXT record's id when fetched
    fetched_at: float = 0.0

    @property
    def enforce(self) -> bool:
        return self.mode == "enforce"

    def expired(self, now: float) -> bool:
        return now > self.fetched_at + self.max_age

    def matches(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.mx:
            if pattern.startswith("*."):
                head, _, rest = host.partition(".")
                if head and rest == pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False


def parse_policy(text: str) -> Policy:
    fields: dict[str, list[str]] = {}
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise PolicyError(f"not a key: value line: {line[:60]!r}")
        fields.setdefault(key.strip().lower(), []).append(value.strip())
    if fields.get("version") != ["STSv1"]:
        raise PolicyError("version is not STSv1")
    mode = (fields.get("mode") or [""])[0]
    if mode not in ("enforce", "testing", "none"):
        raise PolicyError(f"unknown mode {mode!r}")
    age = (fields.get("max_age") or [""])[0]
    if not age.isdigit() or len(age) > 10:
        raise PolicyError("max_age is not a number")
    mx = tuple(m.lower().rstrip(".") for m in fields.get("mx", []))
    if mode != "none" and not mx:
        raise PolicyError("no mx patterns")
    return Policy(mode, mx, min(int(age), MAX_AGE_LIMIT))


def parse_txt(records: list[str]) -> str | None:
    """The policy id of the one `v=STSv1` TXT record, or None (none, or more than one)."""
    found = []
    for record in records:
        parts = [p.strip() for p in record.split(";") if p.strip()]
        if parts and parts[0] == "v=STSv1":
            ids = [p[3:] for p in parts[1:] if p.startswith("id=")]
            if ids and ids[0].isalnum() and len(ids[0]) <= 32:
                found.append(ids[0])
    return found[0] if len(found) == 1 else None


class _Resolver(aiohttp.abc.AbstractResolver):
    """aiohttp name resolution through the relay's own resolver (the same DNS as MX lookups)."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        try:
            addrs = await self.router.addresses(host) or ()
        except RouteError as exc:
            raise OSError(exc.text) from None
        if not addrs:
            raise OSError(f"{host} has no address")
        return [
            aiohttp.abc.ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addrs
        ]

    async def close(self) -> None:
        return None


class Policies:
    def __init__(self, router: Router, tls: ssl.SSLContext, port: int = 443, timeout: float = 20.0) -> None:
        self.router = router
        self.tls = tls
        self.port = port
        self.timeout = timeout
        self.cache: dict[str, Policy] = {}
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _fetch(self, domain: str) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(resolver=_Resolver(self.router)),
            )
        host = f"mta-sts.{domain}"
        port = "" if self.port == 443 else f":{self.port}"
        url = f"https://{host}{port}/.well-known/mta-sts.txt"
        async with self._session.get(url, ssl=self.tls, allow_redirects=False) as resp:
            if resp.status != 200:
                raise PolicyError(f"HTTP {resp.status}")
            if resp.content_type != "text/plain":
                raise PolicyError(f"content type {resp.content_type}")
            body = await resp.content.read(MAX_POLICY_BYTES + 1)
            if len(body) > MAX_POLICY_BYTES:
                raise PolicyError("policy larger than 64 KiB")
            return body.decode("utf-8")

    async def policy(self, domain: str) -> Policy | None:
        """The policy in force for `domain`, or None."""
        now = time.time()
        cached = self.cache.get(domain)
        if cached is not None and cached.expired(now):
            cached = None
            self.cache.pop(domain, None)
        try:
            policy_id = parse_txt(await self.router.txt(f"_mta-sts.{domain}"))
        except RouteError:
            return cached
        if policy_id is None:
            return cached
        if cached is not None and cached.id == policy_id:
            return cached
        try:
            text = await self._fetch(domain)
            policy = dataclasses.replace(parse_policy(text), id=policy_id, fetched_at=now)
        except (TimeoutError, PolicyError, aiohttp.ClientError, ssl.SSLError, UnicodeDecodeError, OSError) as exc:
            log.warning("MTA-STS policy of %s not fetched: %s", domain, exc)
            return cached
        self.cache[domain] = policy
        return policy
