"""The names a hub's LAN certificate may carry: one rule for the hub that asks and HQ that signs.

A hub is reached on the outlet LAN as `hub-<slug>.local` (mDNS) or by one of its LAN
addresses. HQ signs only those: a `.local` name derived from the hub's own id and
addresses that cannot be routed on the internet, so a certificate from our private CA
can never stand in for a public site even on a device that trusts the CA.
"""

from __future__ import annotations

import ipaddress
import re

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
# RFC 1035: a DNS label is at most 63 characters.
MAX_LABEL = 63
# Names in one certificate: the mDNS name, the operator's domain name and LAN addresses.
# A hub with more than 8 addresses is misconfigured, not busy.
MAX_ADDRESSES = 8


def hub_slug(hub_id: str) -> str:
    """The part of the hub id that names it on the LAN: `hub-3fa9…` → `3fa9…`."""
    slug = hub_id.strip().lower()
    if slug.startswith("hub-"):
        slug = slug[4:]
    slug = _NOT_LABEL.sub("-", slug).strip("-")
    return slug[:MAX_LABEL - 4].strip("-") or "hub"


def mdns_name(hub_id: str) -> str:
    """`hub-<slug>.local`, the name the hub answers to on the outlet LAN."""
    return f"hub-{hub_slug(hub_id)}.local"


def domain_name(hub_id: str, domain: str) -> str:
    """`hub-<slug>.<domain>` for an operator who has a domain (and its DNS) for the LAN."""
    return f"hub-{hub_slug(hub_id)}.{domain.strip('.').lower()}"


def certifiable_address(value: str) -> bool:
    """True for an address a LAN certificate may name: private, link-local or loopback."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return addr.is_private and not (addr.is_unspecified or addr.is_multicast
                                    or addr.is_reserved)
