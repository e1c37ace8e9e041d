"""Who the client is: the socket's peer, or, behind proxies the operator named, the address
they forwarded (X-Forwarded-For), so that limits count people, not the Ingress."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """OVERPUSH_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges ("" = none)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in setting.split(",") if part.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, networks: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in n for n in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str],
                   trusted: tuple[Network, ...]) -> str:
    """The client's address. A peer that is not a trusted proxy is the client, whatever it
    claims in headers (anyone can send X-Forwarded-For). From a trusted proxy, the forwarded
    chain is read from the right: each hop a trusted proxy added is skipped, and the first
    address no trusted proxy vouches for is the client (the leftmost entries are whatever the
    client itself sent, so they are never believed)."""
    if not peer:
        return "unknown"
    if not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            address = _address(hop)
            return str(address) if address is not None else peer
    return str(_address(hops[0])) if hops and _address(hops[0]) else peer
