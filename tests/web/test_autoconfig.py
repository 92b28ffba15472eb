"""Client autoconfiguration over real HTTP: Thunderbird's autoconfig XML field by field,
Autodiscover POX (outlook and mobilesync schemas) and JSON, the Apple profile as a plist, the
MTA-STS policy as the relay itself parses it; bad input gets a 4xx or the protocol's error."""

from __future__ import annotations

import dataclasses
import json
import plistlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest

from services.common import config
from services.common.config import CommonConfig
from services.relay import mtasts
from services.web import autoconfig
from services.web.config import WebConfig
from services.web.server import WebServer, start
from tests.fixtures.servers import LoopThread

ENV = {
    "KUBEMAIL_HOSTNAME": "mail.example.test",
    "KUBEMAIL_WEB_HOST": "127.0.0.1",
    "KUBEMAIL_WEB_MTA_STS_MODE": "enforce",
    "KUBEMAIL_METRICS_PORT": "0",
}


@dataclasses.dataclass
class Web:
    server: WebServer

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        return self._do(urllib.request.Request(self.url(path), headers=headers or {}))

    def post(self, path: str, body: bytes) -> tuple[int, str, bytes]:
        req = urllib.request.Request(self.url(path), data=body, headers={"Content-Type": "text/xml"})
        return self._do(req)

    @staticmethod
    def _do(req: urllib.request.Request) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()


@pytest.fixture
def web() -> Iterator[Web]:
    lt = LoopThread()
    common = dataclasses.replace(config.load(CommonConfig, ENV), ephemeral_ports=True)
    server = lt.run(start(config.load(WebConfig, ENV), common))
    yield Web(server)
    lt.run(server.stop())
    lt.close()


def test_thunderbird_autoconfig_field_by_field(web: Web) -> None:
    for path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"):
        status, ctype, body = web.get(path + "?emailaddress=alice@Example.TEST")
        assert status == 200 and ctype.startswith("application/xml")
        root = ET.fromstring(body)
        assert root.tag == "clientConfig" and root.get("version") == "1.1"
        prov = root.find("emailProvider")
        assert prov is not None and prov.get("id") == "example.test" and prov.findtext("domain") == "example.test"
        servers = [
            (s.tag, s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType"),
             s.findtext("authentication"), s.findtext("username"))
            for s in prov if s.tag in ("incomingServer", "outgoingServer")
        ]  # fmt: skip
        host, cred, user = "mail.example.test", "password-cleartext", "%EMAILADDRESS%"
        assert servers == [
            ("incomingServer", "imap", host, "993", "SSL", cred, user),
            ("incomingServer", "imap", host, "143", "STARTTLS", cred, user),
            ("incomingServer", "pop3", host, "995", "SSL", cred, user),
            ("outgoingServer", "smtp", host, "465", "SSL", cred, user),
            ("outgoingServer", "smtp", host, "587", "STARTTLS", cred, user),
        ]
    # the domain from the Host header when no address is given (autoconfig.<domain>)
    _, _, body = web.get("/mail/config-v1.1.xml", headers={"Host": "autoconfig.other.test"})
    assert ET.fromstring(body).find("emailProvider").get("id") == "other.test"  # type: ignore[union-attr]


def _pox_request(ns_req: str, schema: str, address: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{ns_req}"><Request>'
        f"<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>{schema}</AcceptableResponseSchema>"
        "</Request></Autodiscover>"
    ).encode()


def test_autodiscover_pox_outlook_schema(web: Web) -> None:
    status, _, body = web.post(
        "/autodiscover/autodiscover.xml", _pox_request(autoconfig.NS_OUTLOOK_REQ, autoconfig.NS_OUTLOOK, "bob@x.test")
    )
    assert status == 200
    root = ET.fromstring(body)
    assert root.tag == f"{{{autoconfig.NS_RESPONSE}}}Autodiscover"
    o = f"{{{autoconfig.NS_OUTLOOK}}}"
    account = root.find(f"{o}Response/{o}Account")
    assert account is not None and account.findtext(f"{o}Action") == "settings"
    protos = {
        p.findtext(f"{o}Type"): (p.findtext(f"{o}Server"), p.findtext(f"{o}Port"), p.findtext(f"{o}SSL"),
                                 p.findtext(f"{o}LoginName"))
        for p in account.findall(f"{o}Protocol")
    }  # fmt: skip
    assert protos == {
        "IMAP": ("mail.example.test", "993", "on", "bob@x.test"),
        "POP3": ("mail.example.test", "995", "on", "bob@x.test"),
        "SMTP": ("mail.example.test", "465", "on", "bob@x.test"),
    }


