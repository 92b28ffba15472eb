"""IMAP admission: the shared rule (services.common.admission) on the IMAP greeting.

KUBEMAIL_CONN_PER_IP limits new connections per client IP within KUBEMAIL_CONN_WINDOW across
every pod; IMAP used to ignore it although the configuration table said otherwise.
"""

from __future__ import annotations

import socket
from typing import Any

from services.common import config
from services.common.auth import AuthLimits
from services.common.config import CommonConfig
from services.imap.config import ImapConfig
from services.imap.server import start
from tests.fixtures.servers import LoopThread


def _ephemeral(env: dict[str, str]) -> CommonConfig:
    return config.load(CommonConfig, {**env, "KUBEMAIL_EPHEMERAL_PORTS": "true"})


def _greeting(port: int) -> tuple[bytes, socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock.makefile("rb").readline(), sock


def test_imap_refuses_the_connection_over_conn_per_ip(metadata: Any) -> None:
    env = {**metadata.env, "KUBEMAIL_CONN_PER_IP": "3", "KUBEMAIL_CONN_WINDOW": "60", "KUBEMAIL_IMAP_TLS_PORT": "0"}
    lt = LoopThread()
    srv = lt.run(start(config.load(ImapConfig, env), _ephemeral(env), auth_limits=config.load(AuthLimits, env)))
    socks = []
    try:
        for _ in range(3):
            line, sock = _greeting(srv.port)
            socks.append(sock)
            assert line.startswith(b"* OK"), line
        line, sock = _greeting(srv.port)
        socks.append(sock)
        assert line.startswith(b"* BYE [UNAVAILABLE]"), line
        assert sock.recv(100) == b""  # and the server hangs up
    finally:
        for sock in socks:
            sock.close()
        lt.run(srv.stop(2.0))
        lt.close()


def test_imap_refuses_over_max_connections(metadata: Any) -> None:
    env = {**metadata.env, "KUBEMAIL_IMAP_MAX_CONNECTIONS": "2", "KUBEMAIL_IMAP_TLS_PORT": "0"}
    lt = LoopThread()
    srv = lt.run(start(config.load(ImapConfig, env), _ephemeral(env), auth_limits=AuthLimits()))
    socks = []
    try:
        for _ in range(2):
            line, sock = _greeting(srv.port)
            socks.append(sock)
            assert line.startswith(b"* OK"), line
        line, sock = _greeting(srv.port)
        socks.append(sock)
        assert line.startswith(b"* BYE"), line
    finally:
        for sock in socks:
            sock.close()
        lt.run(srv.stop(2.0))
        lt.close()
