"""The order: validation into one canonical shape, the fingerprint, the status machine.

Every door (hub WebSocket/HTTP/MQTT, central's hub API and online carts) goes through
`normalize_order`, so an order means the same thing whichever way it arrived, and a retry
of it is recognised by `fingerprint` whichever transport carried it (kiosk → central →
hub → central is one order). Limits are read from `schema/order.schema.json`.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any, Literal

from outlet_protocol import fields
from outlet_protocol.errors import ProtocolError, invalid
from outlet_protocol.schema import ORDER_SCHEMA, enum, item_prop, max_length, node, prop

STATUSES = enum("status")
_FORWARD = ("pending", "preparing", "ready", "completed")
FINAL = frozenset({"completed", "cancelled"})
ORDER_TYPES = enum("order_type")

KEY_RE = re.compile(prop("uuid")["pattern"])
_SOURCE_RE = re.compile(prop("source")["pattern"])
RESERVED_UUID_PREFIX: str = prop("uuid")["x-reserved-prefix"]
MAX_ITEMS = int(prop("items")["maxItems"])
MAX_MODIFIERS = int(item_prop("modifiers")["maxItems"])
MAX_QTY = int(item_prop("qty")["maximum"])
_TEXT = {name: max_length(prop(name)) for name in
         ("order_number", "tenant_name", "table", "customer_name", "notes", "reason")}
_ITEM_TEXT = {name: max_length(item_prop(name)) for name in
              ("product_id", "name", "notes", "station")}
_MODIFIER_LEN = max_length(node("/$defs/item/properties/modifiers/items"))
_KEY_LEN = max_length(prop("uuid"))
assert tuple(ORDER_SCHEMA["required"]) == ("order_number", "items")

IngestResult = Literal["created", "duplicate", "conflict"]


def item_objects(raw: Any) -> list[tuple[str, dict[str, Any]]]:
    """(`items[i]`, object) for an order's or a cart's `items`: 1..MAX_ITEMS objects."""
    if not isinstance(raw, list) or not raw:
        raise invalid("items", "items must be a non-empty list")
    if len(raw) > MAX_ITEMS:
        raise invalid("items", f"at most {MAX_ITEMS} items")
    out = []
    for index, item in enumerate(raw):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            raise invalid(where, f"{where} must be an object")
        out.append((where, item))
    return out


def item_choices(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The parts of an item a customer chooses, bounded: `qty`, `modifiers`, `notes`."""
    modifiers = raw.get("modifiers") or []
    if not isinstance(modifiers, list) or len(modifiers) > MAX_MODIFIERS:
        raise invalid(f"{where}.modifiers",
                      f"modifiers must be a list of at most {MAX_MODIFIERS} strings")
    return {
        "qty": fields.integer(raw.get("qty", raw.get("quantity")), f"{where}.qty",
                              maximum=MAX_QTY),
        "modifiers": [fields.required_text(m, f"{where}.modifiers", _MODIFIER_LEN)
                      for m in modifiers],
        "notes": fields.text(raw.get("notes"), f"{where}.notes", _ITEM_TEXT["notes"]),
    }


def _item(raw: dict[str, Any], where: str) -> dict[str, Any]:
    product_id = raw.get("product_id")
    if product_id is not None and (isinstance(product_id, bool)
                                   or not isinstance(product_id, int | str)
                                   or not _short_key(str(product_id), _ITEM_TEXT["product_id"])):
        raise invalid(f"{where}.product_id", "product_id must be an integer or short string")
    name = fields.required_text(raw.get("name"), f"{where}.name", _ITEM_TEXT["name"])
    choices = item_choices(raw, where)
    return {
        "product_id": product_id,
        "name": name,
        "qty": choices["qty"],
        "price": fields.money_field(raw.get("price", "0"), f"{where}.price"),
        "modifiers": choices["modifiers"],
        "notes": choices["notes"],
        "station": fields.text(raw.get("station"), f"{where}.station", _ITEM_TEXT["station"],
                               default=None),
    }


