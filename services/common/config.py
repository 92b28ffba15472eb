"""Configuration from environment variables (12-factor).

Each service declares its settings as a dataclass whose fields use :func:`setting`.
`python -m services.common.config` prints the Markdown table of every setting, which is
the table in docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_ENV = "env"
_DOC = "doc"


def setting(env: str, default: Any, doc: str) -> Any:
    """A dataclass field read from the environment variable `env`."""
    if isinstance(default, list | tuple):
        value = tuple(default)
        return dataclasses.field(default=value, metadata={_ENV: env, _DOC: doc})
    return dataclasses.field(default=default, metadata={_ENV: env, _DOC: doc})


class ConfigError(ValueError):
    """An environment variable holds a value of the wrong form."""


def _convert(raw: str, default: Any, env: str) -> Any:
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw.strip())
        if isinstance(default, float):
            return float(raw.strip())
        if isinstance(default, tuple):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        return raw
    except ValueError as exc:
        raise ConfigError(f"{env}={raw!r}: {exc}") from None


def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """Builds `cls` from the environment; unset variables keep their defaults."""
    env = os.environ if environ is None else environ
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = f.metadata.get(_ENV)
        if name and name in env:
            kwargs[f.name] = _convert(env[name], f.default, name)
    return cls(**kwargs)


def parse_networks(values: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parses a list of CIDRs (e.g. KUBEMAIL_TRUSTED_NETWORKS)."""
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in values)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def ip_in(ip: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr in n for n in networks)


#: Every front-end listener by name (metrics labels, KUBEMAIL_PROXY_LISTENERS).
LISTENERS = ("mx", "submission", "submissions", "imap", "imaps", "pop3", "pop3s")


