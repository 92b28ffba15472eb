"""The client's address behind trusted HTTP proxies (the Ingress controller), sans I/O.

A request from a peer inside KUBEMAIL_PROXY_NETWORKS carries the client in X-Forwarded-For; the
client is the rightmost address there that is not itself a trusted proxy (each proxy appends the
address it got the request from, so only the part appended by trusted hops can be believed).
From any other peer the header is ignored: a client can write anything into it.
"""

from __future__ import annotations

import ipaddress

from services.common.config import ip_in
from services.common.sockets import norm_ip

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
MAX_HOPS = 32  # addresses looked at, from the right


def client_ip(peer: str, forwarded_for: list[str], trusted: Networks) -> str:
    ip = norm_ip(peer)
    if not trusted or not ip_in(ip, trusted):
        return ip
    hops = [h.strip() for value in forwarded_for for h in value.split(",")][-MAX_HOPS:]
    for hop in reversed(hops):
        candidate = norm_ip(hop.strip("[]"))
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return ip  # garbage where an address belongs: believe only the peer
        if not ip_in(candidate, trusted):
            return candidate
        ip = candidate
    return ip
