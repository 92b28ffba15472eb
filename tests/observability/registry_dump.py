"""Prints every Prometheus metric the kubemail code registers, as JSON.

    python -m tests.observability.registry_dump [--markdown]

Imports every module of services/<svc>/ and operator/kubemail_operator/ (not __main__) in
this fresh process, then reads prometheus_client's default registry: name (counters with
`_total`), type, label names, help, and the package that defines it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "services.common",
    "services.metadata",
    "services.smtp",
    "services.imap",
    "services.pop3",
    "services.relay",
    "services.web",
    "kubemail_operator",
]


def import_all() -> dict[str, str]:
    """Imports every module; returns module -> error for those that fail."""
    for p in (str(ROOT), str(ROOT / "operator")):
        if p not in sys.path:
            sys.path.insert(0, p)
    errors: dict[str, str] = {}
    for pkg_name in PACKAGES:
        try:
            pkg = importlib.import_module(pkg_name)
        except Exception as exc:
            errors[pkg_name] = repr(exc)
            continue
        for mod in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
            if mod.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(mod.name)
            except Exception as exc:
                errors[mod.name] = repr(exc)
    return errors


def collect() -> dict[str, dict[str, Any]]:
    from prometheus_client import REGISTRY

    out: dict[str, dict[str, Any]] = {}
    for collector in list(REGISTRY._collector_to_names):
        name = getattr(collector, "_name", None)
        mtype = getattr(collector, "_type", None)
        if name is None or mtype is None:
            continue  # process/platform/gc collectors: documented as runtime metrics
        if mtype == "counter":
            name += "_total"
        module = type(collector).__module__
        out[name] = {
            "type": mtype,
            "labels": sorted(getattr(collector, "_labelnames", ())),
            "help": getattr(collector, "_documentation", ""),
            "defined_in": _definer(name),
            "module": module,
        }
    return out


def _definer(name: str) -> str:
    """The module whose source defines the metric name (for docs)."""
    base = name.removesuffix("_total")
    for path in sorted(list((ROOT / "services").rglob("*.py")) + list((ROOT / "operator").rglob("*.py"))):
        if "gen" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(errors="replace")
        if f'"{name}"' in text or f'"{base}"' in text:
            return str(path.relative_to(ROOT))
    return "?"


def main() -> int:
    errors = import_all()
    metrics = collect()
    if "--markdown" in sys.argv:
        for name, m in sorted(metrics.items()):
            labels = ", ".join(f"`{lbl}`" for lbl in m["labels"]) or "—"
            print(f"| `{name}` | {m['type']} | {labels} | {m['help']} ({m['defined_in']}) |")
        return 0
    json.dump({"metrics": metrics, "import_errors": errors}, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
