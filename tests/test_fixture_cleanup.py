"""Test fixtures leave nothing behind in /tmp: the Unix socket directory of a redis-server
(tests.fixtures.servers.RedisServer, scripts.suite.Suite) goes with its object."""

from __future__ import annotations

import gc
from pathlib import Path

from scripts.suite import Suite
from tests.fixtures.servers import RedisServer


def test_redis_socket_directory_removed_with_the_server(tmp_path: Path) -> None:
    srv = RedisServer(tmp_path / "r")
    srv.start()
    srv.client().ping()
    srv.stop()
    srv.start()  # a restart reuses the socket's directory
    srv.client().ping()
    srv.stop()
    where = srv.socket.parent
    assert where.is_dir()
    del srv
    gc.collect()
    assert not where.exists()


def test_suite_socket_directory_removed_with_the_suite(tmp_path: Path) -> None:
    suite = Suite(tmp_path / "s", services=())
    where = suite.redis_socket.parent
    assert where.is_dir()
    del suite
    gc.collect()
    assert not where.exists()
