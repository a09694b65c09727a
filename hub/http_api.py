"""HTTP adapter on the WebSocket port (docs/protocol.md §3): polling, the change feed, writes, outlet info."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Connection

from hub import today
from hub.access import guard, tenant_scope
from hub.context import CTX, HubContext
from hub.core.pairing import READ, SUBMIT, UPDATE_STATUS
from hub.poll_cache import PollCache
from hub.store import OrderStore, row_to_json
from outlet_protocol import fields, pricing
from outlet_protocol.errors import ProtocolError
from outlet_protocol.feed import CLIENT_TYPES, parse_tenant_ids

log = logging.getLogger(__name__)

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000
INLINE_ROWS = 32             # polls finding fewer rows are answered on the loop thread
MENU_KINDS = ("products", "categories", "promotions", "tenants")
POLL_CACHE = web.AppKey("poll_cache", PollCache)


def error_response(exc: ProtocolError) -> web.Response:
    return web.json_response({"error": exc.to_payload()}, status=exc.http_status)


@web.middleware
async def protocol_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every refusal is `{"error": {code, message, field}}` with a fitting status."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ProtocolError as exc:
        return error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        return error_response(ProtocolError("too_large", "request body over 256 KiB"))


def _query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return fields.query_int(raw)
    except fields.BoundsError:
        raise ProtocolError("validation_failed", f"{name} must be a non-negative integer "
                            f"up to {fields.MAX_INT}", name) from None


def _tenants(request: web.Request) -> frozenset[int]:
    try:
        return parse_tenant_ids(request.query.getall("tenant_id", []) +
                                request.query.getall("tenant_ids", []))
    except ValueError as exc:
        raise ProtocolError("validation_failed", str(exc), "tenant_id") from None


def _check_outlet(ctx: HubContext, request: web.Request) -> None:
    outlet = _query_int(request, "outlet_id")
    if outlet is not None and outlet != ctx.cfg.outlet_id:
        raise ProtocolError("outlet_mismatch",
                            f"this hub serves outlet {ctx.cfg.outlet_id}, not {outlet}", "outlet_id")


async def _json_body(request: web.Request) -> Any:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ProtocolError("too_large", "request body over 256 KiB") from None
    try:
        return fields.parse_json(raw)
    except fields.BoundsError:
        raise ProtocolError("invalid_json", "body is not valid JSON") from None


def _label(value: Any, default: str) -> str:
    """A client-chosen name (client_id, by) that is safe to store and show, else `default`."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return default
    text = str(value)[:100]
    try:
        return fields.bounded_text(text, 100) or default
    except fields.BoundsError:
        return default


