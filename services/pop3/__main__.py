"""`python -m services.pop3`: the POP3 front-end (plain with STLS, and implicit TLS).

Exits 0 after a graceful drain on SIGTERM/SIGINT; with a one-line message on stderr and
a non-zero status when the environment is malformed (2) or a port cannot be bound (1).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from services.common import config, entry, httpserver, logs
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.pop3.config import Pop3Config
from services.pop3.server import start

log = logging.getLogger("services.pop3")

SHUTDOWN_GRACE = 10.0  # seconds open sessions get to finish after SIGTERM


async def main(common: CommonConfig, cfg: Pop3Config, limits: AuthLimits) -> None:
    server = await start(cfg, common, limits=limits)
    ready = True
    http = httpserver.start(common.metrics_host, common.metrics_port, lambda: ready) if common.metrics_port else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("pop3 ready on port %s, tls port %s", server.port, server.tls_port)
    await stop.wait()
    ready = False
    log.info("pop3 shutting down")
    await server.stop(grace=SHUTDOWN_GRACE)
    if http is not None:
        http.stop()
    log.info("pop3 stopped")


async def _main() -> None:
    common = config.load(CommonConfig)
    cfg = config.load(Pop3Config)
    limits = config.load(AuthLimits)
    logs.setup(common.log_level, common.log_format)
    await main(common, cfg, limits)


if __name__ == "__main__":
    entry.run(_main, "pop3")
