"""DKIM (RFC 6376, every signature) and ARC (RFC 8617) verification with dkimpy.

dkimpy asks DNS through a synchronous callback; the keys are fetched first, all at once, on
the pod's async resolver (services.common.resolver), and the callback only reads them, so no
verification blocks the event loop on the network and one resolver serves everything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import dkim
from dkim.util import parse_tag_value

from services.common import mime
from services.common.resolver import DnsTempError, Lookup

log = logging.getLogger("kubemail.smtp.trust")
_SIGNED = ("dkim-signature", "arc-message-signature", "arc-seal")
MAX_SIGNATURES = 10  # more DKIM signatures than this are not looked at (no amplification)
IN_THREAD_BYTES = 256 * 1024


@dataclasses.dataclass(frozen=True)
class Signature:
    result: str  # pass, fail, neutral, temperror, permerror
    domain: str  # d=
    selector: str  # s=
    identity: str = ""  # i=
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class Arc:
    result: str  # none, pass, fail
    reason: str = ""


def _key_name(selector: bytes, domain: bytes) -> str:
    return (selector + b"._domainkey." + domain).decode("ascii", "replace").lower().rstrip(".")


def key_names(message: bytes) -> list[str]:
    """The DNS names of every key the DKIM and ARC signatures of `message` name."""
    out: list[str] = []
    dkim_seen = 0
    for name, value in mime.header_fields(message):
        if name not in _SIGNED:
            continue
        if name == "dkim-signature":
            dkim_seen += 1
            if dkim_seen > MAX_SIGNATURES:
                continue
        try:
            tags = parse_tag_value(value)
        except Exception:  # dkimpy's parser raises its own and stdlib errors on bad input
            continue
        if b"s" in tags and b"d" in tags:
            key = _key_name(tags[b"s"], tags[b"d"])
            if key not in out:
                out.append(key)
    return out


class Keys:
    """Prefetched TXT records of key names; the dkimpy `dnsfunc` reads from here."""

    def __init__(self) -> None:
        self.records: dict[str, bytes | None] = {}
        self.failed: set[str] = set()

    async def fetch(self, dns: Lookup, names: list[str]) -> None:
        async def one(name: str) -> None:
            try:
                txt = await dns.txt(name)
            except DnsTempError:
                self.failed.add(name)
                return
            self.records[name] = txt[0].encode() if txt else None

        await asyncio.gather(*(one(n) for n in names))

    def dnsfunc(self, name: bytes, timeout: float = 5) -> bytes | None:
        return self.records.get(name.decode("ascii", "replace").lower().rstrip("."))


def _verify_all(message: bytes, keys: Keys) -> tuple[list[Signature], Arc]:
    sigs: list[Signature] = []
    count = sum(1 for name, _ in mime.header_fields(message) if name == "dkim-signature")
    for idx in range(min(count, MAX_SIGNATURES)):
        sigs.append(_verify_one(message, idx, keys))
    return sigs, _verify_arc(message, keys)


def _verify_one(message: bytes, idx: int, keys: Keys) -> Signature:
    d = dkim.DKIM(message, logger=log)
    try:
        ok = d.verify(idx=idx, dnsfunc=keys.dnsfunc)
    except Exception as exc:  # dkimpy raises DKIMException, and stdlib errors on some malformed input
        fields = getattr(d, "signature_fields", None) or {}
        domain, selector = _text(fields.get(b"d")), _text(fields.get(b"s"))
        if _key_name(fields.get(b"s") or b"", fields.get(b"d") or b"") in keys.failed:
            return Signature("temperror", domain, selector, reason="key lookup failed")
        if isinstance(exc, dkim.ValidationError):  # e.g. body hash mismatch: the signature fails
            return Signature("fail", domain, selector, _text(fields.get(b"i")), str(exc)[:60])
        reason = str(exc)[:100] if isinstance(exc, dkim.DKIMException) else f"malformed: {type(exc).__name__}"
        return Signature("permerror", domain, selector, reason=reason)
    domain, selector = _text(d.domain), _text(d.selector)
    identity = _text(d.signature_fields.get(b"i")) if d.signature_fields else ""
    if ok:
        return Signature("pass", domain, selector, identity)
    if _key_name(d.selector or b"", d.domain or b"") in keys.failed:
        return Signature("temperror", domain, selector, identity, "key lookup failed")
    return Signature("fail", domain, selector, identity, "signature did not verify")


def _verify_arc(message: bytes, keys: Keys) -> Arc:
    a = dkim.ARC(message, logger=log)
    try:
        cv, _results, reason = a.verify(dnsfunc=keys.dnsfunc)
    except dkim.DKIMException as exc:
        return Arc("fail", str(exc)[:100])
    except Exception as exc:  # dkimpy's ARC code raises stdlib errors on some malformed sets
        return Arc("fail", f"malformed ARC set: {type(exc).__name__}")
    if cv == dkim.CV_Pass:
        return Arc("pass")
    if cv == dkim.CV_None:
        return Arc("none")
    return Arc("fail", str(reason)[:100])


def _text(value: bytes | None) -> str:
    return value.decode("ascii", "replace").lower() if value else ""


async def verify(dns: Lookup, message: bytes) -> tuple[list[Signature], Arc]:
    """Every DKIM signature's result (top first) and the ARC chain's."""
    keys = Keys()
    await keys.fetch(dns, key_names(message))
    if len(message) > IN_THREAD_BYTES:
        return await asyncio.to_thread(_verify_all, message, keys)
    return _verify_all(message, keys)
