"""Process entry points: `run(main, name)` for every `python -m services.<name>`.

A malformed environment variable ends the process with one line on stderr and exit code 2,
a port that cannot be bound (or unreadable certificate files) with one line and exit code 1 —
never a traceback. Ctrl-C before the service installed its own signal handlers exits quietly.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from services.common.config import ConfigError

EXIT_CONFIG = 2
EXIT_START = 1


def run(main: Callable[[], Coroutine[Any, Any, object]], name: str) -> None:
    try:
        asyncio.run(main())
    except ConfigError as exc:
        print(f"kubemail {name}: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except OSError as exc:
        print(f"kubemail {name}: cannot start: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_START) from None
    except KeyboardInterrupt:
        pass
