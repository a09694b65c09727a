"""Hub ↔ central (docs/protocol.md §6): register, heartbeat, forwarded orders and status events."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from central.core import credentials, dead_letters, fleet
from central.core import orders as rules
from central.core.heartbeats import Beat
from central.store.fleet import HubPrincipal
from central.store.orders import seen_from_hub
from central.web.context import (
    BROADCASTER,
    CONFIG,
    HEARTBEATS,
    METRICS,
    STORES,
    bearer,
    body_json,
    check_throttle,
    db,
    now,
    record_failure,
    reply,
    require_hub,
)
from central.web.releases_api import target_for_hub
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import iso

routes = web.RouteTableDef()


def kitchen_status_event(hub: HubPrincipal, kitchens: int, hub_online: bool,
                         at: float) -> dict[str, Any]:
    """`kitchen_status_changed` for an outlet channel: kitchens the hub reported (0 once the
    hub itself stopped heartbeating, `hub_online` false)."""
    return {"outlet_id": hub.outlet_id, "event": "kitchen_status_changed", "origin_hub": None,
            "data": {"outlet_id": hub.outlet_id, "hub_id": hub.hub_id,
                     "kitchens_connected": kitchens,
                     "status": "online" if kitchens else "offline",
                     "hub_online": hub_online, "timestamp": iso(at)}}


@routes.post("/api/hubs/register")
async def register(request: web.Request) -> web.Response:
    """Enroll with a single-use token (answer carries hub_token once) or re-register."""
    check_throttle(request)
    body = await body_json(request)
    reg = fleet.parse_registration(body)
    enrollment = body.get("enrollment_token") if isinstance(body, dict) else None
    hub_token = (body.get("hub_token") if isinstance(body, dict) else None) or bearer(request)
    stores = request.app[STORES]
    try:
        new_token, outlet = await db(
            stores.fleet.register, reg,
            enrollment if isinstance(enrollment, str) else None,
            hub_token if isinstance(hub_token, str) else None, now())
    except ProtocolError as exc:
        if exc.code in ("unauthorized", "forbidden"):
            record_failure(request)
        raise
    answer: dict[str, Any] = {
        "hub_id": reg.hub_id,
        "outlet": outlet,
        "menu_version": await db(stores.catalog.current_version),
        "display_token": credentials.display_token(stores.display_secret, reg.outlet_id),
        "heartbeat_interval_seconds": request.app[CONFIG].hub_offline_after / 3,
        "server_time": iso(now()),
    }
    if new_token is not None:
        answer["hub_token"] = new_token
    if stores.pki is not None:
        answer["ca_fingerprint"] = await db(stores.pki.active_fingerprint, now())
    return reply(answer)


@routes.post("/api/hubs/heartbeat")
async def heartbeat(request: web.Request) -> web.Response:
    """Store the hub's health snapshot; answer with central's clock, menu version and the
    outlet's locale and currency (a change at HQ reaches the hub within one heartbeat).

    No per-request query: the token is checked by digest inside the heartbeat batch, and
    the answer waits for that batch's commit (docs/decisions/0710).
    """
    token = bearer(request)
    if token is None or not token.startswith(credentials.HUB) or len(token) > 256:
        raise ProtocolError("unauthorized", "hub token required")
    stores = request.app[STORES]
    snapshot = fleet.parse_heartbeat(await body_json(request))
    received = now()
    outcome, menu_version = await request.app[HEARTBEATS].submit(
        Beat(credentials.digest(token), snapshot, received))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.hub_id is not None and outcome.outlet_id is not None
    hub = HubPrincipal(outcome.hub_id, outcome.outlet_id)
    if outcome.kitchens_changed is not None:
        await request.app[BROADCASTER].publish([kitchen_status_event(
            hub, outcome.kitchens_changed, hub_online=True, at=received)])
    answer: dict[str, Any] = {"server_time": iso(now()), "menu_version": menu_version,
                              "outlet": await db(stores.fleet.outlet_settings, hub.outlet_id)}
    if stores.pki is not None:
        # The hub renews when its certificate is from another CA (a rotation) — decision 1001.
        answer["ca_fingerprint"] = await db(stores.pki.active_fingerprint, now())
    target = await target_for_hub(request, hub)
    if target is not None:
        answer["update"] = target
    return reply(answer)


@routes.post("/api/hubs/orders")
async def hub_orders(request: web.Request) -> web.Response:
    """Idempotent ingestion by uuid: created | duplicate | conflict | invalid per order."""
    hub = await require_hub(request)
    batch = rules.batch(await body_json(request), "orders")
    outcome = await db(request.app[STORES].orders.ingest, hub.hub_id, hub.outlet_id, batch, now())
    for result, n in outcome.counts.items():
        request.app[METRICS].orders.labels(result).inc(n)
    await request.app[BROADCASTER].publish(outcome.events)
    return reply({"results": outcome.results})


@routes.post("/api/hubs/order-events")
async def hub_order_events(request: web.Request) -> web.Response:
    """Idempotent by (uuid, rev): applied | duplicate | unknown_order | invalid per event."""
    hub = await require_hub(request)
    batch = rules.batch(await body_json(request), "events")
    outcome = await db(request.app[STORES].orders.apply_events, hub.hub_id, hub.outlet_id,
                       batch, now())
    for result, n in outcome.counts.items():
        request.app[METRICS].events.labels(result).inc(n)
    await request.app[BROADCASTER].publish(outcome.events)
    return reply({"results": outcome.results})


@routes.post("/api/hubs/dead-letters")
async def hub_dead_letters(request: web.Request) -> web.Response:
    """Orders the hub set aside for good, with the reason; idempotent by (source, key)."""
    hub = await require_hub(request)
    items = dead_letters.parse_report(await body_json(request))
    stored = await db(request.app[STORES].dead_letters.record, hub.hub_id, hub.outlet_id, items,
                      now())
    request.app[METRICS].dead_letters.inc(stored)
    return reply({"stored": stored, "received": len(items)})


@routes.get("/api/hubs/seen")
async def seen(request: web.Request) -> web.Response:
    """{order_id, rev}: the highest the calling hub's orders reached at central (restore floor)."""
    hub = await require_hub(request)
    stores = request.app[STORES]
    return reply({"hub_id": hub.hub_id,
                  **await db(seen_from_hub, stores.orders.engine, hub.hub_id)})
