"""The DNS records a MailDomain needs, as the operator lists them in status.dnsRecords: MX,
SPF, DMARC, client service discovery (RFC 6186 SRV, with RFC 8314's implicit-TLS names),
Autodiscover/autoconfig names, MTA-STS (RFC 8461) and DKIM. Pure: built from the published
settings the web front-end serves (services.web.config.WebConfig), so the policy id changes
exactly when the policy does."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from services.web import autoconfig
from services.web.autoconfig import Published

Record = dict[str, str]


def _fqdn(name: str) -> str:
    return name.rstrip(".") + "."


def records(domain: str, p: Published, dkim: tuple[str, str] | None = None) -> list[Record]:
    """[{name, type, value}] in zone-file value syntax; `dkim` = (record name, TXT value)."""
    host = _fqdn(p.host)
    web = _fqdn(urlsplit(p.base_url).hostname or p.host)
    out: list[Record] = [
        {"name": _fqdn(domain), "type": "MX", "value": f"10 {host}"},
        {"name": _fqdn(domain), "type": "TXT", "value": "v=spf1 mx -all"},
        {"name": _fqdn(f"_dmarc.{domain}"), "type": "TXT", "value": "v=DMARC1; p=quarantine; adkim=r; aspf=r"},
    ]
    for service, port in (
        ("_imaps", p.imaps),
        ("_imap", p.imap),
        ("_pop3s", p.pop3s),
        ("_pop3", p.pop3),
        ("_submissions", p.submissions),
        ("_submission", p.submission),
    ):
        # RFC 6186 4: a port not offered is published as target "." so clients do not guess it
        value = f"0 1 {port} {host}" if port else "0 0 0 ."
        out.append({"name": _fqdn(f"{service}._tcp.{domain}"), "type": "SRV", "value": value})
    out += [
        {"name": _fqdn(f"_autodiscover._tcp.{domain}"), "type": "SRV", "value": f"0 0 443 {web}"},
        {"name": _fqdn(f"autodiscover.{domain}"), "type": "CNAME", "value": web},
        {"name": _fqdn(f"autoconfig.{domain}"), "type": "CNAME", "value": web},
        {"name": _fqdn(f"mta-sts.{domain}"), "type": "CNAME", "value": web},
        {"name": _fqdn(f"_mta-sts.{domain}"), "type": "TXT", "value": f"v=STSv1; id={policy_id(p)}"},
    ]
    if dkim is not None:
        out.append({"name": _fqdn(dkim[0]), "type": "TXT", "value": dkim[1]})
    return out


def policy_id(p: Published) -> str:
    """RFC 8461 3.1: 1-32 alphanumerics that change when the policy changes."""
    return hashlib.sha256(autoconfig.mta_sts_policy(p)).hexdigest()[:20]
