"""services/common/proxyproto.py: v1, v2, bounds, chunked re-feed, fuzzing."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common import proxyproto as pp
from services.common.proxyproto import NeedMore, ProxyError, ProxyResult

SIG = pp.V2_SIGNATURE


def v2(cmd: int, fam: int, body: bytes) -> bytes:
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body


def v2_tcp4(src: str, sport: int, dst: str, dport: int, tlvs: bytes = b"", cmd: int = 1) -> bytes:
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport) + tlvs
    return v2(cmd, 0x11, body)


def v2_tcp6(src: str, sport: int, dst: str, dport: int) -> bytes:
    body = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    return v2(1, 0x21, body + struct.pack("!HH", sport, dport))


def test_v1_tcp4_and_rest_of_buffer() -> None:
    hdr = b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"
    r = pp.parse(hdr + b"EHLO x\r\n")
    assert r == ProxyResult(1, "PROXY", "TCP4", "192.0.2.1", 56324, "198.51.100.2", 25, len(hdr))


def test_v1_tcp6_and_unknown() -> None:
    hdr = b"PROXY TCP6 2001:db8::1 2001:db8::2 1234 993\r\n"
    r = pp.parse(hdr)
    assert isinstance(r, ProxyResult) and r.family == "TCP6" and r.src_ip == "2001:db8::1" and r.dst_port == 993
    u = pp.parse(b"PROXY UNKNOWN\r\n")
    assert isinstance(u, ProxyResult) and u.family == "UNKNOWN" and not u.has_address and u.consumed == 15
    u2 = pp.parse(b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")
    assert isinstance(u2, ProxyResult) and u2.src_ip is None


@pytest.mark.parametrize(
    "line",
    [
        b"PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 99999\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n",
        b"PROXY TCP4 2001:db8::1 198.51.100.2 1 25\r\n",
        b"PROXY TCP6 192.0.2.1 198.51.100.2 1 25\r\n",
        b"PROXY TCP4 192.0.2.01 198.51.100.2 1 25\r\n",
        b"PROXY UDP4 192.0.2.1 198.51.100.2 1 25\r\n",
        b"PROXY  TCP4 192.0.2.1 198.51.100.2 1 25\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 1 25\n",
        b"PROXX TCP4",
        b"EHLO foo\r\n",
        b"\r\n\r\n\x00\r\nQUIX\n" + b"\x00" * 8,
        b"PROXY " + b"A" * 120,
    ],
)
def test_invalid(line: bytes) -> None:
    with pytest.raises(ProxyError):
        pp.parse(line)


def test_v1_length_bound() -> None:
    ok = (
        b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
    )
    assert len(ok) == pp.V1_MAX
    assert isinstance(pp.parse(ok), ProxyResult)
    assert isinstance(pp.parse(ok[:-1]), NeedMore)
    with pytest.raises(ProxyError):
        pp.parse(ok[:-2] + b" \r\n")  # 108 octets


def test_v2_tcp4_with_tlvs_skipped() -> None:
    tlv = bytes([0x02, 0x00, 0x05]) + b"authn" + bytes([0x04, 0x00, 0x00])
    hdr = v2_tcp4("203.0.113.7", 40000, "10.0.0.1", 465, tlvs=tlv)
    r = pp.parse(hdr + b"\x16\x03\x01")
    assert r == ProxyResult(2, "PROXY", "TCP4", "203.0.113.7", 40000, "10.0.0.1", 465, len(hdr))


def test_v2_tcp6_local_unspec_unix() -> None:
    r = pp.parse(v2_tcp6("2001:db8::7", 1, "2001:db8::8", 2))
    assert isinstance(r, ProxyResult) and (r.family, r.src_ip, r.src_port) == ("TCP6", "2001:db8::7", 1)
    local = v2_tcp4("1.2.3.4", 1, "5.6.7.8", 2, cmd=0)
    r = pp.parse(local)
    assert isinstance(r, ProxyResult) and r.command == "LOCAL" and r.src_ip is None and r.consumed == len(local)
    r = pp.parse(v2(1, 0x00, b""))
    assert isinstance(r, ProxyResult) and r.family == "UNKNOWN" and r.src_ip is None
    r = pp.parse(v2(1, 0x31, b"\x00" * 216))
    assert isinstance(r, ProxyResult) and r.family == "UNKNOWN" and r.consumed == 16 + 216


def test_v2_errors() -> None:
    with pytest.raises(ProxyError, match="version"):
        pp.parse(SIG + bytes([0x10, 0x11, 0, 0]))
    with pytest.raises(ProxyError, match="command"):
        pp.parse(SIG + bytes([0x22, 0x11, 0, 0]))
    with pytest.raises(ProxyError, match="too long"):
        pp.parse(SIG + bytes([0x21, 0x11]) + struct.pack("!H", pp.MAX_V2_LENGTH + 1))
    with pytest.raises(ProxyError, match="short"):
        pp.parse(v2(1, 0x11, b"\x00" * 11))
    with pytest.raises(ProxyError, match="short"):
        pp.parse(v2(1, 0x21, b"\x00" * 35))
    with pytest.raises(ProxyError, match="family"):
        pp.parse(v2(1, 0x41, b""))


def test_need_more_reports_target() -> None:
    assert pp.parse(b"") == NeedMore(1)
    assert pp.parse(SIG[:5]) == NeedMore(16)
    hdr = v2_tcp4("1.1.1.1", 1, "2.2.2.2", 2)
    assert pp.parse(hdr[:20]) == NeedMore(len(hdr))


HEADERS = [
    b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n",
    b"PROXY TCP6 2001:db8::1 2001:db8::2 1234 993\r\n",
    b"PROXY UNKNOWN\r\n",
    v2_tcp4("203.0.113.7", 40000, "10.0.0.1", 465, tlvs=b"\x04\x00\x02ab"),
    v2_tcp6("2001:db8::7", 1, "2001:db8::8", 2),
    v2(0, 0x00, b""),
]


@pytest.mark.parametrize("hdr", HEADERS)
def test_chunked_refeed_every_split(hdr: bytes) -> None:
    """Fed byte by byte, every proper prefix is NeedMore and the whole header parses."""
    full = pp.parse(hdr + b"DATA")
    assert isinstance(full, ProxyResult) and full.consumed == len(hdr)
    for n in range(len(hdr)):
        assert isinstance(pp.parse(hdr[:n]), NeedMore), n
    assert pp.parse(hdr) == full


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(HEADERS), st.lists(st.integers(1, 20), max_size=40), st.binary(max_size=30))
def test_fuzz_chunked_refeed(hdr: bytes, sizes: list[int], tail: bytes) -> None:
    """A reader accumulating random chunk sizes gets the same result as one read."""
    stream = hdr + tail
    buf = b""
    pos = 0
    for size in [*sizes, len(stream)]:
        buf += stream[pos : pos + size]
        pos += size
        r = pp.parse(buf)
        if isinstance(r, ProxyResult):
            assert r == pp.parse(stream)
            assert buf[r.consumed :] + stream[pos:] == tail
            return
        assert isinstance(r, NeedMore) and r.at_least > len(buf)
    raise AssertionError("never completed")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    try:
        r = pp.parse(data)
    except ProxyError:
        return
    if isinstance(r, NeedMore):
        assert len(data) < pp.V2_HEADER + pp.MAX_V2_LENGTH and r.at_least > len(data)
    else:
        assert 0 < r.consumed <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=120))
def test_fuzz_after_signatures(tail: bytes) -> None:
    for prefix in (b"PROXY ", SIG):
        try:
            r = pp.parse(prefix + tail)
        except ProxyError:
            continue
        assert isinstance(r, NeedMore | ProxyResult)
