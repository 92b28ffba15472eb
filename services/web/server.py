"""The web front-end's HTTP server (aiohttp, decision 0014): autoconfiguration endpoints.

Routes (GET unless noted):
  /mail/config-v1.1.xml?emailaddress=a@b           Mozilla autoconfig (also under
  /.well-known/autoconfig/mail/config-v1.1.xml)    /.well-known/autoconfig/)
  POST /autodiscover/autodiscover.xml              Autodiscover POX (also /Autodiscover/Autodiscover.xml)
  /autodiscover/autodiscover.json/v1.0/<address>?Protocol=ActiveSync|AutodiscoverV1
  /apple/mobileconfig?emailaddress=a@b             Apple configuration profile
  /.well-known/mta-sts.txt                         MTA-STS policy (served for mta-sts.<domain>)
Bad input gets a 4xx and one log line; nothing here reads the directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from services.common.auth import AuthLimits
from services.common.blobstore import BlobStore, make_blobstore
from services.common.config import CommonConfig, parse_networks
from services.common.grpcclient import MetadataClient
from services.common.sockets import bind_socket
from services.web import autoconfig, metrics
from services.web.activesync import ActiveSync
from services.web.autoconfig import Published, RequestError
from services.web.clientip import Networks, client_ip
from services.web.config import WebConfig

log = logging.getLogger("kubemail.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _endpoint(path: str) -> str:
    p = path.lower()
    if p.endswith("config-v1.1.xml"):
        return "autoconfig"
    if p == "/autodiscover/autodiscover.xml":
        return "autodiscover_xml"
    if p == "/microsoft-server-activesync":
        return "activesync"
    if p.startswith("/autodiscover/autodiscover.json"):
        return "autodiscover_json"
    if p == "/apple/mobileconfig":
        return "mobileconfig"
    if p == "/.well-known/mta-sts.txt":
        return "mta_sts"
    return "other"


@web.middleware
async def _observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    endpoint = _endpoint(request.path)
    start = time.perf_counter()
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        metrics.REQUESTS.labels(endpoint, f"{exc.status // 100}xx").inc()
        raise
    except Exception:
        log.exception("request %s %s failed", request.method, request.path[:100])
        metrics.REQUESTS.labels(endpoint, "5xx").inc()
        raise web.HTTPInternalServerError(text="internal error\n") from None
    finally:
        metrics.DURATION.labels(endpoint).observe(time.perf_counter() - start)
    metrics.REQUESTS.labels(endpoint, f"{resp.status // 100}xx").inc()
    return resp


def _bad(request: web.Request, exc: Exception, status: int = 400) -> web.Response:
    log.info("bad request %s %s: %s", request.method, request.path[:100], exc)
    return web.Response(status=status, text=f"{exc}\n")


class Routes:
    def __init__(self, published: Published, max_body: int) -> None:
        self.p = published
        self.max_body = max_body

    async def mozilla(self, request: web.Request) -> web.Response:
        raw = request.query.get("emailaddress", "")
        try:
            domain = autoconfig.check_address(raw).rpartition("@")[2] if raw else request.host.partition(":")[0]
        except RequestError as exc:
            return _bad(request, exc)
        domain = domain.removeprefix("autoconfig.")
        return web.Response(body=autoconfig.mozilla(self.p, domain), content_type="application/xml", charset="utf-8")

    async def pox(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self.max_body:
            return _bad(request, ValueError("request body too large"), 413)
        try:
            body = await request.content.read(self.max_body + 1)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            return _bad(request, exc)
        if len(body) > self.max_body:
            return _bad(request, ValueError("request body too large"), 413)
        return web.Response(body=autoconfig.pox(self.p, body), content_type="text/xml", charset="utf-8")

    async def pox_get(self, request: web.Request) -> web.Response:
        # Outlook probes with GET first; Exchange answers an error document, not 404/405
        return web.Response(body=autoconfig.pox_error(600, "Invalid Request"), content_type="text/xml", charset="utf-8")

    async def json(self, request: web.Request) -> web.Response:
        try:
            autoconfig.check_address(request.match_info.get("address", ""))
            answer = autoconfig.json_answer(self.p, request.query.get("Protocol", ""))
        except RequestError as exc:
            log.info("autodiscover.json: %s", exc)
            body = {"ErrorCode": "InvalidProtocol", "ErrorMessage": str(exc)}
            return web.Response(status=400, text=json.dumps(body), content_type="application/json")
        return web.Response(text=json.dumps(answer), content_type="application/json")

    async def mobileconfig(self, request: web.Request) -> web.Response:
        try:
            address = autoconfig.check_address(request.query.get("emailaddress", ""))
        except RequestError as exc:
            return _bad(request, exc)
        return web.Response(
            body=autoconfig.mobileconfig(self.p, address),
            content_type="application/x-apple-aspen-config",
            headers={"Content-Disposition": 'attachment; filename="mail.mobileconfig"'},
        )

    async def mta_sts(self, request: web.Request) -> web.Response:
        return web.Response(body=autoconfig.mta_sts_policy(self.p), content_type="text/plain", charset="utf-8")


def _client_address(trusted: Networks) -> Middleware:
    """request["client_ip"]: the peer, or behind a trusted proxy the client it names (clientip)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        request["client_ip"] = client_ip(request.remote or "", request.headers.getall("X-Forwarded-For", []), trusted)
        return await handler(request)

    return middleware


