"""`python -m services.metadata`: the metadata gRPC service with metrics/health HTTP."""

from __future__ import annotations

import asyncio
import logging
import signal

from services.common import config, entry, httpserver, logs
from services.common.config import CommonConfig
from services.metadata.config import MetadataConfig
from services.metadata.server import start

log = logging.getLogger("kubemail.metadata")


async def main() -> None:
    common = config.load(CommonConfig)
    cfg = config.load(MetadataConfig)
    logs.setup(common.log_level, common.log_format)
    srv = await start(cfg, common)
    http = (
        httpserver.start(common.metrics_host, common.metrics_port, lambda: srv.ready) if common.metrics_port else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await srv.stop(10)
    if http is not None:
        http.stop()


if __name__ == "__main__":
    entry.run(main, "metadata")