@dataclasses.dataclass(frozen=True)
class CommonConfig:
    """Settings every service reads."""

    log_level: str = setting("KUBEMAIL_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR.")
    log_format: str = setting("KUBEMAIL_LOG_FORMAT", "text", "`text` or `json` (one object per line).")
    metrics_port: int = setting(
        "KUBEMAIL_METRICS_PORT", 9100, "HTTP port serving `/metrics`, `/healthz` and `/readyz`; 0 = off."
    )
    metrics_host: str = setting(
        "KUBEMAIL_METRICS_HOST",
        "::",
        "Address the metrics/health HTTP server binds; `::` = every IPv6 and IPv4 address (dual stack).",
    )
    metadata_addr: str = setting(
        "KUBEMAIL_METADATA_ADDR",
        "127.0.0.1:50051",
        "Metadata gRPC target: host:port, or dns:///<headless-service>:50051 to spread calls over pods.",
    )
    grpc_timeout: float = setting("KUBEMAIL_GRPC_TIMEOUT", 10.0, "Deadline in seconds of one metadata gRPC call.")
    commit_attempts: int = setting(
        "KUBEMAIL_COMMIT_ATTEMPTS",
        7,
        "Attempts of one message commit (Deliver, Append, Copy, Move, Outbound.Queue) when the metadata "
        "call times out or is unavailable; every attempt reuses the transaction's idempotency key. The "
        "backoff doubles from 0.1 s: 7 attempts wait 6.3 s in all, longer than a metadata pod restart, so a "
        "commit cut off by a crash is found again instead of answered 4xx and resent as a new message.",
    )
    parse_in_thread_bytes: int = setting(
        "KUBEMAIL_PARSE_IN_THREAD_BYTES",
        256 * 1024,
        "Messages larger than this are parsed at ingest (SMTP DATA/BDAT, IMAP APPEND) in a worker "
        "thread instead of on the event loop.",
    )
    blob_backend: str = setting("KUBEMAIL_BLOB_BACKEND", "fs", "`s3` (MinIO or any S3 API) or `fs` (local directory).")
    blob_dir: str = setting("KUBEMAIL_BLOB_DIR", "./var/blobs", "Directory of the `fs` blob backend.")
    s3_endpoint: str = setting("KUBEMAIL_S3_ENDPOINT", "127.0.0.1:9000", "host:port of the S3 endpoint (MinIO).")
    s3_access_key: str = setting("KUBEMAIL_S3_ACCESS_KEY", "", "S3 access key.")
    s3_secret_key: str = setting("KUBEMAIL_S3_SECRET_KEY", "", "S3 secret key.")
    s3_bucket: str = setting("KUBEMAIL_S3_BUCKET", "kubemail", "Bucket holding message blobs (created if missing).")
    s3_secure: bool = setting("KUBEMAIL_S3_SECURE", False, "Use HTTPS to the S3 endpoint.")
    s3_region: str = setting("KUBEMAIL_S3_REGION", "us-east-1", "S3 region name.")
    blob_cache_bytes: int = setting(
        "KUBEMAIL_BLOB_CACHE_BYTES", 64 * 1024 * 1024, "Bounded in-pod cache of blob bytes (front-ends)."
    )
    tls_cert: str = setting(
        "KUBEMAIL_TLS_CERT", "", "PEM certificate chain for TLS listeners; reloaded when it changes."
    )
    tls_key: str = setting("KUBEMAIL_TLS_KEY", "", "PEM private key for TLS listeners.")
    trusted_networks: tuple[str, ...] = setting(
        "KUBEMAIL_TRUSTED_NETWORKS",
        ["127.0.0.0/8", "::1/128"],
        "CIDRs where plaintext LOGIN/PASS/AUTH is allowed without TLS.",
    )
    proxy_networks: tuple[str, ...] = setting(
        "KUBEMAIL_PROXY_NETWORKS",
        [],
        "CIDRs allowed to send a PROXY protocol v1/v2 header (load balancers); peers there on a listener "
        "named in KUBEMAIL_PROXY_LISTENERS must send one. The web front-end believes X-Forwarded-For from "
        "these peers only (the rightmost address outside them is the client).",
    )
    proxy_listeners: tuple[str, ...] = setting(
        "KUBEMAIL_PROXY_LISTENERS",
        ["*"],
        "Listeners that expect the PROXY header from KUBEMAIL_PROXY_NETWORKS: `*` (every listener) or names "
        "among " + ", ".join(LISTENERS) + "; the others take connections from there as they come.",
    )
    hostname: str = setting(
        "KUBEMAIL_HOSTNAME", "localhost", "Host name the servers announce in greetings and Received:."
    )
    srs_secret_file: str = setting(
        "KUBEMAIL_SRS_SECRET_FILE",
        "",
        "File holding the SRS secret (a mounted Secret): the relay rewrites the sender of forwarded mail "
        "(forwardTo) with it, the MX turns bounces to those addresses back; empty = no SRS.",
    )
    srs_domain: str = setting(
        "KUBEMAIL_SRS_DOMAIN", "", "Domain of SRS-rewritten senders; empty = KUBEMAIL_HOSTNAME. Its MX must be ours."
    )
    rspamd_url: str = setting(
        "KUBEMAIL_RSPAMD_URL",
        "",
        "Base URL of Rspamd's normal worker (`http://host:11333`): the SMTP pods scan every message with "
        "/checkv2 before the reply to DATA; empty = no spam scanner.",
    )
    rspamd_controller_url: str = setting(
        "KUBEMAIL_RSPAMD_CONTROLLER_URL",
        "",
        "Base URL of Rspamd's controller (`http://host:11334`): the IMAP pods train it (/learnspam, "
        "/learnham) when a message is moved into or out of Junk; empty = no learning.",
    )
    rspamd_password_file: str = setting(
        "KUBEMAIL_RSPAMD_PASSWORD_FILE",
        "",
        "File holding the controller password (sent as the Password header); empty = none (trusted IP).",
    )
    rspamd_timeout: float = setting(
        "KUBEMAIL_RSPAMD_TIMEOUT",
        10.0,
        "Seconds one Rspamd request may take in all; then the scan counts as failed (see "
        "KUBEMAIL_SMTP_RSPAMD_FAIL_OPEN) or the learning is dropped.",
    )
    ephemeral_ports: bool = setting(
        "KUBEMAIL_EPHEMERAL_PORTS",
        False,
        "Bind every enabled listener (and the metrics port) to a free port chosen by the kernel instead "
        "of its configured one; for tests and local launchers, with KUBEMAIL_PORTS_FILE.",
    )
    ports_file: str = setting(
        "KUBEMAIL_PORTS_FILE",
        "",
        "When set, the process writes the ports it bound (JSON object, name to port) to this file once "
        "it listens; launchers read it instead of guessing ports.",
    )

    def __post_init__(self) -> None:
        unknown = set(self.proxy_listeners) - {"*", *LISTENERS}
        if unknown:
            raise ConfigError(f"KUBEMAIL_PROXY_LISTENERS: unknown listener {sorted(unknown)[0]!r}")

    def proxy_networks_of(self, listener: str) -> tuple[str, ...]:
        """KUBEMAIL_PROXY_NETWORKS when `listener` expects PROXY headers, else ()."""
        if "*" in self.proxy_listeners or listener in self.proxy_listeners:
            return self.proxy_networks
        return ()

    def port(self, configured: int) -> int | None:
        """The port to bind for a configured listener port: None = off (0), 0 = ephemeral."""
        if configured == 0:
            return None
        return 0 if self.ephemeral_ports else configured


ALL_CONFIGS: list[type] = [CommonConfig]


def register(cls: type[T]) -> type[T]:
    """Class decorator: adds a service's config dataclass to the documented table."""
    if cls not in ALL_CONFIGS:
        ALL_CONFIGS.append(cls)
    return cls


def markdown_table(classes: list[type] | None = None) -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for cls in classes or ALL_CONFIGS:
        for f in dataclasses.fields(cls):
            env = f.metadata.get(_ENV)
            if not env:
                continue
            default = f.default
            if isinstance(default, tuple):
                default = ",".join(default)
            shown = f"`{default}`" if default not in ("", None) else "(empty)"
            rows.append(f"| `{env}` | {shown} | {f.metadata.get(_DOC, '')} |")
    return "\n".join(rows) + "\n"


def _import_all() -> None:
    """Imports every service's config module so that each registers itself."""
    import importlib

    for mod in (
        "services.common.auth",
        "services.metadata.config",
        "services.smtp.config",
        "services.imap.config",
        "services.pop3.config",
        "services.relay.config",
        "services.web.config",
        "kubemail_operator.config",
    ):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError:
            continue


if __name__ == "__main__":
    # Run as a script this file is `__main__`, a second copy of the module: the services
    # register into the importable `services.common.config`, so print from that one.
    from services.common import config as _config

    _config._import_all()
    print(_config.markdown_table(), end="")