def test_autodiscover_pox_mobilesync_schema_and_errors(web: Web) -> None:
    _, _, body = web.post(
        "/Autodiscover/Autodiscover.xml", _pox_request(autoconfig.NS_MOBILE_REQ, autoconfig.NS_MOBILE, "eve@y.test")
    )
    m = f"{{{autoconfig.NS_MOBILE}}}"
    server = ET.fromstring(body).find(f"{m}Response/{m}Action/{m}Settings/{m}Server")
    assert server is not None and server.findtext(f"{m}Type") == "MobileSync"
    assert server.findtext(f"{m}Url") == "https://mail.example.test/Microsoft-Server-ActiveSync"

    def error_code(payload: bytes) -> str | None:
        status, _, body = web.post("/autodiscover/autodiscover.xml", payload)
        assert status == 200
        return ET.fromstring(body).findtext(f"{{{autoconfig.NS_RESPONSE}}}Response/{{{autoconfig.NS_RESPONSE}}}Error/"
                                            f"{{{autoconfig.NS_RESPONSE}}}ErrorCode")  # fmt: skip

    assert error_code(b"<not xml") == "600"
    assert error_code(_pox_request(autoconfig.NS_OUTLOOK_REQ, "urn:other", "a@b.test")) == "601"
    assert error_code(_pox_request(autoconfig.NS_OUTLOOK_REQ, autoconfig.NS_OUTLOOK, "not-an-address")) == "600"
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert error_code(bomb) == "600"
    status, _, _ = web.post("/autodiscover/autodiscover.xml", b"x" * (65 * 1024))
    assert status == 413


def test_autodiscover_json(web: Web) -> None:
    status, ctype, body = web.get("/autodiscover/autodiscover.json/v1.0/carol@z.test?Protocol=ActiveSync")
    assert status == 200 and ctype.startswith("application/json")
    assert json.loads(body) == {
        "Protocol": "ActiveSync",
        "Url": "https://mail.example.test/Microsoft-Server-ActiveSync",
    }
    _, _, body = web.get("/autodiscover/autodiscover.json/v1.0/carol@z.test?Protocol=AutodiscoverV1")
    assert json.loads(body)["Url"] == "https://mail.example.test/autodiscover/autodiscover.xml"
    status, _, body = web.get("/autodiscover/autodiscover.json/v1.0/carol@z.test?Protocol=Rest")
    assert status == 400 and json.loads(body)["ErrorCode"] == "InvalidProtocol"


def test_apple_profile_is_a_valid_plist(web: Web) -> None:
    status, ctype, body = web.get("/apple/mobileconfig?emailaddress=dan@example.test")
    assert status == 200 and ctype == "application/x-apple-aspen-config"
    profile = plistlib.loads(body)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadVersion"] == 1
    (mail,) = profile["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == ("mail.example.test", 993)
    assert (mail["OutgoingMailServerPortNumber"], mail["OutgoingMailServerUseSSL"]) == (465, True)
    assert mail["EmailAddress"] == "dan@example.test"
    _, _, again = web.get("/apple/mobileconfig?emailaddress=dan@example.test")
    assert plistlib.loads(again)["PayloadUUID"] == profile["PayloadUUID"]  # reinstall replaces
    assert web.get("/apple/mobileconfig?emailaddress=<script>")[0] == 400


def test_unknown_and_known_addresses_get_the_same_shape(web: Web) -> None:
    a = web.get("/mail/config-v1.1.xml?emailaddress=someone@example.test")[2]
    b = web.get("/mail/config-v1.1.xml?emailaddress=nobody-at-all@example.test")[2]
    assert a == b


def test_mta_sts_policy_parses_as_the_relay_reads_it(web: Web) -> None:
    status, ctype, body = web.get("/.well-known/mta-sts.txt", headers={"Host": "mta-sts.example.test"})
    assert status == 200 and ctype.startswith("text/plain")
    policy = mtasts.parse_policy(body.decode())
    assert policy.enforce and policy.matches("mail.example.test") and policy.max_age == 604800
