"""The one async DNS resolver of a pod (dnspython), shared by the relay (MX routing, MTA-STS) and
the MX (SPF, DKIM, DMARC, ARC): `make_resolver` builds it from a `host[:port]` list (tests give
a dnsmasq on a loopback port); `Lookup` answers with "no such name", "no records" and "could not
ask" kept apart, because SPF and DMARC give them different results.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.resolver
import dns.reversename

log = logging.getLogger("kubemail.dns")

_BAD_NAME = (
    dns.name.EmptyLabel,
    dns.name.BadEscape,
    dns.name.LabelTooLong,
    dns.name.NameTooLong,
    dns.name.IDNAException,
    UnicodeError,
    ValueError,
)


class DnsTempError(Exception):
    """The question could not be answered now (timeout, SERVFAIL, no server)."""


def make_resolver(servers: Sequence[str], timeout: float = 5.0) -> dns.asyncresolver.Resolver:
    """A resolver asking `servers` (`host`, `host:port`, `[v6]`); empty = /etc/resolv.conf."""
    if not servers:
        try:
            r = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            # no /etc/resolv.conf: every question fails (temperror), the process still starts
            log.warning("no DNS configuration (/etc/resolv.conf); lookups will fail until servers are configured")
            r = dns.asyncresolver.Resolver(configure=False)
            r.nameservers = ["127.0.0.1"]
    else:
        r = dns.asyncresolver.Resolver(configure=False)
        addrs: list[str] = []
        port = 53
        for s in servers:
            host, sep, p = s.rpartition(":") if s.count(":") == 1 else ("", "", "")
            if sep:
                addrs.append(host)
                port = int(p)
            else:
                addrs.append(s.strip("[]"))
        r.nameservers = addrs
        r.port = port
    r.lifetime = timeout
    return r


class Lookup:
    """Typed answers of one resolver. Each method returns None when the name does not exist
    (NXDOMAIN), [] when it exists without such records, and raises DnsTempError otherwise."""

    def __init__(self, resolver: dns.asyncresolver.Resolver) -> None:
        self.resolver = resolver

    async def query(self, name: str, rdtype: str) -> list[dns.rdata.Rdata] | None:
        try:
            answer = await self.resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return None
        except _BAD_NAME:  # not a possible DNS name (from a message or a record): nothing there
            return None
        except dns.resolver.NoAnswer:
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
            raise DnsTempError(f"{name} {rdtype}: {type(exc).__name__}") from None
        except dns.exception.DNSException as exc:
            raise DnsTempError(f"{name} {rdtype}: {exc}") from None
        return list(answer)

    async def txt(self, name: str) -> list[str] | None:
        """TXT records of `name`, each record's strings joined."""
        answers = await self.query(name, "TXT")
        if answers is None:
            return None
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answers]  # type: ignore[attr-defined]

    async def addresses(self, name: str, rdtype: str) -> list[str] | None:
        """A or AAAA addresses of `name` as text."""
        answers = await self.query(name, rdtype)
        return None if answers is None else [r.to_text() for r in answers]

    async def mx(self, name: str) -> list[str] | None:
        """MX host names of `name` by preference, lower case, no trailing dot."""
        answers = await self.query(name, "MX")
        if answers is None:
            return None
        ordered = sorted(answers, key=lambda r: int(r.preference))  # type: ignore[attr-defined]
        return [r.exchange.to_text().lower().rstrip(".") for r in ordered]  # type: ignore[attr-defined]

    async def ptr(self, ip: str) -> list[str] | None:
        """PTR names of address `ip`, lower case, no trailing dot."""
        answers = await self.query(dns.reversename.from_address(ip).to_text(), "PTR")
        return None if answers is None else [r.to_text().lower().rstrip(".") for r in answers]