def build_app(cfg: WebConfig, common: CommonConfig, eas: ActiveSync | None = None) -> web.Application:
    r = Routes(Published.of(cfg, common.hostname), cfg.max_body_bytes)
    middlewares = [_client_address(parse_networks(common.proxy_networks)), _observe]
    app = web.Application(middlewares=middlewares, client_max_size=cfg.max_body_bytes)
    app.router.add_get("/mail/config-v1.1.xml", r.mozilla)
    app.router.add_get("/.well-known/autoconfig/mail/config-v1.1.xml", r.mozilla)
    for path in ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"):
        app.router.add_post(path, r.pox)
        app.router.add_get(path, r.pox_get)
    app.router.add_get("/autodiscover/autodiscover.json/v1.0/{address}", r.json)
    app.router.add_get("/apple/mobileconfig", r.mobileconfig)
    app.router.add_get("/.well-known/mta-sts.txt", r.mta_sts)
    if eas is not None:
        eas.routes(app)
    return app


class WebServer:
    def __init__(
        self,
        runner: web.AppRunner,
        port: int | None,
        client: MetadataClient | None,
        eas: ActiveSync | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.runner = runner
        self.port = port
        self.stopping = False
        self._own_client = client
        self._eas = eas
        self._own_blobs = blobs

    def bound_ports(self) -> dict[str, int]:
        return {"http": self.port} if self.port is not None else {}

    def ready(self) -> bool:
        return not self.stopping

    async def stop(self, grace: float = 10.0) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self._eas is not None:
            self._eas.stop_waits()
        await self.runner.shutdown()
        await self.runner.cleanup()
        if self._eas is not None:
            await self._eas.close()
        if self._own_blobs is not None:
            with contextlib.suppress(Exception):
                await self._own_blobs.close()
        if self._own_client is not None:
            await self._own_client.close()


async def start(
    cfg: WebConfig,
    common: CommonConfig,
    *,
    client: MetadataClient | None = None,
    blobs: BlobStore | None = None,
    auth_limits: AuthLimits | None = None,
) -> WebServer:
    rpc = client if client is not None else MetadataClient(common.metadata_addr, common.grpc_timeout)
    own = rpc if client is None else None
    store = blobs if blobs is not None else make_blobstore(common, cache=True)
    eas = ActiveSync(cfg, rpc, auth_limits or AuthLimits(), store, common.commit_attempts)
    runner = web.AppRunner(build_app(cfg, common, eas), access_log=None, handle_signals=False)
    await runner.setup()
    port = common.port(cfg.port)
    bound: int | None = None
    if port is not None:
        sock = bind_socket(cfg.host, port, 256)
        site = web.SockSite(runner, sock, shutdown_timeout=5.0)
        await site.start()
        bound = int(sock.getsockname()[1])
    log.info("web listening on %s", bound)
    return WebServer(runner, bound, own, eas, store if blobs is None else None)
