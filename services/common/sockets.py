"""Listening TCP sockets: one rule for every listener (SMTP, IMAP, POP3, metrics HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket

#: Hosts that mean "every address, IPv6 and IPv4": one dual-stack socket (IPv4 only where the
#: machine has no IPv6).
DUAL_STACK_HOSTS = ("", "::", "[::]", "*")


def bind_socket(host: str, port: int, backlog: int, *, blocking: bool = False) -> socket.socket:
    """A listening TCP socket on host:port. `::` (the default of every listener), `*` or empty
    bind dual-stack: IPv4 clients arrive as IPv4-mapped IPv6 addresses, which
    norm_ip turns into plain IPv4. An explicit `0.0.0.0` keeps IPv4
    only; any other host binds its first address."""
    if host in DUAL_STACK_HOSTS:
        if socket.has_dualstack_ipv6():
            sock = socket.create_server(("::", port), family=socket.AF_INET6, backlog=backlog, dualstack_ipv6=True)
        else:
            sock = socket.create_server(("0.0.0.0", port), backlog=backlog)
    else:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.create_server(sockaddr[:2], family=family, backlog=backlog)  # type: ignore[arg-type]
    sock.setblocking(blocking)
    return sock


def norm_ip(ip: str) -> str:
    """IPv4-mapped IPv6 addresses (dual-stack sockets) as plain IPv4."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux


def ack_now(writer: asyncio.StreamWriter) -> None:
    """Have the kernel acknowledge the peer's next segments at once (TCP_QUICKACK, Linux; the
    kernel falls back to delayed ACKs by itself later). After a continuation request (IMAP
    `+`, SMTP 354) a client that writes the data and its final CRLF in two sends without
    TCP_NODELAY (imaplib does) holds the CRLF back (Nagle) until the data is acknowledged;
    with a delayed ACK that stalls every literal by ~40 ms."""
    sock = writer.get_extra_info("socket")
    if sock is None or _QUICKACK is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
