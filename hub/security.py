"""Who may talk to the hub: source allowlist, Host allowlist, Origin, browser writes, floods.

Decision 0620 explains the rules; in short:
- the peer address must lie in `allowed_networks` (both ports);
- the Host header must be an address literal or one of the hub's names (`allowed_hosts`
  plus its own): a DNS-rebinding page always arrives under the attacker's name;
- a browser write (Origin or Sec-Fetch-Site present) must come from the hub's own origin
  (same scheme, host and port) or an `allowed_origins` entry, and be `application/json`;
  seed devices send neither header and keep working;
- writes, WebSocket upgrades and pairing calls spend from a token bucket per address and
  one per presented token, loopback exempt by default.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from hub.config import HubConfig
from hub.core.lan_tls import host_only as host_name
from hub.core.ratelimit import KeyedBuckets
from outlet_protocol.tls_names import mdns_name

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024        # WebSocket frames; larger ones close with 1009
MAX_BODY = 256 * 1024        # HTTP bodies; larger ones get 413
CHECK_CACHE = 256            # peer addresses and Host values whose check is remembered

# Flood limits. A food court's busiest source is one POS relaying for several counters or
# a kiosk draining its offline queue: tens of orders at once, a few per second at most
# (12 kiosks at one order per 30 s is 0.4/s for the whole court). 200 at once and 10/s
# per address, 300 and 30/s per token (a legacy client_token is shared by every device of
# the outlet), leave an honest client 20x headroom and cut a scripted burst of 400 in half.
ADDRESS_RATE, ADDRESS_BURST = 10.0, 200.0
TOKEN_RATE, TOKEN_BURST = 30.0, 300.0
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(remote: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not remote:
        return None
    try:
        addr = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _in(remote: str | None, networks: tuple[Network, ...]) -> bool:
    addr = _address(remote)
    return addr is not None and any(addr.version == n.version and addr in n for n in networks)


def remote_allowed(remote: str | None, cfg: HubConfig) -> bool:
    """True when the peer address lies in one of the allowed networks (an allowlist)."""
    return _in(remote, cfg.parsed_networks)


def own_host_names(cfg: HubConfig) -> frozenset[str]:
    """The names a browser may use for this hub, besides address literals and the host name."""
    names = {"localhost", *(h.lower().rstrip(".") for h in cfg.allowed_hosts)}
    if cfg.hub_id:
        names |= {cfg.hub_id.lower(), f"{cfg.hub_id.lower()}.local", mdns_name(cfg.hub_id)}
    pinned = urlsplit(cfg.websocket_url).hostname if cfg.websocket_url else None
    if pinned:
        names.add(pinned.lower())
    return frozenset(names)


def system_host_allowed(host: str) -> bool:
    """The machine's own host name, read on demand: first boot renames the hub after it has
    started, so this answer is never remembered (the rest of the Host check is)."""
    system = socket.gethostname().lower().split(".")[0]
    return host_name(host) in (system, f"{system}.local")


def fixed_host_allowed(host: str | None, names: frozenset[str]) -> bool:
    """A missing Host (HTTP/1.0 devices), an address literal, or one of the hub's names: an
    answer that never changes for a running hub (cacheable). The other way in is
    `system_host_allowed`."""
    if not host:
        return True
    name = host_name(host)
    if name in names:
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def origin_allowed(origin: str | None, host: str | None, cfg: HubConfig,
                   scheme: str = "http") -> bool:
    """No Origin (a device) passes; else the request's own scheme://host or an allowed origin."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    if host and parts.scheme.lower() == scheme and parts.netloc.lower() == host.lower():
        return True
    normalized = f"{parts.scheme}://{parts.netloc}".lower()
    return any(normalized == o.rstrip("/").lower() for o in cfg.allowed_origins)


