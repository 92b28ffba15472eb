"""kubemail_tls_certificate_expiry_timestamp_seconds follows the certificate ReloadingTLS serves."""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

from cryptography import x509
from prometheus_client import REGISTRY

from services.common.tls import ReloadingTLS, generate_self_signed


def _sample(name: str, labels: dict[str, str] | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels or {})


def _not_after(cert: str) -> float:
    return x509.load_pem_x509_certificate(Path(cert).read_bytes()).not_valid_after_utc.timestamp()


def _bump_mtime(*paths: str) -> None:
    later = time.time() + 10
    for p in paths:
        os.utime(p, (later, later))


def test_gauge_tracks_loaded_and_renewed_certificate(tmp_path: Path) -> None:
    cert, key = generate_self_signed(tmp_path / "a", "localhost")
    tls = ReloadingTLS(cert, key, interval=0)
    first = _not_after(cert)
    assert _sample("kubemail_tls_certificate_expiry_timestamp_seconds") == first
    now = datetime.datetime.now(datetime.UTC).timestamp()
    assert now + 300 * 86400 < first < now + 400 * 86400

    # a renewed certificate with a different notAfter replaces the files
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    renewed = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=10))
        .sign(k, hashes.SHA256())
    )
    Path(key).write_bytes(
        k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    Path(cert).write_bytes(renewed.public_bytes(serialization.Encoding.PEM))
    _bump_mtime(cert, key)
    ok_before = _sample("kubemail_tls_certificate_reloads_total", {"result": "ok"}) or 0
    tls.context()
    assert _sample("kubemail_tls_certificate_expiry_timestamp_seconds") == _not_after(cert)
    assert _sample("kubemail_tls_certificate_expiry_timestamp_seconds") < first
    assert _sample("kubemail_tls_certificate_reloads_total", {"result": "ok"}) == ok_before + 1


def test_broken_renewal_counts_an_error_and_keeps_the_old_certificate(tmp_path: Path) -> None:
    cert, key = generate_self_signed(tmp_path / "b", "localhost")
    tls = ReloadingTLS(cert, key, interval=0)
    served = _sample("kubemail_tls_certificate_expiry_timestamp_seconds")
    errors = _sample("kubemail_tls_certificate_reloads_total", {"result": "error"}) or 0
    Path(cert).write_text("not a certificate\n")
    _bump_mtime(cert, key)
    ctx = tls.context()
    assert ctx is not None
    assert _sample("kubemail_tls_certificate_reloads_total", {"result": "error"}) == errors + 1
    assert _sample("kubemail_tls_certificate_expiry_timestamp_seconds") == served
