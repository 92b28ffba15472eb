"""The dnsmasq fixture serves what the zone says (MX order, null MX, long TXT, AAAA)."""

from __future__ import annotations

import socket

import dns.message
import dns.query
import dns.resolver
import pytest

from tests.fixtures.dns import DnsServer, Zone


def test_zone_is_served() -> None:
    long_txt = "v=DKIM1; k=rsa; p=" + "A" * 400
    zone = (
        Zone()
        .mx("a.test", "mx2.a.test", 20)
        .mx("a.test", "mx1.a.test", 10)
        .host("mx1.a.test", "127.0.0.2", "::1")
        .null_mx("null.test")
        .txt("sel._domainkey.a.test", long_txt)
    )
    with DnsServer(zone) as server:
        r = server.resolver()
        mx = sorted((x.preference, x.exchange.to_text()) for x in r.resolve("a.test", "MX"))
        assert mx == [(10, "mx1.a.test."), (20, "mx2.a.test.")]
        assert [x.exchange.to_text() for x in r.resolve("null.test", "MX")] == ["."]
        assert [x.address for x in r.resolve("mx1.a.test", "A")] == ["127.0.0.2"]
        assert [x.address for x in r.resolve("mx1.a.test", "AAAA")] == ["::1"]
        (txt,) = r.resolve("sel._domainkey.a.test", "TXT")
        assert b"".join(txt.strings).decode() == long_txt
        with pytest.raises(dns.resolver.NXDOMAIN):
            r.resolve("nothing.a.test", "A")


def test_tcp_children_answer_while_a_tcp_client_idles() -> None:
    """rspamd keeps an idle TCP channel to its nameserver: with tcp_children that must not block
    anyone (dnsmasq's debug mode would serve that connection inline and answer nothing else)."""
    zone = Zone().txt("a.test", "v=spf1 -all")
    with DnsServer(zone, tcp_children=True) as server:
        idle = socket.create_connection((server.host, server.port))
        try:
            q = dns.message.make_query("a.test", "TXT")
            udp = dns.query.udp(q, server.host, port=server.port, timeout=3)
            tcp = dns.query.tcp(q, server.host, port=server.port, timeout=3)
        finally:
            idle.close()
    for answer in (udp, tcp):
        assert [b"".join(r.strings) for r in answer.answer[0]] == [b"v=spf1 -all"]
