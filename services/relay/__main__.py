"""`python -m services.relay`: outbound delivery (the consumer of the metadata outbound queue).

Exits 0 after a graceful stop on SIGTERM/SIGINT (deliveries in flight get 30 s; the leases of
the rest expire and another pod takes them); 2 when the environment is malformed.
"""

from __future__ import annotations

from services.common import config, process
from services.common.config import CommonConfig
from services.relay.config import RelayConfig
from services.relay.server import RelayServer, start


async def start_service(common: CommonConfig) -> RelayServer:
    return await start(config.load(RelayConfig), common)


if __name__ == "__main__":
    process.main("relay", start_service)
