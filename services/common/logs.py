"""Logging setup shared by every service: plain text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
import time

from services.common.config import ConfigError


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup(level: str = "INFO", fmt: str = "text") -> None:
    """Raises ConfigError for an unknown level or format (KUBEMAIL_LOG_LEVEL / _FORMAT)."""
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"KUBEMAIL_LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING or ERROR")
    if fmt not in ("text", "json"):
        raise ConfigError(f"KUBEMAIL_LOG_FORMAT={fmt!r}: use text or json")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
