"""`python -m services.pop3`: the POP3 front-end (plain with STLS, and implicit TLS)."""

from __future__ import annotations

import asyncio
import logging
import signal

from services.common import config, httpserver, logs
from services.common.config import CommonConfig
from services.pop3.config import Pop3Config
from services.pop3.server import start

log = logging.getLogger("services.pop3")


async def main() -> None:
    common = config.load(CommonConfig)
    cfg = config.load(Pop3Config)
    logs.setup(common.log_level, common.log_format)
    if common.tls_cert:
        from services.common.metrics import observe_certificate

        observe_certificate(common.tls_cert)
    server = await start(cfg, common)
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
    await server.stop(grace=10.0)
    if http is not None:
        http.stop()


if __name__ == "__main__":
    asyncio.run(main())
