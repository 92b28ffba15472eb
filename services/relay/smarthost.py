"""Smarthost settings: all outbound mail through one relay host, optionally another one per
sender domain (KUBEMAIL_RELAY_SMARTHOST_ROUTES_FILE, a JSON object)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from services.common.config import ConfigError
from services.relay.config import RelayConfig
from services.relay.transfer import TlsMode

_MODES = {"starttls": TlsMode.VERIFIED, "implicit": TlsMode.IMPLICIT, "none": TlsMode.NONE}


@dataclasses.dataclass(frozen=True)
class Smarthost:
    host: str
    port: int
    tls: TlsMode
    username: str = ""
    password: str = ""


def _read_secret(path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"smarthost password file {path}: {exc.strerror}") from None


def parse_hostport(value: str, default_port: int = 587) -> tuple[str, int]:
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.lstrip(":")
    else:
        host, sep, port = value.rpartition(":")
        if not sep or ":" in host:
            host, port = value, ""
    if not host:
        raise ConfigError(f"smarthost {value!r}: no host")
    if port and not port.isdigit():
        raise ConfigError(f"smarthost {value!r}: bad port")
    return host, int(port) if port else default_port


def _one(spec: dict[str, Any], where: str) -> Smarthost:
    tls = str(spec.get("tls", "starttls"))
    if tls not in _MODES:
        raise ConfigError(f"{where}: tls must be one of {', '.join(_MODES)}")
    host, port = parse_hostport(str(spec.get("host", "")), 465 if tls == "implicit" else 587)
    if "port" in spec:
        port = int(spec["port"])
    return Smarthost(
        host, port, _MODES[tls], str(spec.get("username", "")), _read_secret(str(spec.get("password_file", "")))
    )


def load(cfg: RelayConfig) -> tuple[Smarthost | None, dict[str, Smarthost]]:
    """(the default smarthost or None, per sender domain routes)."""
    default = None
    if cfg.smarthost:
        default = _one(
            {
                "host": cfg.smarthost,
                "tls": cfg.smarthost_tls,
                "username": cfg.smarthost_username,
                "password_file": cfg.smarthost_password_file,
            },
            "KUBEMAIL_RELAY_SMARTHOST",
        )
    routes: dict[str, Smarthost] = {}
    if cfg.smarthost_routes_file:
        try:
            raw = json.loads(Path(cfg.smarthost_routes_file).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"KUBEMAIL_RELAY_SMARTHOST_ROUTES_FILE: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError("KUBEMAIL_RELAY_SMARTHOST_ROUTES_FILE: expected a JSON object")
        for domain, spec in raw.items():
            if not isinstance(spec, dict):
                raise ConfigError(f"smarthost route {domain}: expected an object")
            routes[domain.lower()] = _one(spec, f"smarthost route {domain}")
    return default, routes


def choose(default: Smarthost | None, routes: dict[str, Smarthost], sender_domain: str) -> Smarthost | None:
    return routes.get(sender_domain) or routes.get("*") or default
