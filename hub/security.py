"""Who may talk to the hub: source-address allowlist, Origin check, request size limits."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from hub.config import HubConfig

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024        # WebSocket frames; larger ones close with 1009
MAX_BODY = 256 * 1024        # HTTP bodies; larger ones get 413

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def remote_allowed(remote: str | None, cfg: HubConfig) -> bool:
    """True when the peer address lies in one of the allowed networks (an allowlist)."""
    if not remote:
        return False
    try:
        addr = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr.version == net.version and addr in net for net in cfg.parsed_networks)


def origin_allowed(origin: str | None, host: str | None, cfg: HubConfig) -> bool:
    """Browsers send Origin: same host or an allowed origin passes; no Origin (a device) passes."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    if host and parts.netloc.lower() == host.lower():
        return True
    normalized = f"{parts.scheme}://{parts.netloc}".lower()
    return any(normalized == o.rstrip("/").lower() for o in cfg.allowed_origins)


def make_allowlist_middleware(cfg: HubConfig) -> Middleware:
    @web.middleware
    async def allowlist(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not remote_allowed(request.remote, cfg):
            log.warning("refused %s %s from %s: not in allowed networks", request.method,
                        request.path, request.remote)
            return web.json_response({"error": {"code": "forbidden",
                                                "message": "your address is not allowed"}},
                                     status=403)
        return await handler(request)

    return allowlist


def presented_token(request: web.Request) -> str | None:
    """A client token from `Authorization: Bearer`, `X-Hub-Token` or `?token=`."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-Hub-Token") or request.query.get("token")
