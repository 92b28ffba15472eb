"""Process entry points: `run(main)` for every `python -m services.<name>`.

A malformed environment variable ends the process with one line on stderr and exit code 2
(not a traceback); Ctrl-C before the service installed its own signal handlers exits quietly.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from services.common.config import ConfigError

EXIT_CONFIG = 2


def run(main: Callable[[], Coroutine[Any, Any, object]], name: str) -> None:
    try:
        asyncio.run(main())
    except ConfigError as exc:
        print(f"kubemail-{name}: invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except KeyboardInterrupt:
        pass
