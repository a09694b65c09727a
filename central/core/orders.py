"""Orders at central: hub batches, status events and online carts, over the shared model.

Orders arrive two ways — forwarded by a hub (`/api/hubs/orders`) or placed online as a cart
(`/api/public/order-groups/`) — and a cart order also travels central → hub → central again
through the hub's outbox. Validation, fingerprint and the ingest decision are
`outlet_protocol.orders`, the hub's own; this module only adds what is central's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from outlet_protocol import fields, pricing
from outlet_protocol import orders as protocol
from outlet_protocol.errors import ProtocolError, invalid
from outlet_protocol.orders import KEY_RE, ORDER_TYPES, STATUSES, is_reserved_uuid

# A number a kiosk printed on the receipt ("K1-0042"): read aloud and shown on boards, so
# letters, digits and a few separators only — no spaces, markup or control characters.
ORDER_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,63}$")
MAX_BATCH = 1000

EventResult = Literal["applied", "duplicate", "unknown_order", "invalid"]


def canonical_order(raw: Any, outlet_id: int) -> dict[str, Any]:
    """A hub's forwarded copy in central's stored shape: the shared validation (any status,
    `created_at` kept as sent) plus the hub's own id and rev. Raises ProtocolError."""
    order = protocol.normalize_order(raw, outlet_id, source="hub", now_iso=None, any_status=True)
    order["hub_order_id"] = fields.optional_integer(raw.get("id"), "id")
    order["hub_rev"] = fields.optional_integer(raw.get("rev"), "rev")
    return order


def batch(raw: Any, key: str) -> list[Any]:
    """The list under `key` of a hub batch body, bounded to MAX_BATCH entries."""
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise invalid(key, f"body must be an object with a list under {key!r}")
    items: list[Any] = raw[key]
    if len(items) > MAX_BATCH:
        raise ProtocolError("too_large", f"at most {MAX_BATCH} {key} per batch", key)
    return items


@dataclass(frozen=True)
class StatusEvent:
    """One status change a hub reports; idempotent by (uuid, rev)."""

    uuid: str
    rev: int
    status: str
    from_status: str | None
    at: str
    by: str | None
    reason: str | None


def parse_event(raw: Any) -> StatusEvent:
    """Validate one entry of `/api/hubs/order-events` or raise ProtocolError."""
    if not isinstance(raw, dict):
        raise invalid("event", "event must be an object")
    uuid = raw.get("uuid")
    if not isinstance(uuid, str) or not KEY_RE.match(uuid):
        raise invalid("uuid", "uuid must be 1-100 characters of letters, digits and :._-")
    status = raw.get("status")
    if status not in STATUSES:
        raise invalid("status", f"status must be one of {', '.join(STATUSES)}")
    from_status = raw.get("from_status")
    if from_status is not None and from_status not in STATUSES:
        raise invalid("from_status", f"from_status must be one of {', '.join(STATUSES)}")
    at = raw.get("at")
    return StatusEvent(
        uuid=uuid, rev=fields.integer(raw.get("rev"), "rev"), status=str(status),
        from_status=from_status,
        at=fields.iso(fields.timestamp_field(at, "at")) if at else "",
        by=fields.text(raw.get("by"), "by", 100, default=None),
        reason=fields.text(raw.get("reason"), "reason", 200, default=None),
    )


def status_event_name(status: str) -> str:
    """The outlet channel event (seed names) for a status change."""
    return {"completed": "order_completed", "cancelled": "order_cancelled"}.get(
        status, "order_updated")


@dataclass(frozen=True)
class CartLine:
    """One line of an online cart; the price comes from master data, never from here."""

    product_id: int
    qty: int
    modifiers: list[str]
    notes: str


@dataclass(frozen=True)
class Cart:
    """A parsed `/api/public/order-groups/` body."""

    outlet_id: int
    lines: list[CartLine]
    customer_name: str
    order_type: str
    table: str | None
    notes: str
    client_uuid: str | None
    tenant_uuids: dict[int, str]
    tenant_order_numbers: dict[int, str] = field(default_factory=dict)


def _tenant_map(raw: Any, name: str, pattern: re.Pattern[str], what: str) -> dict[int, str]:
    """A `{tenant_id: string}` body field (`uuids`, `order_numbers`), every value matching."""
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        raise invalid(name, f"{name} must map tenant_id to {what}")
    out: dict[int, str] = {}
    for key, item in value.items():
        if not isinstance(item, str) or not pattern.match(item):
            raise invalid(name, f"every {what} in {name} must be {_RULES[name]}")
        out[fields.integer(key, name)] = item
    return out


_RULES = {
    "uuids": "1-100 characters of letters, digits, :._-",
    "order_numbers": "1-64 characters of letters, digits, ._:#/- (starting with a letter "
                     "or digit)",
}