def presented_token(request: web.Request) -> str | None:
    """A client token from `Authorization: Bearer`, `X-Hub-Token` or `?token=`."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-Hub-Token") or request.query.get("token")


class FloodGuard:
    """Token buckets per source address and per presented token (by its digest)."""

    def __init__(self, cfg: HubConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.exempt = cfg.parsed_rate_limit_exempt
        self.by_address = KeyedBuckets(ADDRESS_RATE, ADDRESS_BURST)
        self.by_token = KeyedBuckets(TOKEN_RATE, TOKEN_BURST)
        self.clock = clock
        self.refused: dict[str, int] = {"address": 0, "token": 0}

    @staticmethod
    def token_key(token: str | None) -> str | None:
        """The key a token is limited under: its digest, so the token itself is never kept."""
        if not token:
            return None
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def exempts(self, remote: str | None) -> bool:
        """True for sources in `rate_limit_exempt` (loopback by default)."""
        return _in(remote, self.exempt)

    def check(self, remote: str | None, token_key: str | None) -> str | None:
        """None when allowed, else which limit refused it ("address" or "token")."""
        if self.exempts(remote):
            return None
        now = self.clock()
        if not self.by_address.allow(remote or "?", now):
            self.refused["address"] += 1
            return "address"
        if token_key is not None and not self.by_token.allow(token_key, now):
            self.refused["token"] += 1
            return "token"
        return None


def _refusal(code: str, message: str, status: int,
             headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers)


def rate_limited_response(scope: str) -> web.Response:
    return _refusal("rate_limited", f"too many requests from this {scope}; slow down", 429,
                    {"Retry-After": "1"})


def _is_limited(request: web.Request) -> bool:
    """Writes, WebSocket upgrades and every pairing call spend from the flood buckets."""
    return (request.method in _WRITE_METHODS
            or request.headers.get("Upgrade", "").lower() == "websocket"
            or request.path.startswith("/api/pairing"))


def _browser_write_refusal(request: web.Request, cfg: HubConfig) -> web.Response | None:
    """Cross-site writes are refused; a browser's own writes must be JSON (no simple POST)."""
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if origin is None and fetch_site is None:
        return None                                  # a device, not a browser
    if origin is not None and not origin_allowed(origin, request.headers.get("Host"), cfg,
                                                 request.scheme):
        return _refusal("forbidden", "origin not allowed", 403)
    if origin is None and fetch_site not in ("same-origin", "none"):
        return _refusal("forbidden", "cross-site request", 403)
    # A write without a body (a DELETE with a PIN header) carries nothing to mistype.
    if request.body_exists and request.content_type != "application/json":
        return _refusal("unsupported_media_type",
                        "browser writes must be sent as application/json", 415)
    return None


def make_guard_middleware(cfg: HubConfig, guard: FloodGuard | None = None, *,
                          writes: bool = True,
                          count: Callable[[str], None] = lambda _reason: None) -> Middleware:
    """Allowlist, Host check and (on the browser port, `writes`) write and flood checks.

    `count(reason)` is told of every refusal: host, origin, media_type, rate_address,
    rate_token (the allowlist has its own log line and no metric, as before).
    """
    names = own_host_names(cfg)
    # Both answers depend only on the string and this middleware's fixed config, and a
    # hub sees a few dozen peers under a few names: parsing them per request was ~6 % of a
    # poll's CPU. Bounded, so a flood of made-up Host headers only evicts entries. The
    # system host name is compared per request, outside the cache: first boot renames it.
    address_allowed = functools.lru_cache(maxsize=CHECK_CACHE)(
        lambda remote: remote_allowed(remote, cfg))
    known_host = functools.lru_cache(maxsize=CHECK_CACHE)(
        lambda host: fixed_host_allowed(host, names))

    @web.middleware
    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not address_allowed(request.remote):
            log.warning("refused %s %s from %s: not in allowed networks", request.method,
                        request.path, request.remote)
            return _refusal("forbidden", "your address is not allowed", 403)
        host = request.headers.get("Host")
        if not (known_host(host) or (host is not None and system_host_allowed(host))):
            log.warning("refused %s %s from %s: Host %r is not one of this hub's names",
                        request.method, request.path, request.remote, request.headers.get("Host"))
            count("host")
            return _refusal("forbidden", "unknown Host; add it to allowed_hosts", 403)
        if writes and request.method in _WRITE_METHODS:
            refusal = _browser_write_refusal(request, cfg)
            if refusal is not None:
                count("origin" if refusal.status == 403 else "media_type")
                return refusal
        if guard is not None and _is_limited(request):
            scope = guard.check(request.remote, guard.token_key(presented_token(request)))
            if scope is not None:
                count(f"rate_{scope}")
                return rate_limited_response(scope)
        return await handler(request)

    return guarded


def make_allowlist_middleware(cfg: HubConfig,
                              count: Callable[[str], None] = lambda _reason: None) -> Middleware:
    """The source and Host checks alone (the ops port: no writes, no browsers)."""
    return make_guard_middleware(cfg, writes=False, count=count)
