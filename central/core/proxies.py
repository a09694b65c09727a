"""Which address a request came from when a reverse proxy (nginx) sits in front of central."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# X-Forwarded-For hops considered; a longer chain is someone padding the header.
MAX_HOPS = 16


def parse_networks(raw: str) -> tuple[Network, ...]:
    """`"127.0.0.1/32, ::1"` → networks; ValueError names the first entry that is not one."""
    networks = []
    for part in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an address or CIDR network: {part!r}") from None
    return tuple(networks)


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """The peer, unless it is a trusted proxy: then the nearest untrusted X-Forwarded-For hop.

    Walked right to left, so a client cannot choose its address by sending the header itself:
    only hops appended by trusted proxies are skipped.
    """
    address = peer or "unknown"
    if not forwarded_for or not _trusted(address, trusted):
        return address
    hops = [h.strip() for h in forwarded_for.split(",")][-MAX_HOPS:]
    for hop in reversed(hops):
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            return address  # a malformed chain: fall back to the proxy itself, never a guess
        address = hop
        if not _trusted(hop, trusted):
            return hop
    return address
