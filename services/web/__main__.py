"""`python -m services.web`: the HTTP front-end (client autoconfiguration and Exchange ActiveSync).

Exits 0 after a graceful stop on SIGTERM/SIGINT; 2 when the environment is malformed, 1 when
its port cannot be bound.
"""

from __future__ import annotations

from services.common import config, process
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.web.config import WebConfig
from services.web.server import WebServer, start


async def start_service(common: CommonConfig) -> WebServer:
    return await start(config.load(WebConfig), common, auth_limits=config.load(AuthLimits))


if __name__ == "__main__":
    process.main("web", start_service)
