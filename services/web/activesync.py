"""`/Microsoft-Server-ActiveSync`: HTTP Basic against the directory (the same Authenticator and
limits as IMAP/POP3/SMTP), the device's record from DevicesService, the Provision gate (HTTP
449 until the device holds the final policy key), and one handler per command, found by the
command's name. Device state is written back with compare-and-set; a request that loses the race
is answered 503 with Retry-After (the device retries)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web

from services.common.auth import Authenticator, AuthLimits
from services.common.blobstore import BlobError, BlobStore
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore, MailStoreError
from services.common.rpcerrors import reason_of
from services.common.sockets import norm_ip
from services.common.watch import WatchHub
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.web import metrics
from services.web.config import WebConfig
from services.web.eas import (
    compose,
    find,
    folderops,
    folders,
    gal,
    items,
    ping,
    protocol,
    provision,
    search,
    settings,
    sync,
)
from services.web.eas.protocol import EasRequest, ProtocolError
from services.web.eas.state import DeviceState
from services.web.eas.store import Store
from services.web.wbxml.codec import Element, WbxmlError, decode, encode

log = logging.getLogger("kubemail.web.activesync")

WBXML = "application/vnd.ms-sync.wbxml"
PATH = "/Microsoft-Server-ActiveSync"


def _peer(request: web.Request) -> str:
    """The client's address (behind a trusted proxy: the one it forwarded for; services.web.clientip)."""
    return str(request.get("client_ip") or norm_ip(request.remote or ""))


@dataclasses.dataclass
class Call:
    eas: EasRequest
    user: directory_pb.User
    device: devices_pb.Device
    state: DeviceState
    body: Element | None
    saved: bytes = b""  # the state as stored (what a write at the end compares against)
    dirty: bool = False  # the device's record (not its state) changed: write it back


Command = Callable[["ActiveSync", Call], Awaitable[Element | None]]
LARGE = ("SendMail", "SmartReply", "SmartForward")


class ConflictError(Exception):
    """The device's record changed meanwhile (another request of the same device)."""


