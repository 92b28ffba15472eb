"""SPF, RFC 7208: check_host() over the pod's async resolver (services.common.resolver).

The record grammar and the macro language (section 7) are pure functions; `check_host` walks
the mechanisms with the limits of section 4.6.4 (10 DNS-querying terms, 2 void lookups, 10
names per MX or PTR).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import urllib.parse

from services.common.resolver import DnsTempError, Lookup

PASS, FAIL, SOFTFAIL, NEUTRAL, NONE, TEMPERROR, PERMERROR = (
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
)
_QUALIFIERS = {"+": PASS, "-": FAIL, "~": SOFTFAIL, "?": NEUTRAL}
_MECHANISMS = {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"}
_LOOKUP_TERMS = {"include", "a", "mx", "ptr", "exists"}
MAX_LOOKUPS = 10
MAX_VOID = 2
MAX_NAMES = 10
_MACRO = re.compile(r"%(?:\{([slodiphcrtv])(\d*)(r?)([.\-+,/_=]*)\}|(.))", re.I)
_TERM = re.compile(r"^([+\-~?]?)([a-z][a-z0-9_.\-]*)(?:([:=])(.*)|(/.*))?$", re.I)
_CIDR = re.compile(r"^(.*?)(?:/(\d+))?(?://(\d+))?$")


class PermError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Term:
    qualifier: str  # pass, fail, softfail, neutral (mechanisms); "" for modifiers
    name: str  # lower case
    value: str  # after ':' or '=', unexpanded
    modifier: bool


@dataclasses.dataclass(frozen=True)
class Result:
    result: str
    domain: str  # the domain checked (MAIL FROM's or HELO's)
    reason: str = ""


def parse_record(text: str) -> list[Term]:
    """The terms of a "v=spf1" record. Raises PermError on a term the grammar rejects."""
    words = text.split()
    if not words or words[0].lower() != "v=spf1":
        raise PermError("not an SPF record")
    out: list[Term] = []
    for word in words[1:]:
        m = _TERM.match(word)
        if m is None:
            raise PermError(f"bad term {word[:60]!r}")
        qual, name, sep = m.group(1), m.group(2).lower(), m.group(3) or ""
        value = m.group(4) or m.group(5) or ""  # after ':' / '=', or a bare CIDR suffix ("a/24")
        if sep == "=":
            if qual:
                raise PermError(f"qualifier on modifier {word[:60]!r}")
            out.append(Term("", name, value, True))
        elif name in _MECHANISMS:
            out.append(Term(_QUALIFIERS.get(qual, PASS), name, value, False))
        else:
            raise PermError(f"unknown mechanism {name[:40]!r}")
    if sum(1 for t in out if t.modifier and t.name == "redirect") > 1:
        raise PermError("more than one redirect")
    if sum(1 for t in out if t.modifier and t.name == "exp") > 1:
        raise PermError("more than one exp")
    return out


def is_spf(text: str) -> bool:
    low = text.lower()
    return low == "v=spf1" or low.startswith("v=spf1 ")


@dataclasses.dataclass(frozen=True)
class MacroContext:
    sender: str  # local@domain (HELO identity: postmaster@helo)
    domain: str
    ip: str
    helo: str


def _ip_macro(ip: str, dotted_v6: bool) -> str:
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        return str(addr)
    if not dotted_v6:
        return str(addr)
    return ".".join(addr.exploded.replace(":", ""))


def expand(spec: str, ctx: MacroContext, ptr_name: str = "unknown") -> str:
    """Section 7: macro expansion of a domain-spec (no exp= explanation macros needed here)."""
    local, _, sender_domain = ctx.sender.rpartition("@")

    def one(m: re.Match[str]) -> str:
        if m.group(5) is not None:
            ch = m.group(5)
            if ch == "%":
                return "%"
            if ch == "_":
                return " "
            if ch == "-":
                return "%20"
            raise PermError(f"bad macro %{ch}")
        letter, digits, reverse, delims = m.group(1), m.group(2), m.group(3), m.group(4) or "."
        key = letter.lower()
        values = {
            "s": ctx.sender,
            "l": local or "postmaster",
            "o": sender_domain,
            "d": ctx.domain,
            "i": _ip_macro(ctx.ip, True),
            "p": ptr_name,
            "v": "in-addr" if ipaddress.ip_address(ctx.ip).version == 4 else "ip6",
            "h": ctx.helo,
        }
        if key not in values:
            raise PermError(f"macro %{{{letter}}} not allowed here")
        value = values[key]
        parts = re.split("[" + re.escape(delims) + "]", value)
        if reverse:
            parts.reverse()
        if digits:
            n = int(digits)
            if n == 0:
                raise PermError("macro with zero parts")
            parts = parts[-n:]
        out = ".".join(parts)
        return urllib.parse.quote(out, safe="") if letter.isupper() else out

    return _MACRO.sub(one, spec)


def _split_cidr(value: str) -> tuple[str, int | None, int | None]:
    m = _CIDR.match(value)
    assert m is not None
    v4 = int(m.group(2)) if m.group(2) else None
    v6 = int(m.group(3)) if m.group(3) else None
    if (v4 is not None and v4 > 32) or (v6 is not None and v6 > 128):
        raise PermError(f"bad CIDR length in {value[:60]!r}")
    return m.group(1), v4, v6


IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _in(ip: IP, addresses: list[str], v4: int | None, v6: int | None) -> bool:
    """`ip` in any of `addresses` widened to the mechanism's CIDR length."""
    length = (32 if v4 is None else v4) if ip.version == 4 else (128 if v6 is None else v6)
    for a in addresses:
        try:
            net = ipaddress.ip_network(f"{a}/{length}", strict=False)
        except ValueError:
            continue
        if ip.version == net.version and ip in net:
            return True
    return False


