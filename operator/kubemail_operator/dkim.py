"""DKIM keys: RSA-2048 generation, PEM round trip and the DNS TXT record value (RFC 6376)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048
PRIVATE_KEY = "private.pem"
PUBLIC_KEY = "public.pem"


class DkimKeyError(ValueError):
    """A Secret holds no usable RSA private key."""


def generate_private_pem(bits: int = KEY_BITS) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load(private_pem: bytes) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise DkimKeyError(f"not a PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimKeyError("the DKIM key is not an RSA key")
    if key.key_size < 1024:
        raise DkimKeyError("the DKIM key is shorter than 1024 bits")
    return key


def public_pem(private_pem: bytes) -> bytes:
    return (
        _load(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def txt_value(private_pem: bytes) -> str:
    """The TXT record value: "v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo DER>"."""
    der = (
        _load(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def record_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


KEY_FILE_MARK = "._domainkey."


def key_file_name(selector: str, domain: str) -> str:
    """The relay's file name of a signing key (services.relay.dkimsign reads the same form)."""
    return f"{selector}{KEY_FILE_MARK}{domain}.pem"


def key_file_domain(name: str) -> str | None:
    if not name.endswith(".pem") or KEY_FILE_MARK not in name:
        return None
    return name[: -len(".pem")].partition(KEY_FILE_MARK)[2] or None
