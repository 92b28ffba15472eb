"""`python -m services.smtp`: the SMTP front-end from the environment."""

from __future__ import annotations

import asyncio
import logging
import signal

from services.common import config, entry, httpserver, logs
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.smtp.config import SmtpConfig
from services.smtp.server import start

log = logging.getLogger("kubemail.smtp")


async def main() -> None:
    common = config.load(CommonConfig)
    cfg = config.load(SmtpConfig)
    logs.setup(common.log_level, common.log_format)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = await start(cfg, common, auth_limits=config.load(AuthLimits))
    http = httpserver.start(common.metrics_host, common.metrics_port, server.ready) if common.metrics_port else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("kubemail smtp ready: %s", server.ports)
    await stop.wait()
    log.info("shutting down")
    await server.stop()
    if http is not None:
        http.stop()


if __name__ == "__main__":
    entry.run(main, "smtp")