class ActiveSync:
    def __init__(
        self, cfg: WebConfig, client: MetadataClient, limits: AuthLimits, blobs: BlobStore, commit_attempts: int = 7
    ) -> None:
        self.cfg = cfg
        self.client = client
        self.auth = Authenticator(client, "activesync", limits)
        self.policy = provision.Policy(
            require_password=cfg.eas_require_password,
            min_password_length=cfg.eas_min_password_length,
            max_inactivity_seconds=cfg.eas_max_inactivity,
        )
        self.store = Store(client, MailStore(client, blobs, commit_attempts=commit_attempts))
        self.hub = WatchHub(client)
        bounds = ping.Bounds(cfg.eas_ping_min_heartbeat, cfg.eas_ping_max_heartbeat, cfg.eas_ping_recheck)
        self.bounds = bounds
        self.pinger = ping.Pinger(self.store, self.hub, bounds)
        self.composer = compose.Composer(self.store, cfg.eas_msg_rate_limit, cfg.eas_msg_rate_window)
        self.directory = gal.Directory(client, cfg.eas_gal_scan_limit)
        self.searcher = search.Searcher(self.store, self.directory, cfg.eas_search_max_results)
        self.finder = find.Finder(self.searcher)

    def stop_waits(self) -> None:
        """Shutdown begins: waiting Pings answer now instead of being cut."""
        self.pinger.stop()

    async def close(self) -> None:
        await self.hub.close()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("OPTIONS", PATH, self.options)
        app.router.add_post(PATH, self.post)

    async def options(self, request: web.Request) -> web.Response:
        return web.Response(status=200, headers=protocol.options_headers())

    async def _login(self, request: web.Request) -> directory_pb.User | web.Response:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Basic realm="kubemail"'}
        if scheme.lower() != "basic":
            return web.Response(status=401, headers=challenge)
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="malformed Authorization header\n")
        if not sep:
            return web.Response(status=401, headers=challenge)
        user = user.rpartition("\\")[2]  # DOMAIN\user as some devices send it
        result = await self.auth.login(user, password.encode(), _peer(request), "basic")
        if result.ok and result.user is not None:
            return result.user
        if result.temporary:
            return web.Response(status=503, headers={"Retry-After": str(result.retry_after or 30)})
        return web.Response(status=401, headers=challenge)

    async def post(self, request: web.Request) -> web.StreamResponse:
        resp = await self._post(request)
        command = request.query.get("Cmd", "")
        label = command if command in protocol.COMMANDS else "other"
        metrics.EAS_COMMANDS.labels(label, f"{resp.status // 100}xx").inc()
        return resp

    async def _post(self, request: web.Request) -> web.StreamResponse:
        login = await self._login(request)
        if isinstance(login, web.Response):
            return login
        try:
            eas = protocol.parse(request.query, request.query_string, request.headers)
        except ProtocolError as exc:
            log.info("bad ActiveSync request from %s: %s", _peer(request), exc)
            return web.Response(status=400, text=f"{exc}\n")
        handler = COMMANDS.get(eas.command)
        if handler is None:
            return web.Response(status=501, text=f"{eas.command[:40]} is not supported\n")
        limit = self.cfg.eas_max_message_bytes if eas.command in LARGE else self.cfg.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            return web.Response(status=413)
        try:
            raw = await request.content.read(limit + 1)
        except (asyncio.IncompleteReadError, ConnectionError):
            return web.Response(status=400, text="request body cut short\n")
        if len(raw) > limit:
            return web.Response(status=413)
        try:
            body = decode(raw) if raw else None
        except WbxmlError as exc:
            log.info("malformed WBXML from %s (%s): %s", _peer(request), eas.command, exc)
            return web.Response(status=400, text="malformed WBXML\n")
        try:
            return await self._run(handler, eas, login, body)
        except ConflictError:
            log.info("device %s of %s changed meanwhile; asking it to retry", eas.device_id, login.address)
            return web.Response(status=503, headers={"Retry-After": "1"})
        except grpc.aio.AioRpcError as exc:
            log.warning("ActiveSync %s: metadata call failed: %s", eas.command, exc.code().name)
            return web.Response(status=503, headers={"Retry-After": "30"})
        except (MailStoreError, BlobError, OSError) as exc:
            log.warning("ActiveSync %s: mail store failed: %s", eas.command, exc)
            return web.Response(status=503, headers={"Retry-After": "30"})

    async def _run(
        self, handler: Command, eas: EasRequest, user: directory_pb.User, body: Element | None
    ) -> web.Response:
        got = await self.client.devices.GetDevice(devices_pb.GetDeviceRequest(user_id=user.id, device_id=eas.device_id))
        device = got.device if got.found else devices_pb.Device(device_id=eas.device_id)
        state = DeviceState.loads(device.state)
        call = Call(eas, user, device, state, body, device.state if got.found else b"")
        wipe = eas.device_id in user.wipe_devices  # set by an administrator only (MailUser spec.remoteWipe)
        if wipe != device.wipe_requested:
            device.wipe_requested, call.dirty = wipe, True
        if wipe and eas.command != "Provision":
            await self.save(call)
            log.info("device %s of %s: remote wipe requested, answering %s with Status 140", eas.device_id,
                     user.address, eas.command)  # fmt: skip
            metrics.EAS_REMOTE_WIPES.labels("requested").inc()
            return web.Response(body=encode(provision.wipe_status(eas.command)), content_type=WBXML)
        if eas.command != "Provision" and (not state.policy_key or eas.policy_key != state.policy_key):
            return web.Response(status=449, text="provision first\n")  # [MS-ASHTTP] 3.2.5.1.1
        answer = await handler(self, call)
        await self.save(call)
        if answer is None:
            return web.Response(status=200)
        return web.Response(body=encode(answer), content_type=WBXML)

    async def save(self, call: Call) -> None:
        """Writes the device's state back when it changed (compare-and-set on its version)."""
        data = call.state.dumps()
        if data == call.saved and call.device.device_type == call.eas.device_type and not call.dirty:
            return
        new = devices_pb.Device(
            device_id=call.eas.device_id,
            device_type=call.eas.device_type,
            user_agent=call.device.user_agent,
            state=data,
            wipe_requested=call.device.wipe_requested,
            info=call.device.info,
            wipe_acknowledged=call.device.wipe_acknowledged,
        )
        try:
            resp = await self.client.devices.PutDevice(
                devices_pb.PutDeviceRequest(user_id=call.user.id, device=new, expected_version=call.device.version)
            )
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) == er.ERROR_REASON_VERSION_CONFLICT:
                raise ConflictError() from None
            raise
        call.device = resp.device if resp.HasField("device") else new
        call.saved, call.dirty = data, False

    # -- commands ----------------------------------------------------------------------
    async def provision(self, call: Call) -> Element:
        body = call.body if call.body is not None else Element("Provision", "Provision")
        answer, wiped = provision.handle(body, call.state, self.policy, call.device.wipe_requested)
        info = body.find(settings.ST, "DeviceInformation")
        if info is not None:
            self._device_info(call, settings.device_info(info))
        if wiped and call.device.wipe_requested:
            call.device.wipe_acknowledged, call.dirty = int(time.time()), True
            log.warning("device %s of %s acknowledged the remote wipe", call.eas.device_id, call.user.address)
            metrics.EAS_REMOTE_WIPES.labels("acknowledged").inc()
        elif call.device.wipe_requested:
            metrics.EAS_REMOTE_WIPES.labels("requested").inc()
        return answer

    @staticmethod
    def _device_info(call: Call, info: devices_pb.DeviceInfo) -> None:
        if info != call.device.info:
            call.device.info.CopyFrom(info)
            call.dirty = True

    async def settings(self, call: Call) -> Element:
        answer, info = await settings.handle(self.client, call.user, call.eas.version, call.body)
        if info is not None:
            self._device_info(call, info)
        return answer

    async def search(self, call: Call) -> Element:
        return await self.searcher.handle(call.user, call.body)

    async def find(self, call: Call) -> Element:
        return await self.finder.handle(call.user, call.body)

    async def resolve_recipients(self, call: Call) -> Element:
        return await gal.resolve(self.directory, call.user, call.body, self.cfg.eas_search_max_results)

    async def folder_sync(self, call: Call) -> Element:
        boxes = await self.store.mailboxes(call.user.id)
        body = call.body or Element(folders.F, "FolderSync")
        return folders.handle(body, call.state, folders.hierarchy((m.id, m.name, m.special_use) for m in boxes))

    async def sync(self, call: Call) -> Element | None:
        with metrics.SYNC_DURATION.time():
            return await sync.Syncer(self.store, call.user.id, call.state, self.pinger).run(call.body)

    async def ping(self, call: Call) -> Element:
        parsed = ping.parse(call.body, call.state, self.bounds)
        if isinstance(parsed, Element):
            return parsed
        heartbeat, folder_ids = parsed
        call.state.ping_heartbeat, call.state.ping_folders = heartbeat, folder_ids
        await self.save(call)  # before the wait: the next empty Ping finds these folders
        with metrics.PING_SESSIONS.track_inprogress():
            return await self.pinger.wait(call.user.id, call.state, heartbeat, folder_ids)

    async def get_item_estimate(self, call: Call) -> Element:
        return await items.estimate(self.store, call.user.id, call.state, call.body)

    async def item_operations(self, call: Call) -> Element:
        return await items.operations(self.store, call.user.id, call.body)

    async def move_items(self, call: Call) -> Element:
        return await items.move(self.store, call.user.id, call.body)

    async def send_mail(self, call: Call) -> Element | None:
        return await self.composer.send(call.eas.command, call.user, call.body)

    async def folder_create(self, call: Call) -> Element:
        return await folderops.create(self.store, call.user.id, call.state, call.body)

    async def folder_update(self, call: Call) -> Element:
        return await folderops.update(self.store, call.user.id, call.state, call.body)

    async def folder_delete(self, call: Call) -> Element:
        return await folderops.delete(self.store, call.user.id, call.state, call.body)


COMMANDS: dict[str, Command] = {
    "Provision": ActiveSync.provision,
    "FolderSync": ActiveSync.folder_sync,
    "FolderCreate": ActiveSync.folder_create,
    "FolderUpdate": ActiveSync.folder_update,
    "FolderDelete": ActiveSync.folder_delete,
    "Sync": ActiveSync.sync,
    "Ping": ActiveSync.ping,
    "GetItemEstimate": ActiveSync.get_item_estimate,
    "ItemOperations": ActiveSync.item_operations,
    "MoveItems": ActiveSync.move_items,
    "SendMail": ActiveSync.send_mail,
    "SmartReply": ActiveSync.send_mail,
    "SmartForward": ActiveSync.send_mail,
    "Search": ActiveSync.search,
    "Settings": ActiveSync.settings,
    "ResolveRecipients": ActiveSync.resolve_recipients,
    "Find": ActiveSync.find,
}
