"""Order reads for admins, hubs and kitchen screens, and the public online cart."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime

from aiohttp import web

from central.core import orders as rules
from central.web.context import (
    BROADCASTER,
    STORES,
    body_json,
    db,
    now,
    reply,
    require_admin,
    require_outlet_reader,
)
from outlet_protocol import fields
from outlet_protocol.errors import ProtocolError, invalid

routes = web.RouteTableDef()
_MAX_LIMIT = 1000


@routes.get("/api/orders/")
@routes.get("/api/orders")
async def list_orders(request: web.Request) -> web.Response:
    """{"orders": [...], "last_id": n}, ascending by central id; `origin`, `limit` filters."""
    q = request.query
    outlet = fields.optional_integer(q.get("outlet_id"), "outlet_id")
    await require_outlet_reader(request, outlet)
    origin = q.get("origin") or None
    if origin not in (None, "hub", "central"):
        raise invalid("origin", "origin must be hub or central")
    since = fields.integer(q.get("since_id") or 0, "since_id", minimum=0)
    limit = fields.integer(q.get("limit") or 500, "limit", maximum=_MAX_LIMIT)
    return reply(await db(request.app[STORES].orders.list_orders, outlet, since, origin, limit))


@routes.get("/api/orders/{uuid}/")
async def get_order(request: web.Request) -> web.Response:
    """One order by uuid with its status history (admin)."""
    await require_admin(request)
    return reply(await db(request.app[STORES].orders.get_order, request.match_info["uuid"]))


@routes.post("/api/public/order-groups/")
@routes.post("/api/public/order-groups")
async def order_group(request: web.Request) -> web.Response:
    """Split a cart into one order per tenant at master-data prices less active promotions
    (the kiosk's rule); idempotent with uuids; `order_numbers` keeps the kiosk's numbers.

    201 {group_id, orders, duplicate: false}; a resent cart 200 with duplicate: true.
    """
    cart = rules.parse_cart(await body_json(request))
    stores = request.app[STORES]
    if not await db(stores.fleet.outlet_exists, cart.outlet_id):
        raise ProtocolError("not_found", f"outlet {cart.outlet_id} does not exist", "outlet_id")
    products, tenants = await db(stores.catalog.priced, [ln.product_id for ln in cart.lines])
    promotions = await db(stores.catalog.cart_promotions, list(products),
                          sorted({p["tenant_id"] for p in products.values()}))
    group_id = cart.client_uuid or str(uuidlib.uuid4())
    sold_out = await db(stores.fleet.sold_out, cart.outlet_id)
    orders = rules.split_cart(cart, products, tenants, group_id, datetime.now(UTC), promotions,
                              sold_out)
    outcome, duplicate = await db(stores.orders.create_group, orders, now())
    await request.app[BROADCASTER].publish(outcome.events)
    return reply({"group_id": group_id, "orders": outcome.results, "duplicate": duplicate},
                 200 if duplicate else 201)