def valid_domain(domain: str) -> bool:
    labels = domain.rstrip(".").split(".")
    return len(labels) >= 2 and all(0 < len(x) <= 63 for x in labels) and len(domain) <= 253


class Checker:
    """One check_host() evaluation tree (the lookup counters span include and redirect)."""

    def __init__(self, dns: Lookup, ip: str, sender: str, helo: str) -> None:
        self.dns = dns
        self.ip: IP = ipaddress.ip_address(ip)
        if isinstance(self.ip, ipaddress.IPv6Address) and self.ip.ipv4_mapped is not None:
            self.ip = self.ip.ipv4_mapped
        self.sender = sender
        self.helo = helo
        self.lookups = 0
        self.void = 0

    def _count(self) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise PermError("too many DNS lookups")

    def _void(self, answer: list[str] | None) -> list[str]:
        if not answer:
            self.void += 1
            if self.void > MAX_VOID:
                raise PermError("too many void lookups")
        return answer or []

    async def _addresses(self, name: str) -> list[str]:
        return self._void(await self.dns.addresses(name, "A" if self.ip.version == 4 else "AAAA"))

    async def check_host(self, domain: str) -> str:
        """The result for `domain`; raises DnsTempError and PermError."""
        domain = domain.rstrip(".").lower()
        if not valid_domain(domain):
            return NONE
        records = await self.dns.txt(domain)
        spf = [r for r in records or [] if is_spf(r)]
        if not spf:
            return NONE
        if len(spf) > 1:
            raise PermError(f"{domain} has more than one SPF record")
        terms = parse_record(spf[0])
        ctx = MacroContext(self.sender, domain, str(self.ip), self.helo)
        for term in terms:
            if term.modifier:
                continue
            if await self._matches(term, ctx):
                return term.qualifier
        redirect = next((t for t in terms if t.modifier and t.name == "redirect"), None)
        if redirect is not None:
            self._count()
            result = await self.check_host(expand(redirect.value, ctx))
            if result == NONE:
                raise PermError("redirect to a domain without SPF record")
            return result
        return NEUTRAL

    async def _matches(self, term: Term, ctx: MacroContext) -> bool:
        name = term.name
        if name in _LOOKUP_TERMS:
            self._count()
        if name == "all":
            return True
        if name == "ip4" or name == "ip6":
            try:
                net = ipaddress.ip_network(term.value, strict=False)
            except ValueError:
                raise PermError(f"bad {name} {term.value[:60]!r}") from None
            if (name == "ip4") != (net.version == 4):
                raise PermError(f"bad {name} {term.value[:60]!r}")
            return self.ip.version == net.version and self.ip in net
        if name == "include":
            if not term.value:
                raise PermError("include without domain")
            result = await self.check_host(expand(term.value, ctx))
            if result == NONE:
                raise PermError("include of a domain without SPF record")
            return result == PASS
        if name == "exists":
            if not term.value:
                raise PermError("exists without domain")
            return bool(self._void(await self.dns.addresses(expand(term.value, ctx), "A")))
        if name == "a":
            target, v4, v6 = _split_cidr(term.value)
            return _in(self.ip, await self._addresses(expand(target, ctx) if target else ctx.domain), v4, v6)
        if name == "mx":
            target, v4, v6 = _split_cidr(term.value)
            hosts = self._void(await self.dns.mx(expand(target, ctx) if target else ctx.domain))
            if len(hosts) > MAX_NAMES:
                raise PermError("more than 10 MX names")
            for host in hosts:
                if _in(self.ip, await self.dns.addresses(host, "A" if self.ip.version == 4 else "AAAA") or [], v4, v6):
                    return True
            return False
        if name == "ptr":
            target = expand(term.value, ctx) if term.value else ctx.domain
            return await self._ptr_matches(target.lower())
        raise PermError(f"unknown mechanism {name}")  # pragma: no cover - parse_record refuses it

    async def _ptr_matches(self, target: str) -> bool:
        try:
            names = await self.dns.ptr(str(self.ip)) or []
        except DnsTempError:
            return False  # 5.5: a failed PTR lookup is no match
        for n in names[:MAX_NAMES]:
            if n != target and not n.endswith("." + target):
                continue
            try:
                addrs = await self.dns.addresses(n, "A" if self.ip.version == 4 else "AAAA") or []
            except DnsTempError:
                continue
            if str(self.ip) in {str(ipaddress.ip_address(a)) for a in addrs}:
                return True
        return False


async def check(dns: Lookup, ip: str, mail_from: str, helo: str) -> Result:
    """SPF for one identity: MAIL FROM's domain, or the HELO name when MAIL FROM is empty
    (section 2.4) — call with mail_from="" for the HELO identity."""
    if mail_from and "@" in mail_from:
        sender, domain = mail_from, mail_from.rpartition("@")[2]
    else:
        sender, domain = f"postmaster@{helo}", helo
    checker = Checker(dns, ip, sender, helo)
    try:
        return Result(await checker.check_host(domain), domain.lower())
    except PermError as exc:
        return Result(PERMERROR, domain.lower(), str(exc))
    except DnsTempError as exc:
        return Result(TEMPERROR, domain.lower(), str(exc))
    except ValueError as exc:  # an address or name dnspython refuses
        return Result(PERMERROR, domain.lower(), str(exc)[:100])
