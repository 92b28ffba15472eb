"""Sans-I/O PROXY protocol v1 and v2 parser (HAProxy's proxy-protocol.txt).

`parse(buf)` looks at the first bytes a load balancer sent and returns

- `ProxyResult` (with `consumed`, the header's length; the rest of `buf` is client data),
- `NEED_MORE` (a `NeedMore`) when `buf` is a valid but incomplete prefix, or
- raises `ProxyError` when `buf` cannot start a PROXY header.

Bounds: a v1 line is at most 107 octets; a v2 address block at most MAX_V2_LENGTH. TLVs of
v2 are skipped. LOCAL (v2) and UNKNOWN (v1) / unsupported families give a result with
`src_ip is None`: the caller keeps the real peer address.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

V1_PREFIX = b"PROXY "
V1_MAX = 107
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V2_HEADER = 16
MAX_V2_LENGTH = 2048


class ProxyError(ValueError):
    """Not a valid PROXY protocol header."""


@dataclass(frozen=True)
class NeedMore:
    """`buf` is an incomplete header; read more (at least `at_least` octets in total)."""

    at_least: int


NEED_MORE = NeedMore(1)


@dataclass(frozen=True)
class ProxyResult:
    version: int  # 1 or 2
    command: str  # "PROXY" or "LOCAL"
    family: str  # "TCP4", "TCP6", "UNKNOWN" (v1 UNKNOWN, v2 UNSPEC/UDP/UNIX)
    src_ip: str | None
    src_port: int | None
    dst_ip: str | None
    dst_port: int | None
    consumed: int

    @property
    def has_address(self) -> bool:
        return self.src_ip is not None


def parse(buf: bytes) -> ProxyResult | NeedMore:
    """Parses the PROXY header at the start of `buf` (see the module doc)."""
    buf = bytes(buf)
    if not buf:
        return NeedMore(1)
    if buf[0] == V2_SIGNATURE[0]:
        return _parse_v2(buf)
    if buf[0] == V1_PREFIX[0]:
        return _parse_v1(buf)
    raise ProxyError("no PROXY protocol header")


def _port(raw: bytes) -> int:
    if not raw.isdigit() or len(raw) > 5:
        raise ProxyError("bad port")
    value = int(raw)
    if value > 65535:
        raise ProxyError("bad port")
    return value


def _parse_v1(buf: bytes) -> ProxyResult | NeedMore:
    head = buf[: len(V1_PREFIX)]
    if not V1_PREFIX.startswith(head):
        raise ProxyError("no PROXY protocol header")
    end = buf.find(b"\r\n", 0, V1_MAX)
    if end < 0:
        if len(buf) >= V1_MAX:
            raise ProxyError("PROXY v1 line too long")
        if b"\n" in buf or b"\r" in buf[: len(buf) - 1]:
            raise ProxyError("bad PROXY v1 line ending")
        return NeedMore(len(buf) + 1)
    line = buf[:end]
    consumed = end + 2
    words = line.split(b" ")
    if len(words) < 2 or words[0] != b"PROXY":
        raise ProxyError("bad PROXY v1 line")
    family = words[1]
    if family == b"UNKNOWN":
        return ProxyResult(1, "PROXY", "UNKNOWN", None, None, None, None, consumed)
    if family not in (b"TCP4", b"TCP6"):
        raise ProxyError("bad PROXY v1 protocol")
    if len(words) != 6:
        raise ProxyError("bad PROXY v1 field count")
    cls = ipaddress.IPv4Address if family == b"TCP4" else ipaddress.IPv6Address
    try:
        src = cls(words[2].decode("ascii"))
        dst = cls(words[3].decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise ProxyError("bad PROXY v1 address") from None
    return ProxyResult(1, "PROXY", family.decode(), str(src), _port(words[4]), str(dst), _port(words[5]), consumed)


def _parse_v2(buf: bytes) -> ProxyResult | NeedMore:
    sig = buf[: len(V2_SIGNATURE)]
    if not V2_SIGNATURE.startswith(sig):
        raise ProxyError("no PROXY protocol header")
    if len(buf) < V2_HEADER:
        return NeedMore(V2_HEADER)
    ver_cmd, fam, length = struct.unpack("!BBH", buf[12:16])
    if ver_cmd >> 4 != 2:
        raise ProxyError("unsupported PROXY protocol version")
    cmd = ver_cmd & 0x0F
    if cmd not in (0, 1):
        raise ProxyError("bad PROXY v2 command")
    if length > MAX_V2_LENGTH:
        raise ProxyError("PROXY v2 header too long")
    total = V2_HEADER + length
    if len(buf) < total:
        return NeedMore(total)
    body = buf[V2_HEADER:total]
    if cmd == 0:
        return ProxyResult(2, "LOCAL", "UNKNOWN", None, None, None, None, total)
    if fam >> 4 not in (0, 1, 2, 3) or fam & 0x0F not in (0, 1, 2):
        raise ProxyError("bad PROXY v2 family")
    if fam == 0x11:  # TCP over IPv4
        if length < 12:
            raise ProxyError("short PROXY v2 address block")
        src4, dst4 = ipaddress.IPv4Address(body[0:4]), ipaddress.IPv4Address(body[4:8])
        sport, dport = struct.unpack("!HH", body[8:12])
        return ProxyResult(2, "PROXY", "TCP4", str(src4), sport, str(dst4), dport, total)
    if fam == 0x21:  # TCP over IPv6
        if length < 36:
            raise ProxyError("short PROXY v2 address block")
        src6, dst6 = ipaddress.IPv6Address(body[0:16]), ipaddress.IPv6Address(body[16:32])
        sport, dport = struct.unpack("!HH", body[32:36])
        return ProxyResult(2, "PROXY", "TCP6", str(src6), sport, str(dst6), dport, total)
    # UNSPEC, UDP, UNIX: accepted, addresses ignored (the caller keeps the real peer).
    return ProxyResult(2, "PROXY", "UNKNOWN", None, None, None, None, total)
