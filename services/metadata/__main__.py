"""`python -m services.metadata`: the metadata gRPC service with metrics/health HTTP."""

from __future__ import annotations

from services.common import config, process
from services.common.config import CommonConfig
from services.metadata.config import MetadataConfig
from services.metadata.server import MetadataServer, start


async def start_service(common: CommonConfig) -> MetadataServer:
    return await start(config.load(MetadataConfig), common)


if __name__ == "__main__":
    process.main("metadata", start_service)
