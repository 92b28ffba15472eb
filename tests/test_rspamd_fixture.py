"""The rspamd fixture's options: the milter proxy worker answers milter negotiation on its own
port-0 socket, and the spf/dkim/dmarc modules verify a signed message against the dnsmasq zone."""

from __future__ import annotations

import json
import urllib.request

import dkim
from kubemail_operator import dkim as operator_dkim

from tests.fixtures.dns import DnsServer, Zone
from tests.fixtures.rspamd import RspamdServer, milter_negotiates

RAW = b"From: a@sender.test\r\nTo: b@rcpt.test\r\nSubject: hi\r\nMessage-ID: <m1@sender.test>\r\n\r\nhello\r\n"


def _check(rs: RspamdServer, raw: bytes, ip: str) -> dict[str, list[str]]:
    headers = {"IP": ip, "Helo": "client.test", "From": "a@sender.test", "Rcpt": "b@rcpt.test"}
    req = urllib.request.Request(f"{rs.url}/checkv2", data=raw, headers=headers)
    with urllib.request.urlopen(req, timeout=20) as resp:
        reply = json.loads(resp.read())
    return {name: sym.get("options", []) for name, sym in reply["symbols"].items()}


def test_milter_worker_and_auth_modules() -> None:
    key = operator_dkim.generate_private_pem(1024)
    zone = (
        Zone()
        .txt("sender.test", "v=spf1 ip4:127.0.0.1 -all")
        .txt("s1._domainkey.sender.test", operator_dkim.txt_value(key))
        .txt("_dmarc.sender.test", "v=DMARC1; p=reject")
    )
    signed = bytes(dkim.sign(RAW, b"s1", b"sender.test", key, include_headers=[b"from", b"subject"])) + RAW
    with (
        DnsServer(zone, tcp_children=True) as dns,
        RspamdServer(dns=dns.address, milter=True, modules=("spf", "dkim", "dmarc")) as rs,
    ):
        assert rs.milter_port not in (0, rs.port, rs.controller_port)
        assert milter_negotiates(rs.milter_port)
        assert not milter_negotiates(rs.port)  # the HTTP worker is no milter
        good = _check(rs, signed, "127.0.0.1")
        assert {"R_SPF_ALLOW", "R_DKIM_ALLOW", "DMARC_POLICY_ALLOW"} <= set(good), good
        bad = _check(rs, signed.replace(b"hello", b"hullo"), "127.0.0.2")
        assert {"R_SPF_FAIL", "R_DKIM_REJECT", "DMARC_POLICY_REJECT"} <= set(bad), bad
