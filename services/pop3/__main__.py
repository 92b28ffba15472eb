"""`python -m services.pop3`: the POP3 front-end (plain with STLS, and implicit TLS).

Exits 0 after a graceful drain on SIGTERM/SIGINT (open sessions get 10 s to finish); with a
one-line message on stderr and a non-zero status when the environment is malformed (2) or a
port cannot be bound (1).
"""

from __future__ import annotations

from services.common import config, process
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.pop3.config import Pop3Config
from services.pop3.server import Pop3Server, start


async def start_service(common: CommonConfig) -> Pop3Server:
    return await start(config.load(Pop3Config), common, auth_limits=config.load(AuthLimits))


if __name__ == "__main__":
    process.main("pop3", start_service)
