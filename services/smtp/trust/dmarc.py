"""DMARC, RFC 7489: the author domain (RFC5322.From), policy discovery at the domain and its
organizational domain (public suffix list of the `publicsuffixlist` package), identifier
alignment of SPF and DKIM, and the policy to apply after `pct` sampling."""

from __future__ import annotations

import dataclasses
import random

from publicsuffixlist import PublicSuffixList

from services.common import mime
from services.common.resolver import DnsTempError, Lookup

_PSL = PublicSuffixList()
POLICIES = ("none", "quarantine", "reject")


@dataclasses.dataclass(frozen=True)
class Record:
    p: str
    sp: str
    pct: int = 100
    adkim: str = "r"  # r (relaxed) or s (strict)
    aspf: str = "r"


@dataclasses.dataclass(frozen=True)
class Result:
    result: str  # pass, fail, none, temperror, permerror
    header_from: str  # the author domain ("" when there is not exactly one)
    policy: str = "none"  # the published policy for this domain (p or sp)
    applied: str = "none"  # what pct sampling leaves of it when the result is fail
    reason: str = ""


def org_domain(domain: str) -> str:
    """The organizational domain (section 3.2): one label below the public suffix."""
    domain = domain.lower().rstrip(".")
    return _PSL.privatesuffix(domain) or domain


def aligned(a: str, b: str, mode: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if mode == "s":
        return a == b
    return org_domain(a) == org_domain(b)


def parse_record(text: str) -> Record | None:
    """A "v=DMARC1" record, or None when it is not one or its p= is missing or unknown."""
    tags: dict[str, str] = {}
    for i, part in enumerate(text.split(";")):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if i == 0:
            if key != "v" or value != "DMARC1":
                return None
            continue
        if sep and key:
            tags.setdefault(key, value)
    p = tags.get("p", "").lower()
    if p not in POLICIES:
        return None
    sp = tags.get("sp", "").lower()
    try:
        pct = max(0, min(100, int(tags.get("pct", "100"))))
    except ValueError:
        pct = 100
    adkim = "s" if tags.get("adkim", "r").lower() == "s" else "r"
    aspf = "s" if tags.get("aspf", "r").lower() == "s" else "r"
    return Record(p, sp if sp in POLICIES else p, pct, adkim, aspf)


def author_domain(message: bytes) -> str | None:
    """The domain of the single RFC5322.From address; None when there is not exactly one
    From field with one address (section 6.6.1: such a message cannot be evaluated)."""
    froms = [v for name, v in mime.header_fields(message) if name == "from"]
    if len(froms) != 1:
        return None
    hosts = {h.decode("utf-8", "replace").lower() for _, _, m, h in mime.parse_addresses(froms[0]) if h and m}
    if len(hosts) != 1:
        return None
    return hosts.pop()


async def _record(dns: Lookup, domain: str) -> Record | None:
    txt = await dns.txt(f"_dmarc.{domain}") or []
    records = [r for r in (parse_record(t) for t in txt if t.startswith("v=DMARC1")) if r is not None]
    return records[0] if len(records) == 1 else None


async def discover(dns: Lookup, domain: str) -> tuple[Record, str] | None:
    """(record, policy for `domain`) from the domain itself, else its organizational domain."""
    own = await _record(dns, domain)
    if own is not None:
        return own, own.p
    org = org_domain(domain)
    if org == domain:
        return None
    parent = await _record(dns, org)
    if parent is None:
        return None
    return parent, parent.sp


def _sampled(policy: str, pct: int, rng: random.Random) -> str:
    """Section 6.6.4: a message outside the pct sample gets the next policy down."""
    if pct >= 100 or rng.random() * 100 < pct:
        return policy
    return {"reject": "quarantine", "quarantine": "none"}.get(policy, "none")


async def evaluate(
    dns: Lookup,
    message: bytes,
    spf_pass_domain: str | None,
    dkim_pass_domains: list[str],
    rng: random.Random | None = None,
) -> Result:
    """DMARC for `message`: `spf_pass_domain` is MAIL FROM's domain when SPF passed for it,
    `dkim_pass_domains` the d= of every valid DKIM signature."""
    domain = author_domain(message)
    if domain is None:
        return Result("permerror", "", reason="not exactly one From address")
    try:
        found = await discover(dns, domain)
    except DnsTempError as exc:
        return Result("temperror", domain, reason=str(exc))
    if found is None:
        return Result("none", domain)
    record, policy = found
    if spf_pass_domain is not None and aligned(spf_pass_domain, domain, record.aspf):
        return Result("pass", domain, policy)
    if any(aligned(d, domain, record.adkim) for d in dkim_pass_domains):
        return Result("pass", domain, policy)
    return Result("fail", domain, policy, _sampled(policy, record.pct, rng or random.Random()))
