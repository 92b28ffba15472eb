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


async def authenticate(
    dns: Lookup, message: bytes, ip: str, helo: str, mail_from: str, rng: random.Random | None = None
) -> Auth:
    sender = "" if mail_from in ("", "<>") else mail_from
    helo_check = spf.check(dns, ip, "", helo)
    if sender:
        spf_mf, spf_helo, (sigs, arc) = await asyncio.gather(
            spf.check(dns, ip, sender, helo), helo_check, dkimcheck.verify(dns, message)
        )
    else:
        spf_mf = None
        spf_helo, (sigs, arc) = await asyncio.gather(helo_check, dkimcheck.verify(dns, message))
    spf_domain = None
    if spf_mf is not None and spf_mf.result == spf.PASS:
        spf_domain = spf_mf.domain
    elif spf_mf is None and spf_helo.result == spf.PASS:
        spf_domain = spf_helo.domain
    result = await dmarc.evaluate(dns, message, spf_domain, [s.domain for s in sigs if s.result == "pass"], rng)
    return Auth(sender, spf_mf, spf_helo, sigs, arc, result)
