"""Copies the operator's CRDs (operator/crds/*.yaml) into the chart (charts/kubemail/crds/).

    python -m tests.chart.sync_crds          # copy
    python -m tests.chart.sync_crds --check  # exit 1 when a copy differs (test_crds_in_sync does this too)

Every CRD the chart ships comes from operator/crds/ (including kopf's peering CRDs).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "operator" / "crds"
TARGET = ROOT / "charts" / "kubemail" / "crds"


def pairs() -> list[tuple[Path, Path]]:
    return [(src, TARGET / src.name) for src in sorted(SOURCE.glob("*.yaml"))]


def stale() -> list[str]:
    return [src.name for src, dst in pairs() if not dst.is_file() or dst.read_bytes() != src.read_bytes()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report differences")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for name in bad:
            print(f"charts/kubemail/crds/{name} differs from operator/crds/{name}")
        return 1 if bad else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for src, dst in pairs():
        shutil.copyfile(src, dst)
        print(f"{src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
