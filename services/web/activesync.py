"""`/Microsoft-Server-ActiveSync`: HTTP Basic against the directory (the same Authenticator and
limits as IMAP/POP3/SMTP), the device's record from DevicesService, the Provision gate (HTTP
449 until the device holds the final policy key), and one handler per command, found by the
command's name. Device state is written back with compare-and-set; a request that loses the race
is answered 503 with Retry-After (the device retries)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
from collections.abc import Awaitable, Callable

import grpc
from aiohttp import web

from services.common.auth import Authenticator, AuthLimits
from services.common.grpcclient import MetadataClient
from services.common.rpcerrors import reason_of
from services.common.sockets import norm_ip
from services.gen.kubemail.v1 import devices_pb2 as devices_pb
from services.gen.kubemail.v1 import directory_pb2 as directory_pb
from services.gen.kubemail.v1 import errors_pb2 as er
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.web.config import WebConfig
from services.web.eas import folders, protocol, provision
from services.web.eas.protocol import EasRequest, ProtocolError
from services.web.eas.state import DeviceState
from services.web.wbxml.codec import Element, WbxmlError, decode, encode

log = logging.getLogger("kubemail.web.activesync")

WBXML = "application/vnd.ms-sync.wbxml"
PATH = "/Microsoft-Server-ActiveSync"


@dataclasses.dataclass
class Call:
    eas: EasRequest
    user: directory_pb.User
    device: devices_pb.Device
    state: DeviceState
    body: Element | None


Command = Callable[["ActiveSync", Call], Awaitable[Element]]


class ActiveSync:
    def __init__(self, cfg: WebConfig, client: MetadataClient, limits: AuthLimits) -> None:
        self.cfg = cfg
        self.client = client
        self.auth = Authenticator(client, "activesync", limits)
        self.policy = provision.Policy(
            require_password=cfg.eas_require_password,
            min_password_length=cfg.eas_min_password_length,
            max_inactivity_seconds=cfg.eas_max_inactivity,
        )

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
        result = await self.auth.login(user, password.encode(), norm_ip(request.remote or ""), "basic")
        if result.ok and result.user is not None:
            return result.user
        if result.temporary:
            return web.Response(status=503, headers={"Retry-After": str(result.retry_after or 30)})
        return web.Response(status=401, headers=challenge)

    async def post(self, request: web.Request) -> web.StreamResponse:
        login = await self._login(request)
        if isinstance(login, web.Response):
            return login
        try:
            eas = protocol.parse(request.query, request.query_string, request.headers)
        except ProtocolError as exc:
            log.info("bad ActiveSync request from %s: %s", request.remote, exc)
            return web.Response(status=400, text=f"{exc}\n")
        handler = COMMANDS.get(eas.command)
        if handler is None:
            return web.Response(status=501, text=f"{eas.command[:40]} is not supported\n")
        raw = await request.content.read(self.cfg.max_body_bytes + 1)
        if len(raw) > self.cfg.max_body_bytes:
            return web.Response(status=413)
        try:
            body = decode(raw) if raw else None
        except WbxmlError as exc:
            log.info("malformed WBXML from %s (%s): %s", request.remote, eas.command, exc)
            return web.Response(status=400, text="malformed WBXML\n")
        try:
            return await self._run(handler, eas, login, body)
        except grpc.aio.AioRpcError as exc:
            log.warning("ActiveSync %s: metadata call failed: %s", eas.command, exc.code().name)
            return web.Response(status=503, headers={"Retry-After": "30"})

    async def _run(
        self, handler: Command, eas: EasRequest, user: directory_pb.User, body: Element | None
    ) -> web.Response:
        got = await self.client.devices.GetDevice(devices_pb.GetDeviceRequest(user_id=user.id, device_id=eas.device_id))
        device = got.device if got.found else devices_pb.Device(device_id=eas.device_id)
        state = DeviceState.loads(device.state)
        if eas.command != "Provision" and (not state.policy_key or eas.policy_key != state.policy_key):
            return web.Response(status=449, text="provision first\n")  # [MS-ASHTTP] 3.2.5.1.1
        call = Call(eas, user, device, state, body)
        answer = await handler(self, call)
        new = devices_pb.Device(
            device_id=eas.device_id,
            device_type=eas.device_type,
            user_agent=device.user_agent,
            state=state.dumps(),
            wipe_requested=device.wipe_requested,
        )
        try:
            await self.client.devices.PutDevice(
                devices_pb.PutDeviceRequest(user_id=user.id, device=new, expected_version=device.version)
            )
        except grpc.aio.AioRpcError as exc:
            if reason_of(exc) == er.ERROR_REASON_VERSION_CONFLICT:
                log.info("device %s of %s changed meanwhile; asking it to retry", eas.device_id, user.address)
                return web.Response(status=503, headers={"Retry-After": "1"})
            raise
        return web.Response(body=encode(answer), content_type=WBXML)

    # -- commands ----------------------------------------------------------------------
    async def provision(self, call: Call) -> Element:
        if call.body is None:
            return provision.handle(Element("Provision", "Provision"), call.state, self.policy, False)[0]
        answer, _wiped = provision.handle(call.body, call.state, self.policy, call.device.wipe_requested)
        return answer

    async def folder_sync(self, call: Call) -> Element:
        mailboxes: list[tuple[str, str, str]] = []
        token = ""
        while True:
            resp = await self.client.mailboxes.ListMailboxes(
                mailboxes_pb.ListMailboxesRequest(user_id=call.user.id, page_token=token)
            )
            mailboxes += [(m.id, m.name, m.special_use) for m in resp.mailboxes]
            token = resp.next_page_token
            if not token:
                break
        body = call.body or Element(folders.F, "FolderSync")
        return folders.handle(body, call.state, folders.hierarchy(mailboxes))


COMMANDS: dict[str, Command] = {
    "Provision": ActiveSync.provision,
    "FolderSync": ActiveSync.folder_sync,
}
