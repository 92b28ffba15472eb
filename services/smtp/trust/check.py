"""All sender authentication of one message: SPF for MAIL FROM and HELO, every DKIM signature
and the ARC chain at once, then DMARC over their results."""

from __future__ import annotations

import asyncio
import dataclasses
import random

from services.common.resolver import Lookup
from services.smtp.trust import dkimcheck, dmarc, spf


@dataclasses.dataclass(frozen=True)
class Auth:
    mail_from: str  # "" for the null sender
    spf_mailfrom: spf.Result | None  # None for the null sender (HELO is the identity then)
    spf_helo: spf.Result
    dkim: list[dkimcheck.Signature]
    arc: dkimcheck.Arc
    dmarc: dmarc.Result

    @property
    def spf_pass_domain(self) -> str | None:
        """The domain SPF authenticated for DMARC: MAIL FROM's, or HELO's for the null sender."""
        if self.spf_mailfrom is not None:
            return self.spf_mailfrom.domain if self.spf_mailfrom.result == spf.PASS else None
        return self.spf_helo.domain if self.spf_helo.result == spf.PASS else None

    @property
    def dkim_pass_domains(self) -> list[str]:
        return [s.domain for s in self.dkim if s.result == "pass"]

    def authenticates(self, domain: str) -> bool:
        """SPF or DKIM passed for `domain` (relaxed alignment)."""
        names = [d for d in [self.spf_pass_domain, *self.dkim_pass_domains] if d]
        return any(dmarc.aligned(d, domain, "r") for d in names)


async def _spf(dns: Lookup, ip: str, sender: str, helo: str, budget: float) -> spf.Result:
    domain = sender.rpartition("@")[2] if sender else helo
    try:
        async with asyncio.timeout(budget):
            return await spf.check(dns, ip, sender, helo)
    except TimeoutError:
        return spf.Result(spf.TEMPERROR, domain.lower(), "SPF evaluation took too long")


async def _dkim(dns: Lookup, message: bytes, budget: float) -> tuple[list[dkimcheck.Signature], dkimcheck.Arc]:
    try:
        async with asyncio.timeout(budget):
            return await dkimcheck.verify(dns, message)
    except TimeoutError:
        return [], dkimcheck.Arc("none", "verification took too long")


async def authenticate(
    dns: Lookup,
    message: bytes,
    ip: str,
    helo: str,
    mail_from: str,
    rng: random.Random | None = None,
    budget: float = 20.0,
) -> Auth:
    """Every check, each bounded by `budget` seconds in all (SPF may chain up to 10 lookups,
    each with its own DNS timeout): what does not finish in time is a temperror, never a wait."""
    sender = "" if mail_from in ("", "<>") else mail_from
    helo_check = _spf(dns, ip, "", helo, budget)
    if sender:
        spf_mf, spf_helo, (sigs, arc) = await asyncio.gather(
            _spf(dns, ip, sender, helo, budget), helo_check, _dkim(dns, message, budget)
        )
    else:
        spf_mf = None
        spf_helo, (sigs, arc) = await asyncio.gather(helo_check, _dkim(dns, message, budget))
    spf_domain = None
    if spf_mf is not None and spf_mf.result == spf.PASS:
        spf_domain = spf_mf.domain
    elif spf_mf is None and spf_helo.result == spf.PASS:
        spf_domain = spf_helo.domain
    passed = [s.domain for s in sigs if s.result == "pass"]
    try:
        async with asyncio.timeout(budget):
            result = await dmarc.evaluate(dns, message, spf_domain, passed, rng)
    except TimeoutError:
        result = dmarc.Result("temperror", dmarc.author_domain(message) or "", reason="DMARC lookup took too long")
    return Auth(sender, spf_mf, spf_helo, sigs, arc, result)
