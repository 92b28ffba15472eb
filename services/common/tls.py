"""TLS server contexts that pick up renewed certificates without a restart."""

from __future__ import annotations

import datetime
import os
import ssl
import time
from pathlib import Path

from cryptography import x509
from prometheus_client import Counter, Gauge

# Registered by the processes that serve TLS (smtp, imap, pop3), the ones that import this module.
TLS_CERT_EXPIRY = Gauge(
    "kubemail_tls_certificate_expiry_timestamp_seconds",
    "notAfter of the TLS certificate currently served (unix seconds); 0 when TLS is off",
)
TLS_CERT_RELOADS = Counter(
    "kubemail_tls_certificate_reloads_total",
    "Loads of the TLS certificate files (start and every change), by result",
    ["result"],
)

for _result in ("ok", "error"):
    TLS_CERT_RELOADS.labels(_result)


def certificate_not_after(cert_path: str) -> float:
    """notAfter (unix seconds) of the first certificate in a PEM file."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    not_after: datetime.datetime = cert.not_valid_after_utc
    return not_after.timestamp()


def observe_certificate(cert_path: str) -> None:
    """Sets kubemail_tls_certificate_expiry_timestamp_seconds from a loaded certificate file."""
    try:
        TLS_CERT_EXPIRY.set(certificate_not_after(cert_path))
        TLS_CERT_RELOADS.labels("ok").inc()
    except (OSError, ValueError):
        TLS_CERT_RELOADS.labels("error").inc()


class ReloadingTLS:
    """Holds a server SSLContext; `context()` reloads the files when their mtime changed.

    Checked at most every `interval` seconds, so it is cheap to call per connection.
    """

    def __init__(self, cert: str, key: str, interval: float = 5.0) -> None:
        self.cert = cert
        self.key = key
        self.interval = interval
        self._stamp: tuple[float, float] = (0.0, 0.0)
        self._checked = 0.0
        self._ctx = self._build()

    def _mtimes(self) -> tuple[float, float]:
        return (os.stat(self.cert).st_mtime, os.stat(self.key).st_mtime)

    def _build(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert, self.key)
        self._stamp = self._mtimes()
        observe_certificate(self.cert)  # kubemail_tls_certificate_expiry_timestamp_seconds
        return ctx

    def context(self) -> ssl.SSLContext:
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            try:
                if self._mtimes() != self._stamp:
                    self._ctx = self._build()
            except (OSError, ssl.SSLError):
                TLS_CERT_RELOADS.labels("error").inc()  # keep serving with the last good certificate
        return self._ctx


def server_tls(cert: str, key: str) -> ReloadingTLS | None:
    """None when no certificate is configured (TLS listeners and STARTTLS are then off)."""
    if not cert or not key:
        return None
    return ReloadingTLS(cert, key)


def generate_self_signed(directory: str | os.PathLike[str], hostname: str = "localhost") -> tuple[str, str]:
    """Writes a self-signed certificate and key (for `make run` and tests); returns paths."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = d / "tls.crt", d / "tls.key"
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(key_path, 0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)
