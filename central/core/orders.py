"""Orders at central: the canonical shape, the idempotency fingerprint, status events, carts.

Orders arrive two ways — forwarded by a hub (`/api/hubs/orders`) or placed online as a cart
(`/api/public/order-groups/`) — and a cart order also travels central → hub → central again
through the hub's outbox. All three must be recognised as the same order, so both paths go
through `canonical_order` and `fingerprint` looks only at what was ordered.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from central.core import fields
from central.core import promotions as promo_rules
from central.core.errors import ApiError, invalid

STATUSES = ("pending", "preparing", "ready", "completed", "cancelled")
ORDER_TYPES = ("dine_in", "takeaway", "delivery")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")
_SOURCE_RE = re.compile(r"^[a-z0-9_-]{1,32}$")
# A number a kiosk printed on the receipt ("K1-0042"): read aloud and shown on boards, so
# letters, digits and a few separators only — no spaces, markup or control characters.
ORDER_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,63}$")
MAX_ITEMS = 200
MAX_BATCH = 1000

IngestResult = Literal["created", "duplicate", "conflict", "invalid"]
EventResult = Literal["applied", "duplicate", "unknown_order", "invalid"]


def _item(raw: Any, index: int) -> dict[str, Any]:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        raise invalid(where, f"{where} must be an object")
    product_id = raw.get("product_id")
    if product_id is not None and (isinstance(product_id, bool)
                                   or not isinstance(product_id, int | str)
                                   or len(str(product_id)) > 64):
        raise invalid(f"{where}.product_id", "product_id must be an integer or short string")
    modifiers = raw.get("modifiers") or []
    if not isinstance(modifiers, list) or len(modifiers) > 20:
        raise invalid(f"{where}.modifiers", "modifiers must be a list of at most 20 strings")
    return {
        "product_id": product_id,
        "name": fields.required_text(raw.get("name"), f"{where}.name", 200),
        "qty": fields.integer(raw.get("qty", raw.get("quantity")), f"{where}.qty", maximum=999),
        "price": fields.money(raw.get("price", "0"), f"{where}.price"),
        "modifiers": [fields.required_text(m, f"{where}.modifiers", 100) for m in modifiers],
        "notes": fields.text(raw.get("notes"), f"{where}.notes", 500),
        "station": fields.text(raw.get("station"), f"{where}.station", 50, default=None),
    }


def canonical_order(raw: Any, outlet_id: int) -> dict[str, Any]:
    """Validate an order (docs/protocol.md §1, hub fields allowed) into central's stored shape.

    Raises ApiError; `outlet_id` is the outlet the sender may write to.
    """
    if not isinstance(raw, dict):
        raise invalid("order", "order must be an object")
    order_number = fields.required_text(raw.get("order_number"), "order_number", 64)
    if raw.get("outlet_id") is not None:
        claimed = fields.integer(raw.get("outlet_id"), "outlet_id")
        if claimed != outlet_id:
            raise ApiError("outlet_mismatch", f"this hub serves outlet {outlet_id}, not {claimed}",
                           "outlet_id")
    uuid = raw.get("uuid") or f"legacy:{outlet_id}:{order_number}"
    if not isinstance(uuid, str) or not KEY_RE.match(uuid):
        raise invalid("uuid", "uuid must be 1-100 characters of letters, digits and :._-")
    status = raw.get("status") or "pending"
    if status not in STATUSES:
        raise invalid("status", f"status must be one of {', '.join(STATUSES)}")
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise invalid("items", "items must be a non-empty list")
    if len(items_raw) > MAX_ITEMS:
        raise invalid("items", f"at most {MAX_ITEMS} items per order")
    items = [_item(it, i) for i, it in enumerate(items_raw)]
    if raw.get("total_amount") is None:
        total = line_total(items)
    else:
        total = fields.money(raw.get("total_amount"), "total_amount")
    order_type = raw.get("order_type") or "dine_in"
    if order_type not in ORDER_TYPES:
        raise invalid("order_type", f"order_type must be one of {', '.join(ORDER_TYPES)}")
    source = raw.get("source") or "hub"
    if not isinstance(source, str) or not _SOURCE_RE.match(source):
        raise invalid("source", "source must be a short lowercase word")
    created = raw.get("created_at")
    return {
        "uuid": uuid,
        "order_number": order_number,
        "outlet_id": outlet_id,
        "tenant_id": fields.optional_integer(raw.get("tenant_id"), "tenant_id"),
        "tenant_name": fields.text(raw.get("tenant_name"), "tenant_name", 100, default=None),
        "status": status,
        "items": items,
        "total_amount": total,
        "order_type": order_type,
        "table": fields.text(raw.get("table"), "table", 20, default=None),
        "customer_name": fields.text(raw.get("customer_name"), "customer_name", 100),
        "notes": fields.text(raw.get("notes"), "notes", 1000),
        "source": source,
        "created_at": fields.iso(fields.timestamp(created, "created_at")) if created else None,
        "hub_order_id": fields.optional_integer(raw.get("id"), "id"),
        "hub_rev": fields.optional_integer(raw.get("rev"), "rev"),
    }


def line_total(items: list[dict[str, Any]]) -> str:
    """Sum of price x qty as a canonical decimal string."""
    total = sum((Decimal(it["price"]) * it["qty"] for it in items), Decimal(0))
    return fields.money(format(total, "f"), "total_amount")


def _blank(value: Any) -> Any:
    return "" if value is None else value


def fingerprint(order: dict[str, Any]) -> str:
    """Digest of what was ordered; equal digests under one uuid mean a retry, not a new order.

    Ignores how the order travelled (status, rev, id, source, timestamps, acknowledgements)
    and the hub's cosmetic additions (tenant_name, station), and treats null and "" alike,
    because the hub and central normalise optional text differently.
    """
    content = {
        "order_number": order.get("order_number"),
        "outlet_id": order.get("outlet_id"),
        "tenant_id": order.get("tenant_id"),
        "total_amount": order.get("total_amount"),
        "order_type": order.get("order_type") or "dine_in",
        "table": _blank(order.get("table")),
        "customer_name": _blank(order.get("customer_name")),
        "notes": _blank(order.get("notes")),
        "items": [
            {"product_id": None if it.get("product_id") is None else str(it["product_id"]),
             "name": it.get("name"), "qty": it.get("qty"), "price": it.get("price"),
             "modifiers": list(it.get("modifiers") or []), "notes": _blank(it.get("notes"))}
            for it in order.get("items", [])
        ],
    }
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def ingest_decision(stored_fingerprint: str | None, incoming_fingerprint: str) -> IngestResult:
    """created when unseen, duplicate when the same content, conflict when it differs."""
    if stored_fingerprint is None:
        return "created"
    return "duplicate" if stored_fingerprint == incoming_fingerprint else "conflict"


def batch(raw: Any, key: str) -> list[Any]:
    """The list under `key` of a hub batch body, bounded to MAX_BATCH entries."""
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise invalid(key, f"body must be an object with a list under {key!r}")
    items: list[Any] = raw[key]
    if len(items) > MAX_BATCH:
        raise ApiError("too_large", f"at most {MAX_BATCH} {key} per batch", key)
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
    """Validate one entry of `/api/hubs/order-events` or raise ApiError."""
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
        at=fields.iso(fields.timestamp(at, "at")) if at else "",
        by=fields.text(raw.get("by"), "by", 100, default=None),
        reason=fields.text(raw.get("reason"), "reason", 200, default=None),
    )


def event_applies(current_rev: int | None, event_rev: int) -> bool:
    """A status event moves the order only when it is newer than the last one applied.

    Events may arrive out of order (a retried batch after a newer one); the hub's rev is
    strictly increasing, so the highest rev is the hub's current truth.
    """
    return current_rev is None or event_rev > current_rev


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
    """Validate an online cart or raise ApiError; client prices are ignored."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be an object")
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        raise invalid("items", "items must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise invalid("items", f"at most {MAX_ITEMS} items per cart")
    lines = []
    for i, it in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(it, dict):
            raise invalid(where, f"{where} must be an object")
        mods = it.get("modifiers") or []
        if not isinstance(mods, list) or len(mods) > 20:
            raise invalid(f"{where}.modifiers", "modifiers must be a list of at most 20 strings")
        lines.append(CartLine(
            product_id=fields.integer(it.get("product_id"), f"{where}.product_id"),
            qty=fields.integer(it.get("qty", it.get("quantity")), f"{where}.qty", maximum=999),
            modifiers=[fields.required_text(m, f"{where}.modifiers", 100) for m in mods],
            notes=fields.text(it.get("notes"), f"{where}.notes", 500) or "",
        ))
    order_type = raw.get("order_type") or "dine_in"
    if order_type not in ORDER_TYPES:
        raise invalid("order_type", f"order_type must be one of {', '.join(ORDER_TYPES)}")
    client_uuid = raw.get("client_uuid")
    if client_uuid is not None and (not isinstance(client_uuid, str)
                                    or not KEY_RE.match(client_uuid) or len(client_uuid) > 80):
        raise invalid("client_uuid", "client_uuid must be 1-80 characters of letters, digits, :._-")
    tenant_uuids = _tenant_map(raw, "uuids", KEY_RE, "uuid")
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
               ) -> list[dict[str, Any]]:
    """One canonical order per tenant, priced from `products` (id → {name, price, tenant_id,
    station?}) less the best of `promotions` active at `now` (the kiosk's rule, see
    core.promotions); `tenants` maps id → {name, outlet_id}. Raises ApiError for an unknown
    or unavailable product or one sold at another outlet.

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
        priced = promo_rules.best_price(dict(product, id=line.product_id), promotions or [], now)
        item: dict[str, Any] = {
            "product_id": line.product_id, "name": product["name"], "qty": line.qty,
            "price": promo_rules.money_from_cents(priced.unit_cents), "modifiers": line.modifiers,
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
            "total_amount": line_total(items),
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