def parse_cart(raw: Any) -> Cart:
    """Validate an online cart or raise ProtocolError; client prices are ignored."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be an object")
    lines = []
    for where, item in protocol.item_objects(raw.get("items")):
        choices = protocol.item_choices(item, where)
        lines.append(CartLine(
            product_id=fields.integer(item.get("product_id"), f"{where}.product_id"),
            qty=choices["qty"], modifiers=choices["modifiers"], notes=choices["notes"] or "",
        ))
    order_type = raw.get("order_type") or "dine_in"
    if order_type not in ORDER_TYPES:
        raise invalid("order_type", f"order_type must be one of {', '.join(ORDER_TYPES)}")
    client_uuid = raw.get("client_uuid")
    if client_uuid is not None and (not isinstance(client_uuid, str)
                                    or not KEY_RE.match(client_uuid) or len(client_uuid) > 80):
        raise invalid("client_uuid", "client_uuid must be 1-80 characters of letters, digits, :._-")
    tenant_uuids = _tenant_map(raw, "uuids", KEY_RE, "uuid")
    # `legacy:<outlet>:<number>` is what a hub derives for a seed order sent without a uuid;
    # a public cart choosing it would squat a seed kiosk's next order number (decision 0620).
    if client_uuid is not None and is_reserved_uuid(client_uuid):
        raise invalid("client_uuid", "client_uuid must not start with legacy: (reserved)")
    if any(is_reserved_uuid(u) for u in tenant_uuids.values()):
        raise invalid("uuids", "uuids must not start with legacy: (reserved)")
    tenant_numbers = _tenant_map(raw, "order_numbers", ORDER_NUMBER_RE, "order number")
    return Cart(
        outlet_id=fields.integer(raw.get("outlet_id"), "outlet_id"),
        lines=lines,
        customer_name=fields.text(raw.get("customer_name"), "customer_name", 100) or "",
        order_type=order_type,
        table=fields.text(raw.get("table"), "table", 20, default=None),
        notes=fields.text(raw.get("notes"), "notes", 1000) or "",
        client_uuid=client_uuid,
        tenant_uuids=tenant_uuids,
        tenant_order_numbers=tenant_numbers,
    )


def split_cart(cart: Cart, products: dict[int, dict[str, Any]],
               tenants: dict[int, dict[str, Any]], new_uuid: str,
               now: datetime, promotions: list[dict[str, Any]] | None = None,
               sold_out: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """One canonical order per tenant, priced from `products` (id → {name, price, tenant_id,
    station?}) less the best of `promotions` active at `now` (the kiosk's rule, see
    outlet_protocol.pricing) plus the chosen options' deltas; `tenants` maps id → {name,
    outlet_id}. Raises ProtocolError for an unknown, unavailable or `sold_out` product, one
    sold at another outlet, or options the product does not offer (a note is never refused: it costs nothing,
    and `allow_notes` only decides whether the kiosk offers the field).

    Per-tenant uuids: `uuids[tenant_id]` if given, else `<client_uuid>:<tenant_id>` so a
    kiosk resending one cart gets the same orders back, else `<new_uuid>:<tenant_id>`.
    Order numbers: `order_numbers[tenant_id]` (the kiosk's receipt number) if given, else
    `W-` + 6 hex of the uuid.
    """
    by_tenant: dict[int, list[dict[str, Any]]] = {}
    for i, line in enumerate(cart.lines):
        product = products.get(line.product_id)
        if product is None or not product.get("is_available", True):
            raise invalid(f"items[{i}].product_id", f"product {line.product_id} is not available")
        tenant = tenants.get(product["tenant_id"])
        if tenant is None or tenant["outlet_id"] != cart.outlet_id:
            raise invalid(f"items[{i}].product_id",
                          f"product {line.product_id} is not sold at outlet {cart.outlet_id}")
        if sold_out and line.product_id in sold_out:
            raise invalid(f"items[{i}].product_id", f"product {line.product_id} is sold out")
        priced = pricing.best_price(dict(product, id=line.product_id), promotions or [], now)
        try:
            extra = pricing.modifier_cents(product, line.modifiers)
        except pricing.ChoiceError as exc:
            raise invalid(f"items[{i}].modifiers", str(exc)) from None
        item: dict[str, Any] = {
            "product_id": line.product_id, "name": product["name"], "qty": line.qty,
            "price": pricing.money_from_cents(priced.unit_cents + extra), "modifiers": line.modifiers,
            "notes": line.notes, "station": product.get("station"),
        }
        if priced.promotion_id is not None:
            item["promotion_id"] = priced.promotion_id
        by_tenant.setdefault(product["tenant_id"], []).append(item)
    orders = []
    group = cart.client_uuid or new_uuid
    for tenant_id in sorted(by_tenant):
        uuid = cart.tenant_uuids.get(tenant_id) or f"{group}:{tenant_id}"
        items = by_tenant[tenant_id]
        orders.append({
            "uuid": uuid,
            "order_number": cart.tenant_order_numbers.get(tenant_id) or online_order_number(uuid),
            "outlet_id": cart.outlet_id,
            "tenant_id": tenant_id,
            "tenant_name": tenants[tenant_id]["name"],
            "status": "pending",
            "items": items,
            "total_amount": protocol.line_total(items),
            "order_type": cart.order_type,
            "table": cart.table,
            "customer_name": cart.customer_name,
            "notes": cart.notes,
            "source": "central",
            "created_at": fields.iso(now),
            "hub_order_id": None,
            "hub_rev": None,
        })
    return orders


def online_order_number(uuid: str) -> str:
    """A short number a cook can call out, derived from the uuid so retries keep it."""
    return "W-" + hashlib.sha256(uuid.encode()).hexdigest()[:6].upper()
