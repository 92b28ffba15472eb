"""Client autoconfiguration documents, built with no I/O from the published settings.

Every address gets the same answer shape whether or not it exists (nothing is looked up, so
nothing can be enumerated): the documents only say where the servers are.

- Mozilla autoconfig 1.1 (Thunderbird, K-9/Thunderbird for Android, Evolution ...).
- Microsoft Autodiscover POX: the outlook 2006a response schema (IMAP, POP3, SMTP) and the
  mobilesync 2006 schema (the ActiveSync URL); errors 600 (invalid request) and 601 (schema
  not supported) as Exchange answers them.
- The Autodiscover JSON endpoint (`/autodiscover/autodiscover.json/v1.0/<address>?Protocol=`).
- An Apple configuration profile (com.apple.mail.managed payload).
- The MTA-STS policy (RFC 8461 3.2).
"""

from __future__ import annotations

import dataclasses
import plistlib
import re
import uuid
from xml.etree import ElementTree as ET

from services.web.config import WebConfig

ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
EAS_PATH = "/Microsoft-Server-ActiveSync"

NS_RESPONSE = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
NS_OUTLOOK_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
NS_OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
NS_MOBILE_REQ = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
NS_MOBILE = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"


class RequestError(ValueError):
    """The request cannot be answered (status and text for the client)."""


@dataclasses.dataclass(frozen=True)
class Published:
    host: str
    imaps: int
    imap: int
    pop3s: int
    pop3: int
    submissions: int
    submission: int
    base_url: str
    mta_sts_mode: str
    mta_sts_mx: tuple[str, ...]
    mta_sts_max_age: int

    @classmethod
    def of(cls, cfg: WebConfig, hostname: str) -> Published:
        host = cfg.mail_host or hostname
        return cls(
            host,
            cfg.imaps_port,
            cfg.imap_port,
            cfg.pop3s_port,
            cfg.pop3_port,
            cfg.submissions_port,
            cfg.submission_port,
            (cfg.public_url or f"https://{host}").rstrip("/"),
            cfg.mta_sts_mode,
            cfg.mta_sts_mx or (host,),
            cfg.mta_sts_max_age,
        )

    @property
    def eas_url(self) -> str:
        return self.base_url + EAS_PATH