def normalize_order(raw: Any, outlet_id: int, *, source: str, now_iso: str | None,
                    any_status: bool = False) -> dict[str, Any]:
    """Validate an order into the canonical shape, or raise ProtocolError.

    `source` is the default when the order names none; `outlet_id` is the receiver's
    outlet — an order for another one is refused. A new order is `pending`; `any_status`
    admits a copy forwarded with its current status (a hub's outbox to central).
    `now_iso` fills an absent `created_at` (None leaves it None).
    """
    if not isinstance(raw, dict):
        raise invalid("order", "order must be an object")
    order_number = fields.required_text(raw.get("order_number"), "order_number",
                                        _TEXT["order_number"])
    if raw.get("outlet_id") is not None:
        claimed = fields.integer(raw.get("outlet_id"), "outlet_id")
        if claimed != outlet_id:
            raise ProtocolError("outlet_mismatch",
                                f"this hub serves outlet {outlet_id}, not {claimed}", "outlet_id")
    derived = f"{RESERVED_UUID_PREFIX}{outlet_id}:{order_number}"
    uuid = raw.get("uuid")
    if uuid is None or uuid == "":
        uuid = derived
    if not isinstance(uuid, str) or not KEY_RE.match(uuid):
        raise invalid("uuid", "uuid must be 1-100 characters of letters, digits and :._-")
    if is_reserved_uuid(uuid) and uuid != derived:
        # `legacy:<outlet>:<number>` is the key derived for an order sent without a uuid; a
        # client choosing one for another number would squat a seed kiosk's next order
        # (it would then get `conflict`). Naming exactly the derived one is harmless.
        raise invalid("uuid", "uuids starting with legacy: are reserved for orders sent without one")
    status = raw.get("status") or "pending"
    if any_status:
        if status not in STATUSES:
            raise invalid("status", f"status must be one of {', '.join(STATUSES)}")
    elif status != "pending":
        raise invalid("status", "a new order starts as pending")
    items = [_item(item, where) for where, item in item_objects(raw.get("items"))]
    if raw.get("total_amount") is None:
        total = line_total(items)
    else:
        total = fields.money_field(raw.get("total_amount"), "total_amount")
    order_type = raw.get("order_type") or "dine_in"
    if order_type not in ORDER_TYPES:
        raise invalid("order_type", f"order_type must be one of {', '.join(ORDER_TYPES)}")
    src = raw.get("source") or source
    if not isinstance(src, str) or not _SOURCE_RE.match(src):
        raise invalid("source", "source must be a short lowercase word")
    created = raw.get("created_at")
    if created is None or created == "":
        created_at = now_iso
    else:
        created_at = fields.iso(fields.timestamp_field(created, "created_at"))
    return {
        "uuid": uuid,
        "order_number": order_number,
        "outlet_id": outlet_id,
        "tenant_id": fields.optional_integer(raw.get("tenant_id"), "tenant_id"),
        "tenant_name": fields.text(raw.get("tenant_name"), "tenant_name", _TEXT["tenant_name"],
                                   default=None),
        "status": status,
        "items": items,
        "total_amount": total,
        "order_type": order_type,
        "table": fields.text(raw.get("table"), "table", _TEXT["table"], default=None),
        "customer_name": fields.text(raw.get("customer_name"), "customer_name",
                                     _TEXT["customer_name"]),
        "notes": fields.text(raw.get("notes"), "notes", _TEXT["notes"]),
        "source": src,
        "created_at": created_at,
    }


def line_total(items: list[dict[str, Any]]) -> str:
    """Sum of price x qty as a canonical decimal string, within the money bounds."""
    total = sum((Decimal(it["price"]) * it["qty"] for it in items), Decimal(0))
    return fields.money_field(format(total, "f"), "total_amount")


def is_reserved_uuid(uuid: str) -> bool:
    """True for the `legacy:` form derived for orders sent without a uuid (any letter case)."""
    return uuid[:len(RESERVED_UUID_PREFIX)].lower() == RESERVED_UUID_PREFIX