async def list_orders(request: web.Request) -> web.Response:
    """Seed polling (`since_id`) and the change feed (`since_rev`, with `X-Last-Rev`)."""
    ctx = request.app[CTX]
    guard(request, READ)
    _check_outlet(ctx, request)
    tenants = tenant_scope(request, _tenants(request))
    limit = min(_query_int(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    client_type = request.query.get("client_type", "kitchen")
    if client_type not in CLIENT_TYPES:
        raise ProtocolError("validation_failed", "unknown client_type", "client_type")
    client_id = _label(request.query.get("client_id"), f"poll-{request.remote}")
    ctx.seen_poller(client_id, client_type, request.remote or "?", sorted(tenants))
    ctx.metrics.polls.inc()
    since_rev = _query_int(request, "since_rev")
    # Every rev up to `floor` was committed before the read below starts, so it is in the
    # read's snapshot: resuming from it can never skip a change.
    floor = ctx.store.committed_rev
    since_id = 0 if since_rev is not None else _query_int(request, "since_id", 0) or 0
    # Between two commits the same question has the same answer (hub/poll_cache.py).
    cache, generation = request.app[POLL_CACHE], ctx.store.commits
    key = (since_rev, since_id, tenants, limit)
    hit = cache.get(generation, key)
    if hit is not None:
        body, last = hit
    elif since_rev is not None:
        count, last_row, body = await _read_page(
            ctx, lambda c, n: _page(OrderStore.rows_since_rev(c, since_rev, tenants, n)), limit)
        last = last_row if count == limit else max(floor, since_rev, last_row)
    else:
        count, last_row, body = await _read_page(
            ctx, lambda c, n: _page(OrderStore.rows_since_id(c, since_id, tenants, n)), limit)
        last = max(floor, last_row)
    if hit is None and ctx.store.commits == generation:
        cache.put(generation, key, body, last)
    return web.Response(text=body, content_type="application/json",
                        headers={"X-Last-Rev": str(last), "Cache-Control": "no-store"})


async def _read_page(ctx: HubContext, query: Callable[[Connection, int], tuple[int, int, str]],
                     limit: int) -> tuple[int, int, str]:
    """A poll usually finds a few rows: try a small page on the loop, else go to a thread."""
    if limit > INLINE_ROWS:
        count, last_row, body = ctx.store.read_now(lambda c: query(c, INLINE_ROWS))
        if count < INLINE_ROWS:
            return count, last_row, body
    else:
        return ctx.store.read_now(lambda c: query(c, limit))
    return await ctx.store.read(lambda c: query(c, limit))


def _page(rows: list[Any]) -> tuple[int, int, str]:
    """(row count, highest rev among them, JSON array text) — built in the reader thread."""
    top = max((r.rev for r in rows), default=0)
    return len(rows), top, "[" + ",".join(row_to_json(r) for r in rows) + "]"


def unwrap_order(body: Any) -> Any:
    """Accept the order itself, `{order: …}`, `{payload: …}` or `{data: …}` (seed clients vary)."""
    if isinstance(body, dict):
        for key in ("order", "payload", "data"):
            if isinstance(body.get(key), dict) and "order_number" not in body:
                return body[key]
    return body


async def post_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    authorized = guard(request, SUBMIT)
    body = unwrap_order(await _json_body(request))
    ack = await ctx.intake.submit(body, transport="http", source="http", authorized=authorized)
    return web.json_response(ack, status=200 if ack["duplicate"] else 201)


async def patch_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    authorized = guard(request, UPDATE_STATUS)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise ProtocolError("validation_failed", "body must be an object", "status")
    body = dict(body, uuid=request.match_info["key"])
    by = _label(request.query.get("client_id") or body.get("by"), f"http-{request.remote}")
    result = await ctx.intake.update(body, by=by, authorized=authorized)
    order = result["order"]
    order["unchanged"] = result["unchanged"]
    return web.json_response(order)


async def get_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    guard(request, READ)
    key = request.match_info["key"]
    order = await ctx.store.read(lambda c: OrderStore.order_by_key(c, key))
    if order is None:
        raise ProtocolError("not_found", f"no order {key}", "uuid")
    return web.json_response(order)


async def outlet_info(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    tenants, _, _ = await ctx.store.read(lambda c: OrderStore.menu_since(c, "tenants", 0, 10000))
    body: dict[str, Any] = {
        "outlet_id": ctx.cfg.outlet_id, "name": ctx.cfg.outlet_name or f"Outlet {ctx.cfg.outlet_id}",
        "hub_id": ctx.cfg.effective_hub_id, "websocket_url": ctx.websocket_url,
        "tenants": tenants, "menu_version": ctx.state.menu_version, "version": ctx.version,
        "enrolled": ctx.state.enrolled, "central_url": ctx.cfg.central_url or None,
        "central": ctx.state.central, "addresses": ctx.addresses,
        "notice": ctx.cfg.notice or None, "pairing": ctx.cfg.pairing,
        "locale": ctx.outlet_locale(), "currency": ctx.outlet_currency(),
        "day_starts_at": ctx.outlet_day_starts_at(),
    }
    if ctx.display_token:
        body["display_token"] = ctx.display_token
    return web.json_response(body)


async def hub_status(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    day, since, until = today.window(ctx.outlet_day_starts_at(), datetime.now(UTC))
    figures = await ctx.store.read(lambda c: today.counts(c, since, until))
    tls, tls_reasons = ctx.tls_status()
    body = ctx.state.snapshot() | {
        "today": figures | {"business_day": day, "since": since},
        "outlet_id": ctx.cfg.outlet_id, "hub_id": ctx.cfg.effective_hub_id, "version": ctx.version,
        "clients": ctx.client_counts(), "last_rev": ctx.store.last_rev,
        "oldest_unsynced_age_seconds": ctx.state.oldest_unsynced_age,
        "enrolled": ctx.state.enrolled,
        "reasons": ctx.state.degraded_reasons() + ctx.supervisor.reasons() + tls_reasons,
        "tasks": ctx.supervisor.snapshot(), "tls": tls,
        "uptime": round(ctx.uptime(), 3), "notice": ctx.cfg.notice or None,
    }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def master_data(request: web.Request) -> web.Response:
    """The menu cached from central, in central's own shape, so kiosks sell offline."""
    ctx = request.app[CTX]
    kind = request.match_info["kind"]
    if kind not in MENU_KINDS:
        raise ProtocolError("not_found", f"no master data called {kind}", "kind")
    since = _query_int(request, "since_version", 0) or 0
    items, deleted, has_more = await ctx.store.read(
        lambda c: OrderStore.menu_since(c, kind, since, 20000))
    if kind == "promotions" and request.query.get("active") in ("1", "true"):
        items = pricing.active_promotions(items, datetime.now(UTC))
    return web.json_response({kind: items, "deleted": deleted,
                              "current_version": ctx.state.menu_version, "has_more": has_more})


def add_routes(app: web.Application) -> None:
    app[POLL_CACHE] = PollCache()
    app.router.add_get("/api/orders", list_orders)
    app.router.add_post("/api/orders", post_order)
    app.router.add_post("/emit", post_order)
    app.router.add_get("/api/orders/{key}", get_order)
    app.router.add_patch("/api/orders/{key}", patch_order)
    app.router.add_get("/api/outlet", outlet_info)
    app.router.add_get("/api/status", hub_status)
    app.router.add_get("/api/master-data/{kind}", master_data)
