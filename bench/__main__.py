"""`make bench`: runs every benchmark script in bench/ (each has a main()) one after another.

Benchmarks report numbers and ratios; they never assert timings. `python -m bench NAME...`
runs only the named ones (e.g. `python -m bench metadata_status`).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    chosen = [n for n in names if not argv or n in argv]
    failed = 0
    for name in chosen:
        mod = importlib.import_module(f"bench.{name}")
        entry = getattr(mod, "main", None)
        if entry is None or (not argv and getattr(mod, "PART_OF", "")):
            continue  # a part of another benchmark runs with it (and on its own when named)
        print(f"== bench {name}", flush=True)
        start = time.perf_counter()
        try:
            entry()
        except Exception as exc:  # report and go on with the others
            failed += 1
            print(f"   failed: {exc!r}", flush=True)
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
