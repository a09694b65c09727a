"""Typed application state and the helpers every handler uses: JSON, clock, auth, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from central.config import CentralConfig
from central.core import credentials
from central.core.credentials import FailureThrottle
from central.core.proxies import client_address
from central.metrics import CentralMetrics
from central.realtime import Broadcaster
from central.store.accounts import AccountStore, AdminPrincipal
from central.store.catalog import CatalogStore
from central.store.dead_letters import DeadLetterStore
from central.store.fleet import FleetStore, HubPrincipal
from central.store.orders import OrderStore
from central.store.pairing import PairingStore
from central.store.summary import SummaryStore
from hub.supervisor import Supervisor
from outlet_protocol import fields
from outlet_protocol.errors import ProtocolError

log = logging.getLogger("central.web")
T = TypeVar("T")


@dataclass(frozen=True)
class Stores:
    """The query objects, created once the database is migrated."""

    fleet: FleetStore
    accounts: AccountStore
    catalog: CatalogStore
    orders: OrderStore
    display_secret: str
    dead_letters: DeadLetterStore
    pairing: PairingStore
    summary: SummaryStore


@dataclass(frozen=True)
class DisplayPrincipal:
    """A kitchen screen with an outlet's read-only display token."""

    outlet_id: int


Principal = AdminPrincipal | HubPrincipal | DisplayPrincipal

CONFIG = web.AppKey("config", CentralConfig)
STORES = web.AppKey("stores", Stores)
BROADCASTER = web.AppKey("broadcaster", Broadcaster)
# Central's long-lived tasks (realtime LISTEN, offline sweep) run under the hub's supervisor
# shell until both move to the shared package (issue 13 item 1).
SUPERVISOR = web.AppKey("supervisor", Supervisor)
METRICS = web.AppKey("metrics", CentralMetrics)
THROTTLE = web.AppKey("throttle", FailureThrottle)
AUTH_CACHE = web.AppKey("auth_cache", dict)

# Token → principal for this long, saving a query per hub request (2,000 hubs heartbeat
# every 15 s); a revoked token keeps working at most this long.
_AUTH_CACHE_SECONDS = 5.0


def now() -> float:
    """Wall clock, epoch seconds."""
    return time.time()


async def db(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking store call in a worker thread."""
    return await asyncio.to_thread(fn, *args)


def reply(body: Any, status: int = 200) -> web.Response:
    """A JSON response."""
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


async def body_json(request: web.Request) -> Any:
    """The request body as JSON, or ProtocolError invalid_json."""
    try:
        return fields.parse_json(await request.read())
    except fields.BoundsError:
        raise ProtocolError("invalid_json", "request body is not valid JSON") from None


def bearer(request: web.Request, allow_query: bool = False) -> str | None:
    """The bearer token of a request (query `token` only where browsers need it: WebSocket)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    if allow_query:
        return request.query.get("token") or None
    return None


def remote(request: web.Request) -> str:
    """The client's address for throttling and logs: X-Forwarded-For only from a trusted proxy."""
    return client_address(request.remote, request.headers.get("X-Forwarded-For"),
                          request.app[CONFIG].trusted_proxies)


def check_throttle(request: web.Request) -> None:
    """Refuse an address that failed too many credential checks recently."""
    if request.app[THROTTLE].blocked(remote(request), now()):
        raise ProtocolError("rate_limited", "too many failed attempts; try again later")


def record_failure(request: web.Request) -> None:
    """Count a failed credential check against the caller's address."""
    request.app[THROTTLE].failed(remote(request), now())


async def principal(request: web.Request, allow_query: bool = False) -> Principal | None:
    """Whoever the request's token identifies: admin, hub or display, or None."""
    token = bearer(request, allow_query)
    if token is None:
        return None
    cache: dict[str, tuple[float, Principal]] = request.app[AUTH_CACHE]
    key = credentials.digest(token)
    hit = cache.get(key)
    t = now()
    if hit is not None and hit[0] > t:
        return hit[1]
    stores = request.app[STORES]
    found: Principal | None = None
    if token.startswith(credentials.HUB):
        found = await db(stores.fleet.authenticate_hub, token)
    elif token.startswith(credentials.ADMIN):
        found = await db(stores.accounts.authenticate_admin, token, t)
    elif token.startswith(credentials.DISPLAY):
        outlet = credentials.display_token_outlet(stores.display_secret, token)
        found = None if outlet is None else DisplayPrincipal(outlet)
    if found is not None:
        if len(cache) > 50_000:
            cache.clear()
        cache[key] = (t + _AUTH_CACHE_SECONDS, found)
    return found


def forget_token(request: web.Request, token: str) -> None:
    """Drop a token from the auth cache (logout)."""
    request.app[AUTH_CACHE].pop(credentials.digest(token), None)


async def require_admin(request: web.Request) -> AdminPrincipal:
    """The admin calling, or 401."""
    who = await principal(request)
    if isinstance(who, AdminPrincipal):
        return who
    raise ProtocolError("unauthorized", "admin login required")


async def require_hub(request: web.Request) -> HubPrincipal:
    """The hub calling, or 401."""
    who = await principal(request)
    if isinstance(who, HubPrincipal):
        return who
    raise ProtocolError("unauthorized", "hub token required")


async def require_outlet_reader(request: web.Request, outlet_id: int | None,
                                allow_query: bool = False) -> Principal:
    """Admin, or the outlet's own hub or display token; 401 without, 403 for another outlet."""
    who = await principal(request, allow_query)
    if who is None:
        raise ProtocolError("unauthorized", "admin, hub or display token required")
    if isinstance(who, AdminPrincipal):
        return who
    if outlet_id is None:
        raise ProtocolError("validation_failed", "outlet_id is required for this token", "outlet_id")
    if who.outlet_id != outlet_id:
        raise ProtocolError("forbidden", f"this token does not grant access to outlet {outlet_id}")
    return who


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_and_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors for everything, and request timing by route template (bounded labels)."""
    started = time.perf_counter()
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    try:
        return await handler(request)
    except ProtocolError as exc:
        return reply(exc.body(), exc.status)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
                exc.status, "invalid_message")
            return reply({"error": {"code": code, "message": exc.reason}}, exc.status)
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return reply({"error": {"code": "internal", "message": "internal error; see the log"}},
                     500)
    finally:
        if route != "unmatched":
            request.app[METRICS].http.labels(route, request.method).observe(
                time.perf_counter() - started)
