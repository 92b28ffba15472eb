"""Rewrites the generated table in docs/configuration.md (`make docs`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "operator")]

from services.common import config  # noqa: E402

BEGIN = "<!-- BEGIN CONFIG TABLE (generated: python -m services.common.config) -->"
END = "<!-- END CONFIG TABLE -->"


def main() -> None:
    config._import_all()
    path = ROOT / "docs" / "configuration.md"
    doc = path.read_text()
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{config.markdown_table()}{END}{tail}")


if __name__ == "__main__":
    main()
