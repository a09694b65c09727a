"""Zero typed URLs on the LAN: the hub's own addresses, its websocket_url and mDNS advertisement.

The hub advertises `_kitchen-sync._tcp.local.` so tools and native apps find it, and it
derives the `websocket_url` it registers with central from the address it is reachable
on — IT never types it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

import ifaddr

from hub.config import HubConfig
from outlet_protocol.tls_names import certifiable_address, mdns_name

if TYPE_CHECKING:
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

log = logging.getLogger(__name__)

SERVICE_TYPE = "_kitchen-sync._tcp.local."


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's non-loopback interfaces, private ones first."""
    found: list[ipaddress.IPv4Address] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue
            addr = ipaddress.IPv4Address(ip.ip)
            if not addr.is_loopback and not addr.is_unspecified and addr not in found:
                found.append(addr)
    found.sort(key=lambda a: (not a.is_private, a.is_link_local, str(a)))
    return [str(a) for a in found]


def advertised_addresses(cfg: HubConfig) -> list[str]:
    """The addresses clients should use: the bind address if specific, else the LAN's."""
    if cfg.bind not in ("0.0.0.0", "::", ""):
        return [cfg.bind]
    return lan_addresses() or ["127.0.0.1"]


def websocket_url_for(cfg: HubConfig, addresses: list[str], secure: bool = False) -> str:
    """`HUB_WEBSOCKET_URL` if IT pinned one, else ws://<first address>:<port>/ws — or, with
    a LAN certificate (`secure`), wss:// on the https port under a name the certificate has."""
    if cfg.websocket_url:
        return cfg.websocket_url
    host = addresses[0] if addresses else "127.0.0.1"
    if secure and not certifiable_address(host):
        host = mdns_name(cfg.effective_hub_id)
    if ":" in host:
        host = f"[{host}]"
    if secure:
        return f"wss://{host}:{cfg.https_port}/ws"
    return f"ws://{host}:{cfg.ws_port}/ws"


def service_info(cfg: HubConfig, version: str, addresses: list[str]) -> ServiceInfo:
    """The mDNS record: instance name carries the outlet, TXT the ids and the path."""
    # zeroconf is imported only by a hub that advertises: ~3.6 MB of RSS (decision 1901).
    from zeroconf import ServiceInfo

    name = f"Outlet {cfg.outlet_id} {cfg.effective_hub_id}"[:63]
    host = socket.gethostname().split(".")[0] or cfg.effective_hub_id
    return ServiceInfo(
        SERVICE_TYPE, f"{name}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton(a) for a in addresses if "." in a],
        port=cfg.ws_port,
        properties={"hub_id": cfg.effective_hub_id, "outlet_id": str(cfg.outlet_id),
                    "version": version, "path": "/ws", "http_port": str(cfg.http_port),
                    "outlet_name": cfg.outlet_name[:100]},
        server=f"{host}.local.",
    )


class Advertiser:
    """Registers the service while the hub runs; failures degrade, never stop the hub."""

    def __init__(self, cfg: HubConfig, version: str, addresses: list[str]) -> None:
        self.info = service_info(cfg, version, addresses)
        self.zc: AsyncZeroconf | None = None

    async def start(self) -> None:
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncZeroconf

        try:
            self.zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
            await self.zc.async_register_service(self.info, allow_name_change=True)
            log.info("advertising %s on mDNS", self.info.name)
        except Exception as exc:  # no multicast route, no interface: keep serving orders
            log.warning("mDNS advertisement unavailable: %s", exc)
            await self.stop()

    async def stop(self) -> None:
        if self.zc is not None:
            try:
                await self.zc.async_unregister_all_services()
                await self.zc.async_close()
            except Exception as exc:
                log.info("mDNS shutdown: %s", exc)
            self.zc = None