def _blank(value: Any) -> Any:
    return "" if value is None else value


def canonical_content(order: dict[str, Any]) -> dict[str, Any]:
    """What was ordered, without how it travelled: the part a retry must repeat exactly.

    Leaves out uuid, status, rev, ids, source, timestamps, acknowledgements, and the
    cosmetic tenant_name / station / promotion_id a hop may add; null and "" are one value.
    """
    return {
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


def fingerprint(order: dict[str, Any]) -> str:
    """SHA-256 of the canonical content; equal digests under one uuid mean a retry."""
    blob = json.dumps(canonical_content(order), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def ingest_decision(stored_fingerprint: str | None, incoming_fingerprint: str) -> IngestResult:
    """created when the uuid is unseen, duplicate when the same content, conflict otherwise."""
    if stored_fingerprint is None:
        return "created"
    return "duplicate" if stored_fingerprint == incoming_fingerprint else "conflict"


def conflict_error() -> ProtocolError:
    """The refusal of a uuid reused for other content."""
    return ProtocolError("conflict", "this uuid was already used for a different order", "uuid")


def next_status(current: str, requested: Any) -> str:
    """The status after applying `requested` to `current`, or ProtocolError.

    Forward moves may skip steps (a cook bumps a pending ticket straight to completed);
    backward only one step (undo), so `completed → ready` is recall; `cancelled` from any
    non-final state. Asking for the current status again returns it unchanged, so a
    double tap or a retried request is harmless.
    """
    if requested == "undo":
        if current in FINAL - {"completed"} or current == "pending":
            raise ProtocolError("invalid_transition", f"nothing to undo from {current}", "status")
        return str(_FORWARD[_FORWARD.index(current) - 1])
    if requested == "recall":
        if current != "completed":
            raise ProtocolError("invalid_transition", "only a completed order can be recalled",
                                "status")
        return "ready"
    if requested not in STATUSES:
        raise invalid("status", f"status must be one of {', '.join(STATUSES)}, undo or recall")
    if requested == current:
        return current
    if current == "cancelled":
        raise ProtocolError("invalid_transition", "a cancelled order is final", "status")
    if requested == "cancelled":
        if current == "completed":
            raise ProtocolError("invalid_transition", "a completed order cannot be cancelled",
                                "status")
        return "cancelled"
    cur, req = _FORWARD.index(current), _FORWARD.index(requested)
    if req > cur or req == cur - 1:
        return str(requested)
    raise ProtocolError("invalid_transition", f"cannot move from {current} to {requested}",
                        "status")


def event_applies(current_rev: int | None, event_rev: int) -> bool:
    """A reported status change moves a copy only when newer than the last one applied.

    Events may arrive out of order (a retried batch after a newer one); the hub's rev is
    strictly increasing, so the highest rev is the hub's current truth.
    """
    return current_rev is None or event_rev > current_rev


def parse_status_update(raw: Any) -> tuple[str, str, str | None]:
    """(key, requested status, reason) from an `order_update` payload / PATCH body."""
    if not isinstance(raw, dict):
        raise invalid("payload", "payload must be an object")
    key = order_key(raw)
    status = raw.get("status")
    if not isinstance(status, str) or not status:
        raise invalid("status", "status is required")
    reason = fields.text(raw.get("reason"), "reason", _TEXT["reason"], default=None)
    return key, status, reason


def order_key(raw: dict[str, Any]) -> str:
    """The `uuid` or `order_number` a status change or acknowledgment names, bounded."""
    key = raw.get("uuid") or raw.get("order_number")
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
        raise invalid("uuid", "uuid or order_number is required")
    text = str(key).strip()
    if not _short_key(text, _KEY_LEN):
        raise invalid("uuid", "uuid or order_number must be at most 100 characters of text")
    return text


def _short_key(text: str, max_len: int) -> bool:
    try:
        fields.bounded_text(text, max_len)
    except fields.BoundsError:
        return False
    return True
