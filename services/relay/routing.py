"""Where mail for a domain goes (RFC 5321 section 5.1): MX hosts in preference order, random
among equals, the implicit MX (the domain's own A/AAAA) when there is no MX, and null MX
(RFC 7505) as "accepts no mail". `order_mx` is the pure part; `Router` does the lookups on
dnspython's async resolver.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from services.common.resolver import make_resolver

__all__ = ["Host", "Route", "RouteError", "Router", "is_null_mx", "make_resolver", "order_mx"]


class RouteError(Exception):
    """No delivery possible now; `permanent` tells bounce (5xx) from retry (4xx)."""

    def __init__(self, permanent: bool, status: str, text: str) -> None:
        super().__init__(text)
        self.permanent = permanent
        self.status = status  # RFC 3463 enhanced status code
        self.text = text

    @property
    def reply(self) -> str:
        return f"{'550' if self.permanent else '451'} {self.status} {self.text}"


@dataclasses.dataclass(frozen=True)
class Host:
    name: str  # MX host name, lower case, no trailing dot
    addresses: tuple[str, ...]  # IPv4 first, then IPv6


@dataclasses.dataclass(frozen=True)
class Route:
    domain: str
    hosts: tuple[Host, ...]  # in the order to try
    implicit: bool = False  # no MX record: the domain's own addresses


def order_mx(records: Iterable[tuple[int, str]], rng: random.Random | None = None) -> list[str]:
    """MX host names by preference, shuffled among equal preferences, duplicates dropped."""
    rng = rng or random.Random()
    groups: dict[int, list[str]] = {}
    for pref, host in records:
        groups.setdefault(pref, []).append(host.lower().rstrip("."))
    out: list[str] = []
    for pref in sorted(groups):
        hosts = groups[pref]
        rng.shuffle(hosts)
        out += [h for h in hosts if h not in out]
    return out


def is_null_mx(records: Sequence[tuple[int, str]]) -> bool:
    """RFC 7505: a single MX of preference 0 and host "." (any "." host is treated as null)."""
    return any(host.rstrip(".") == "" for _, host in records)


class Router:
    def __init__(self, resolver: dns.asyncresolver.Resolver, ipv6: bool = True) -> None:
        self.resolver = resolver
        self.ipv6 = ipv6
        self.rng = random.Random()

    async def _query(self, name: str, rdtype: str) -> list[dns.rdata.Rdata] | None:
        """Answers; [] when the name exists without such records; None when it does not exist."""
        try:
            answer = await self.resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return None
        except dns.resolver.NoAnswer:
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
            raise RouteError(False, "4.4.3", f"DNS lookup of {name} {rdtype} failed: {type(exc).__name__}") from None
        except dns.exception.DNSException as exc:
            raise RouteError(False, "4.4.3", f"DNS lookup of {name} {rdtype} failed: {exc}") from None
        return list(answer)

    async def addresses(self, host: str) -> tuple[str, ...] | None:
        """A then AAAA addresses of `host`; None when the name does not exist."""
        a = await self._query(host, "A")
        if a is None:
            return None
        found = [r.to_text() for r in a]
        if self.ipv6:
            aaaa = await self._query(host, "AAAA") or []
            found += [r.to_text() for r in aaaa]
        return tuple(found)

    async def route(self, domain: str) -> Route:
        if domain.startswith("[") and domain.endswith("]"):  # address literal (RFC 5321 4.1.3)
            literal = domain[1:-1].removeprefix("IPv6:").removeprefix("ipv6:")
            return Route(domain, (Host(domain, (literal,)),), implicit=True)
        mx = await self._query(domain, "MX")
        if mx is None:
            raise RouteError(True, "5.1.2", f"domain {domain} does not exist")
        records = [(int(r.preference), r.exchange.to_text()) for r in mx]  # type: ignore[attr-defined]
        if records and is_null_mx(records):
            raise RouteError(True, "5.1.10", f"domain {domain} accepts no mail (null MX)")
        if not records:
            addrs = await self.addresses(domain)
            if not addrs:
                raise RouteError(True, "5.1.2", f"domain {domain} has no MX and no address")
            return Route(domain, (Host(domain, addrs),), implicit=True)
        hosts: list[Host] = []
        temporary: RouteError | None = None
        for name in order_mx(records, self.rng):
            try:
                addrs = await self.addresses(name)
            except RouteError as exc:
                temporary = exc
                continue
            if addrs:
                hosts.append(Host(name, addrs))
        if not hosts:
            if temporary is not None:
                raise temporary
            raise RouteError(False, "4.4.4", f"no MX host of {domain} has an address")
        return Route(domain, tuple(hosts))

    async def txt(self, name: str) -> list[str]:
        """TXT strings of `name` (each record's strings joined); [] when none."""
        answers = await self._query(name, "TXT") or []
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answers]  # type: ignore[attr-defined]
