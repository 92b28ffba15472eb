"""X-Forwarded-For is believed from trusted proxies only (services.web.clientip)."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from aiohttp import web

from services.common import config
from services.common.config import CommonConfig, parse_networks
from services.web.clientip import client_ip
from services.web.config import WebConfig
from services.web.server import build_app

TRUSTED = parse_networks(("10.0.0.0/8", "fc00::/7"))


@pytest.mark.parametrize(
    ("peer", "xff", "want"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # untrusted peer: its header is ignored
        ("10.1.2.3", ["198.51.100.1"], "198.51.100.1"),  # the Ingress controller names the client
        ("10.1.2.3", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # a client's own forged entry is left of it
        ("10.1.2.3", ["198.51.100.1, 10.9.9.9"], "198.51.100.1"),  # two trusted hops
        ("10.1.2.3", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # the header repeated
        ("10.1.2.3", [], "10.1.2.3"),  # no header: the proxy itself
        ("10.1.2.3", ["garbage, 198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.1, garbage"], "10.1.2.3"),  # garbage next to us: believe nobody
        ("::ffff:10.1.2.3", ["2001:db8::1"], "2001:db8::1"),  # dual-stack peer, IPv6 client
        ("fd00::1", ["[2001:db8::2]"], "2001:db8::2"),
        ("10.1.2.3", ["10.4.4.4"], "10.4.4.4"),  # only trusted addresses: the leftmost
    ],
)
def test_client_ip(peer: str, xff: list[str], want: str) -> None:
    assert client_ip(peer, xff, TRUSTED) == want


def test_no_trusted_networks_means_the_peer() -> None:
    assert client_ip("10.1.2.3", ["198.51.100.1"], ()) == "10.1.2.3"


async def test_the_app_sees_the_forwarded_client_only_from_a_trusted_proxy() -> None:
    common = dataclasses.replace(config.load(CommonConfig, {}), proxy_networks=("127.0.0.0/8",))
    app = build_app(config.load(WebConfig, {}), common)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=str(request["client_ip"]))

    app.router.add_get("/_client_ip", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/_client_ip"
            async with http.get(url, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}) as resp:
                assert await resp.text() == "198.51.100.7"
        untrusted = dataclasses.replace(common, proxy_networks=("10.0.0.0/8",))
        assert client_ip("127.0.0.1", ["198.51.100.7"], parse_networks(untrusted.proxy_networks)) == "127.0.0.1"
    finally:
        await runner.cleanup()
