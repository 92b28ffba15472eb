"""ActiveSync fixtures: two web servers ("pods") on one real metadata service, and a client that
speaks our own WBXML codec over real HTTP."""

from __future__ import annotations

import base64
import dataclasses
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from services.common import config
from services.common.blobstore import make_blobstore
from services.common.config import CommonConfig
from services.common.grpcclient import MetadataClient
from services.common.mailstore import MailStore, new_key
from services.gen.kubemail.v1 import mailboxes_pb2 as mailboxes_pb
from services.web.config import WebConfig
from services.web.server import WebServer, start
from services.web.wbxml.codec import Element, decode, el, encode
from tests.fixtures.seed import seed_domain, seed_user
from tests.fixtures.servers import LoopThread

USER, PASSWORD = "alice@example.test", "s3cret-pw"
P, F = "Provision", "FolderHierarchy"


@dataclasses.dataclass
class Eas:
    ports: list[int]
    loop: LoopThread
    client: MetadataClient
    user_id: str
    mail: MailStore
    servers: list[WebServer]

    def deliver(self, raw: bytes, mailbox: str = "INBOX", flags: tuple[str, ...] = ()) -> int:
        """Stores `raw` in `mailbox` through the mail store (as SMTP or IMAP APPEND would); its UID."""

        async def go() -> int:
            resp = await self.mail.append(self.user_id, mailbox, raw, new_key("test"), flags)
            return int(resp.uid)

        return int(self.loop.run(go()))

    def mailbox_id(self, name: str) -> str:
        async def go() -> str:
            got = await self.client.mailboxes.GetMailbox(
                mailboxes_pb.GetMailboxRequest(user_id=self.user_id, name=name)
            )
            return str(got.mailbox.id)

        return str(self.loop.run(go()))

    def wbxml(self, cmd: str, body: Element | bytes | None, key: int, server: int = 0, **kw: Any) -> Element:
        status, _, data = self.request(cmd, body, key=key, server=server, **kw)
        assert status == 200, (status, data[:200])
        return decode(data)

    def request(
        self,
        cmd: str,
        body: Element | bytes | None,
        key: int = 0,
        password: str = PASSWORD,
        server: int = 0,
        method: str = "POST",
        device: str = "DEV0001",
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        data = encode(body) if isinstance(body, Element) else body
        url = f"http://127.0.0.1:{self.ports[server]}/Microsoft-Server-ActiveSync"
        if method == "POST":
            url += f"?Cmd={cmd}&User={USER}&DeviceId={device}&DeviceType=SmartPhone"
        auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {auth}", "MS-ASProtocolVersion": "16.1", "X-MS-PolicyKey": str(key)}
        if data is not None:
            headers["Content-Type"] = "application/vnd.ms-sync.wbxml"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def provision(self, server: int = 0, device: str = "DEV0001") -> int:
        policy = el(P, "Policies", el(P, "Policy", el(P, "PolicyType", "MS-EAS-Provisioning-WBXML")))
        status, _, body = self.request("Provision", el(P, "Provision", policy), server=server, device=device)
        assert status == 200
        temp = decode(body).find(P, "Policies").find(P, "Policy")  # type: ignore[union-attr]
        assert temp.find(P, "Data").find(P, "EASProvisionDoc") is not None  # type: ignore[union-attr]
        temp_key = int(temp.find(P, "PolicyKey").value())  # type: ignore[union-attr]
        ack = el(P, "Policies", el(P, "Policy", el(P, "PolicyType", "MS-EAS-Provisioning-WBXML"),
                                   el(P, "PolicyKey", temp_key), el(P, "Status", 1)))  # fmt: skip
        status, _, body = self.request("Provision", el(P, "Provision", ack), key=temp_key, server=server, device=device)
        final = decode(body).find(P, "Policies").find(P, "Policy")  # type: ignore[union-attr]
        assert final.find(P, "Status").value() == "1"  # type: ignore[union-attr]
        key = int(final.find(P, "PolicyKey").value())  # type: ignore[union-attr]
        assert key != temp_key
        return key


@pytest.fixture
def eas(metadata: Any) -> Iterator[Eas]:
    env = {
        **metadata.env,
        "KUBEMAIL_HOSTNAME": "mail.example.test",
        "KUBEMAIL_WEB_HOST": "127.0.0.1",
        "KUBEMAIL_WEB_EAS_PING_MIN_HEARTBEAT_SECONDS": "1",
        "KUBEMAIL_WEB_EAS_PING_MAX_HEARTBEAT_SECONDS": "30",
        "KUBEMAIL_WEB_EAS_PING_RECHECK_SECONDS": "60",
        "KUBEMAIL_WEB_EAS_MSG_RATE_LIMIT": "3",  # tests/web/test_eas_sync.py sends 3, then one too many
    }
    lt = LoopThread()
    common = dataclasses.replace(config.load(CommonConfig, env), ephemeral_ports=True)

    blobs = make_blobstore(common)

    async def up() -> tuple[MetadataClient, list[WebServer], str]:
        client = MetadataClient(env["KUBEMAIL_METADATA_ADDR"], 10)
        await seed_domain(client, "example.test")
        user = await seed_user(client, USER, PASSWORD)
        await seed_user(client, "bob@example.test", PASSWORD)
        servers = [await start(config.load(WebConfig, env), common) for _ in range(2)]  # two "pods"
        return client, servers, user.id

    client, servers, uid = lt.run(up())
    yield Eas([s.port for s in servers if s.port], lt, client, uid, MailStore(client, blobs), servers)

    async def down() -> None:
        for s in servers:
            await s.stop()
        await blobs.close()
        await client.close()

    lt.run(down())
    lt.close()