def check_address(value: str) -> str:
    value = value.strip()
    if not ADDRESS.match(value):
        raise RequestError("not an e-mail address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _sub(parent: ET.Element, tag: str, text: str | int | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = str(text)
    return el


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


# -- Mozilla autoconfig -------------------------------------------------------------------------


def mozilla(p: Published, domain: str) -> bytes:
    root = ET.Element("clientConfig", version="1.1")
    prov = _sub(root, "emailProvider", id=domain)
    _sub(prov, "domain", domain)
    _sub(prov, "displayName", f"{domain} mail")
    _sub(prov, "displayShortName", domain)
    servers = [
        ("incomingServer", "imap", p.imaps, "SSL"),
        ("incomingServer", "imap", p.imap, "STARTTLS"),
        ("incomingServer", "pop3", p.pop3s, "SSL"),
        ("incomingServer", "pop3", p.pop3, "STARTTLS"),
        ("outgoingServer", "smtp", p.submissions, "SSL"),
        ("outgoingServer", "smtp", p.submission, "STARTTLS"),
    ]
    for tag, kind, port, socket_type in servers:
        if not port:
            continue
        s = _sub(prov, tag, type=kind)
        _sub(s, "hostname", p.host)
        _sub(s, "port", port)
        _sub(s, "socketType", socket_type)
        _sub(s, "authentication", "password-cleartext")
        _sub(s, "username", "%EMAILADDRESS%")
    return _xml(root)


# -- Autodiscover POX ---------------------------------------------------------------------------


def parse_pox(body: bytes) -> tuple[str, str]:
    """(the e-mail address, the acceptable response schema) of a POX request."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise RequestError("DTDs are not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise RequestError("malformed XML") from None
    for ns in (NS_OUTLOOK_REQ, NS_MOBILE_REQ):
        req = root.find(f"{{{ns}}}Request")
        if root.tag == f"{{{ns}}}Autodiscover" and req is not None:
            address = (req.findtext(f"{{{ns}}}EMailAddress") or "").strip()
            schema = (req.findtext(f"{{{ns}}}AcceptableResponseSchema") or "").strip()
            return check_address(address), schema
    raise RequestError("not an Autodiscover request")


def pox_error(code: int, message: str) -> bytes:
    root = ET.Element("Autodiscover", xmlns=NS_RESPONSE)
    resp = _sub(root, "Response")
    err = _sub(resp, "Error", Time="00:00:00", Id="0")
    _sub(err, "ErrorCode", code)
    _sub(err, "Message", message)
    _sub(err, "DebugData", "")
    return _xml(root)


def _protocol(account: ET.Element, kind: str, host: str, port: int, login: str, implicit: bool) -> None:
    proto = _sub(account, "Protocol")
    _sub(proto, "Type", kind)
    _sub(proto, "Server", host)
    _sub(proto, "Port", port)
    _sub(proto, "LoginName", login)
    _sub(proto, "DomainRequired", "off")
    _sub(proto, "SPA", "off")
    if implicit:
        _sub(proto, "SSL", "on")
    else:
        _sub(proto, "SSL", "off")
        _sub(proto, "Encryption", "TLS")
    _sub(proto, "AuthRequired", "on")
    if kind == "SMTP":
        _sub(proto, "UsePOPAuth", "off")
        _sub(proto, "SMTPLast", "off")


def pox_outlook(p: Published, address: str) -> bytes:
    root = ET.Element("Autodiscover", xmlns=NS_RESPONSE)
    resp = _sub(root, "Response", xmlns=NS_OUTLOOK)
    user = _sub(resp, "User")
    _sub(user, "DisplayName", address)
    account = _sub(resp, "Account")
    _sub(account, "AccountType", "email")
    _sub(account, "Action", "settings")
    for kind, implicit_port, starttls_port in (
        ("IMAP", p.imaps, p.imap),
        ("POP3", p.pop3s, p.pop3),
        ("SMTP", p.submissions, p.submission),
    ):
        if implicit_port:
            _protocol(account, kind, p.host, implicit_port, address, True)
        elif starttls_port:
            _protocol(account, kind, p.host, starttls_port, address, False)
    return _xml(root)


def pox_mobilesync(p: Published, address: str) -> bytes:
    root = ET.Element("Autodiscover", xmlns=NS_RESPONSE)
    resp = _sub(root, "Response", xmlns=NS_MOBILE)
    _sub(resp, "Culture", "en:us")
    user = _sub(resp, "User")
    _sub(user, "DisplayName", address)
    _sub(user, "EMailAddress", address)
    settings = _sub(_sub(resp, "Action"), "Settings")
    server = _sub(settings, "Server")
    _sub(server, "Type", "MobileSync")
    _sub(server, "Url", p.eas_url)
    _sub(server, "Name", p.eas_url)
    return _xml(root)


def pox(p: Published, body: bytes) -> bytes:
    """The POX answer to `body`; an error document for requests it cannot answer."""
    try:
        address, schema = parse_pox(body)
    except RequestError as exc:
        return pox_error(600, f"Invalid Request: {exc}")
    if schema == NS_OUTLOOK:
        return pox_outlook(p, address)
    if schema == NS_MOBILE:
        return pox_mobilesync(p, address)
    return pox_error(601, "Requested schema version not supported")


# -- Autodiscover JSON --------------------------------------------------------------------------


def json_answer(p: Published, protocol: str) -> dict[str, str]:
    kind = protocol.lower()
    if kind == "activesync":
        return {"Protocol": "ActiveSync", "Url": p.eas_url}
    if kind == "autodiscoverv1":
        return {"Protocol": "AutodiscoverV1", "Url": p.base_url + "/autodiscover/autodiscover.xml"}
    raise RequestError(f"protocol {protocol[:40]!r} is not supported")


# -- Apple profile ------------------------------------------------------------------------------


def mobileconfig(p: Published, address: str) -> bytes:
    """An unsigned .mobileconfig with one IMAP account; UUIDs derived from the address, so
    installing it again replaces the account instead of adding a second."""
    ns = uuid.uuid5(uuid.NAMESPACE_DNS, p.host)
    domain = address.rpartition("@")[2]
    in_port, in_ssl = (p.imaps, True) if p.imaps else (p.imap, False)
    out_port, out_ssl = (p.submissions, True) if p.submissions else (p.submission, False)
    reverse = ".".join(reversed(p.host.split(".")))
    account = {
        "EmailAccountDescription": address,
        "EmailAccountName": address,
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": address,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerHostName": p.host,
        "IncomingMailServerPortNumber": in_port,
        "IncomingMailServerUseSSL": in_ssl,
        "IncomingMailServerUsername": address,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": p.host,
        "OutgoingMailServerPortNumber": out_port,
        "OutgoingMailServerUseSSL": out_ssl,
        "OutgoingMailServerUsername": address,
        "OutgoingPasswordSameAsIncomingPassword": True,
        "PayloadDisplayName": f"Mail ({address})",
        "PayloadIdentifier": f"{reverse}.mail.{address}",
        "PayloadType": "com.apple.mail.managed",
        "PayloadUUID": str(uuid.uuid5(ns, "mail:" + address)).upper(),
        "PayloadVersion": 1,
        "SMIMEEnabled": False,
    }
    profile = {
        "PayloadContent": [account],
        "PayloadDescription": f"Mail settings for {address}",
        "PayloadDisplayName": f"{domain} mail",
        "PayloadIdentifier": f"{reverse}.profile.{address}",
        "PayloadOrganization": domain,
        "PayloadRemovalDisallowed": False,
        "PayloadType": "Configuration",
        "PayloadUUID": str(uuid.uuid5(ns, "profile:" + address)).upper(),
        "PayloadVersion": 1,
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML)


# -- MTA-STS ------------------------------------------------------------------------------------


def mta_sts_policy(p: Published) -> bytes:
    lines = ["version: STSv1", f"mode: {p.mta_sts_mode}"]
    lines += [f"mx: {mx}" for mx in p.mta_sts_mx]
    lines.append(f"max_age: {p.mta_sts_max_age}")
    return ("\r\n".join(lines) + "\r\n").encode()
