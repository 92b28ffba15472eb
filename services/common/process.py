"""The process skeleton every `python -m services.<name>` runs.

`main(name, start)` loads the common configuration, sets up logging, starts the service, serves
`/metrics`, `/healthz` and `/readyz`, reports the ports it bound (log line, and the
`KUBEMAIL_PORTS_FILE` when set), waits for SIGTERM/SIGINT and stops the service gracefully.
Configuration errors and unbindable ports end the process through `services.common.entry`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from services.common import config, entry, httpserver, logs
from services.common.config import CommonConfig


class Service(Protocol):
    """What a started service offers the process skeleton."""

    def bound_ports(self) -> dict[str, int]: ...

    def ready(self) -> bool: ...

    async def stop(self) -> None: ...


Starter = Callable[[CommonConfig], Awaitable[Service]]


def write_ports(path: str, ports: dict[str, int]) -> None:
    """Writes `ports` as JSON atomically (a reader never sees a partial file)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(ports, sort_keys=True))
    tmp.replace(target)


async def serve(name: str, start: Starter) -> None:
    common = config.load(CommonConfig)
    logs.setup(common.log_level, common.log_format)
    log = logging.getLogger(f"kubemail.{name}")
    service = await start(common)
    metrics_port = common.port(common.metrics_port)
    http = httpserver.start(common.metrics_host, metrics_port, service.ready) if metrics_port is not None else None
    ports = dict(service.bound_ports())
    if http is not None:
        ports["metrics"] = http.port
    log.info("%s ready: %s", name, ", ".join(f"{k}={v}" for k, v in sorted(ports.items())))
    if common.ports_file:
        write_ports(common.ports_file, ports)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("%s shutting down", name)
    await service.stop()
    if http is not None:
        http.stop()
    log.info("%s stopped", name)


def main(name: str, start: Starter) -> None:
    """The body of every service's `__main__`."""
    entry.run(lambda: serve(name, start), name)
