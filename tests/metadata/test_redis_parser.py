"""The metadata service's Redis clients parse replies with hiredis (requirements.lock): redis-py
picks it up by itself when it is installed, and falls back, silently, to its pure-Python parser
(10-15% more CPU per IMAP command in bench/imap_mixed.py) when it is not."""

from __future__ import annotations

import asyncio

from redis._parsers import _AsyncHiredisParser

from services.common import config
from services.metadata.config import MetadataConfig
from services.metadata.store import make_redis
from tests.fixtures.servers import RedisServer


def test_store_connections_parse_with_hiredis(redis_server: RedisServer) -> None:
    async def check() -> None:
        r = make_redis(config.load(MetadataConfig, {"KUBEMAIL_REDIS_URL": redis_server.url}))
        try:
            assert await r.ping()
            conn = await r.connection_pool.get_connection()
            try:
                assert isinstance(conn._parser, _AsyncHiredisParser), type(conn._parser)
            finally:
                await r.connection_pool.release(conn)
        finally:
            await r.aclose()

    asyncio.run(check())
