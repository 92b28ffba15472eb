"""DKIM signing (RFC 6376) of outbound mail with dkimpy, relaxed/relaxed, dkimpy's choice of
headers (RFC 6376 5.4.1, with From and the other "frozen" headers over-signed).

Keys are files `<selector>._domainkey.<domain>.pem` in one directory: the operator's Secret
`kubemail-dkim-keys`, mounted into the relay (decision 0012). Every key of the From: domain signs,
so a new selector can be published and used next to the old one during a rotation. The directory
is read again when its modification time changes (kubelet swaps a mounted Secret atomically).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dkim

from services.common import mime

log = logging.getLogger("kubemail.relay.dkim")

SUFFIX = ".pem"
MARK = "._domainkey."


def parse_name(filename: str) -> tuple[str, str] | None:
    """(selector, domain) of a key file name, or None."""
    if not filename.endswith(SUFFIX) or MARK not in filename:
        return None
    selector, _, domain = filename[: -len(SUFFIX)].partition(MARK)
    if not selector or not domain:
        return None
    return selector, domain.lower()


def from_domain(message: bytes) -> str:
    """The domain of the (first) From: header address, lower case; "" when there is none."""
    value = next((v for name, v in mime.header_fields(message) if name == "from"), None)
    if value is None:
        return ""
    for _name, _adl, mailbox, host in mime.parse_addresses(value):
        if mailbox is not None and host is not None:
            return host.decode("utf-8", "replace").lower()
    return ""


class Signer:
    def __init__(self, keys_dir: str) -> None:
        self.dir = Path(keys_dir) if keys_dir else None
        self._mtime: float = -1.0
        self._keys: dict[str, list[tuple[bytes, bytes]]] = {}

    def _reload(self) -> None:
        if self.dir is None:
            return
        try:
            mtime = os.stat(self.dir).st_mtime
        except OSError:
            self._keys = {}
            return
        if mtime == self._mtime:
            return
        keys: dict[str, list[tuple[bytes, bytes]]] = {}
        for path in sorted(self.dir.iterdir()):
            parsed = parse_name(path.name)
            if parsed is None:
                continue
            try:
                keys.setdefault(parsed[1], []).append((parsed[0].encode(), path.read_bytes()))
            except OSError as exc:
                log.warning("cannot read DKIM key %s: %s", path.name, exc)
        self._keys, self._mtime = keys, mtime
        log.info("DKIM keys loaded for %d domains", len(keys))

    def domains(self) -> set[str]:
        self._reload()
        return set(self._keys)

    def sign(self, message: bytes, domain: str | None = None) -> bytes:
        """`message` with one DKIM-Signature per key of its From: domain prepended (unchanged if none)."""
        self._reload()
        domain = domain or from_domain(message)
        headers = b""
        for selector, pem in self._keys.get(domain, []):
            try:
                headers += dkim.sign(
                    message,
                    selector,
                    domain.encode(),
                    pem,
                    canonicalize=(b"relaxed", b"relaxed"),
                    linesep=b"\r\n",
                )
            except dkim.DKIMException as exc:
                log.warning("DKIM signing for %s (selector %s) failed: %s", domain, selector.decode(), exc)
        return headers + message

    def arc_seal(self, message: bytes, domain: str, authserv_id: str) -> bytes:
        """`message` with one ARC set (RFC 8617: ARC-Seal, ARC-Message-Signature,
        ARC-Authentication-Results from the `authserv_id` Authentication-Results) prepended, made
        with the first key of `domain`; unchanged without a key or such a header."""
        self._reload()
        keys = self._keys.get(domain.lower())
        if not keys:
            return message
        selector, pem = keys[0]
        try:
            arc = dkim.arc_sign(message, selector, domain.lower().encode(), pem, authserv_id.lower().encode())
        except Exception as exc:  # dkimpy raises DKIMException, and stdlib errors on malformed input
            log.warning("ARC sealing with %s (selector %s) failed: %s", domain, selector.decode(), exc)
            return message
        return b"".join(arc) + message
