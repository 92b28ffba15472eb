"""The Authentication-Results header (RFC 8601) built with `authres`, and the removal of
incoming ones that claim our authserv-id (section 5: a forged claim must not survive)."""

from __future__ import annotations

import re

import authres
import authres.arc
import authres.dmarc

from services.smtp import headers
from services.smtp.trust import dkimcheck, dmarc, spf

# authserv-id: the first token of the value, after any comments (RFC 8601 2.2)
_AUTHSERV = re.compile(rb"^\s*(?:\([^)]*\)\s*)*([^\s;()]+)")
_FIELD_NAME = b"authentication-results"
FEATURES = authres.FeatureContext(authres.dmarc, authres.arc)


def _ascii(domain: str) -> str:
    """A domain in its A-label form (RFC 5890), so the field stays ASCII; as given if it is not one."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _dkim(sig: dkimcheck.Signature) -> authres.DKIMAuthenticationResult:
    return authres.DKIMAuthenticationResult(
        result=sig.result,
        reason=sig.reason or None,
        header_d=_ascii(sig.domain) or None,
        header_s=sig.selector or None,
        header_i=sig.identity or None,
    )


def header(
    authserv_id: str,
    spf_mailfrom: spf.Result | None,
    spf_helo: spf.Result | None,
    mail_from: str,
    sigs: list[dkimcheck.Signature],
    dmarc_result: dmarc.Result | None,
    arc: dkimcheck.Arc | None,
    extra: list[authres.core.AuthenticationResult] | None = None,
) -> bytes:
    """One Authentication-Results field (folded before each resinfo), CRLF-terminated."""
    results: list[authres.core.BaseAuthenticationResult] = []
    if spf_mailfrom is not None and mail_from:
        results.append(authres.SPFAuthenticationResult(result=spf_mailfrom.result, smtp_mailfrom=mail_from))
    if spf_helo is not None:
        results.append(authres.SPFAuthenticationResult(result=spf_helo.result, smtp_helo=_ascii(spf_helo.domain)))
    if sigs:
        results += [_dkim(s) for s in sigs]
    elif spf_mailfrom is not None:
        results.append(authres.DKIMAuthenticationResult(result="none"))
    if dmarc_result is not None:
        results.append(
            authres.dmarc.DMARCAuthenticationResult(
                result=dmarc_result.result,
                header_from=_ascii(dmarc_result.header_from) or None,
                policy=dmarc_result.policy if dmarc_result.result in ("pass", "fail") else None,
            )
        )
    if arc is not None:
        results.append(authres.arc.ARCAuthenticationResult(result=arc.result))
    results += extra or []
    value = str(FEATURES.header(authserv_id=authserv_id, results=results))
    return value.replace("; ", ";\r\n\t").encode("utf-8", "replace") + b"\r\n"


def authserv_id_of(value: bytes) -> str:
    m = _AUTHSERV.match(value)
    return m.group(1).decode("ascii", "replace").lower() if m else ""


def strip_ours(message: bytes, authserv_id: str) -> bytes:
    """`message` without the top-level Authentication-Results fields naming `authserv_id`."""
    ours = authserv_id.lower()
    return headers.remove_fields(message, lambda n, v: n == _FIELD_NAME and authserv_id_of(v) == ours)
