"""The order: validation into one canonical shape, the idempotency fingerprint, the status machine.

Every transport (WebSocket, HTTP, MQTT, central) goes through `normalize_order`, so an
order means the same thing whichever way it arrived, and a retry of the same order is
recognised by `fingerprint` no matter which transport carried it.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hub.core import bounds
from hub.core.errors import ProtocolError

STATUSES = ("pending", "preparing", "ready", "completed", "cancelled")
_FORWARD = ("pending", "preparing", "ready", "completed")
FINAL = frozenset({"completed", "cancelled"})
ORDER_TYPES = ("dine_in", "takeaway", "delivery")

# A uuid is any client key of safe characters: v4 UUIDs, "legacy:1:K1-0042", ULIDs.
RESERVED_UUID_PREFIX = "legacy:"
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$")
_SOURCE_RE = re.compile(r"^[a-z0-9_-]{1,32}$")
_MAX_ITEMS = 200
# Fields that describe how an order travelled, not what was ordered: a retry through
# another transport (kiosk → central → hub) must still be recognised as the same order.
_NOT_CONTENT = frozenset({"uuid", "status", "source", "created_at"})


def _fail(field: str, message: str) -> ProtocolError:
    return ProtocolError("validation_failed", message, field)


def _text(value: Any, field: str, max_len: int, *, required: bool = False,
          default: str | None = "") -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise _fail(field, f"{field} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(field, f"{field} must be a string")
    text = str(value).strip()
    if required and not text:
        raise _fail(field, f"{field} must not be empty")
    try:
        return bounds.bounded_text(text, max_len)
    except bounds.BoundsError as exc:
        raise _fail(field, f"{field} {exc}") from None


def _int(value: Any, field: str, *, minimum: int = 1, maximum: int = bounds.MAX_INT) -> int:
    try:
        return bounds.bounded_int(value, minimum, maximum)
    except bounds.BoundsError as exc:
        raise _fail(field, f"{field} {exc}") from None


def money(value: Any, field: str) -> str:
    """A non-negative decimal amount as a canonical string ("45000", "12.5")."""
    try:
        return bounds.money(value)
    except bounds.BoundsError as exc:
        raise _fail(field, f"{field} {exc}") from None


def _timestamp(value: Any, field: str, now_iso: str) -> str:
    if value is None or value == "":
        return now_iso
    if not isinstance(value, str):
        raise _fail(field, f"{field} must be an ISO 8601 timestamp")
    try:
        parsed = bounds.timestamp(value)
    except bounds.BoundsError as exc:
        raise _fail(field, f"{field} {exc}") from None
    return parsed.isoformat().replace("+00:00", "Z")


def _item(raw: Any, index: int) -> dict[str, Any]:
    where = f"items[{index}]"
    if not isinstance(raw, dict):
        raise _fail(where, f"{where} must be an object")
    product_id = raw.get("product_id")
    if product_id is not None and (isinstance(product_id, bool)
                                   or not isinstance(product_id, int | str)
                                   or not _short_key(str(product_id), 64)):
        raise _fail(f"{where}.product_id", "product_id must be an integer or short string")
    modifiers = raw.get("modifiers") or []
    if not isinstance(modifiers, list) or len(modifiers) > 20:
        raise _fail(f"{where}.modifiers", "modifiers must be a list of at most 20 strings")
    mods = [_text(m, f"{where}.modifiers", 100, required=True) for m in modifiers]
    return {
        "product_id": product_id,
        "name": _text(raw.get("name"), f"{where}.name", 200, required=True),
        "qty": _int(raw.get("qty", raw.get("quantity")), f"{where}.qty", maximum=999),
        "price": money(raw.get("price", "0"), f"{where}.price"),
        "modifiers": mods,
        "notes": _text(raw.get("notes"), f"{where}.notes", 500),
        "station": _text(raw.get("station"), f"{where}.station", 50, default=None),
    }


def normalize_order(raw: Any, outlet_id: int, *, source: str, now_iso: str) -> dict[str, Any]:
    """Validate a submitted order into the canonical shape, or raise ProtocolError.

    `source` is the transport's default when the order names none; `outlet_id` is the
    hub's own outlet — an order for another outlet is refused, not stored.
    """
    if not isinstance(raw, dict):
        raise _fail("order", "order must be an object")
    order_number = _text(raw.get("order_number"), "order_number", 64, required=True)
    assert order_number is not None
    if raw.get("outlet_id") is not None:
        claimed = _int(raw.get("outlet_id"), "outlet_id")
        if claimed != outlet_id:
            raise ProtocolError("outlet_mismatch",
                                f"this hub serves outlet {outlet_id}, not {claimed}", "outlet_id")
    derived = f"legacy:{outlet_id}:{order_number}"
    uuid = raw.get("uuid")
    if uuid is None or uuid == "":
        uuid = derived
    if not isinstance(uuid, str) or not _KEY_RE.match(uuid):
        raise _fail("uuid", "uuid must be 1-100 characters of letters, digits and :._-")
    if is_reserved_uuid(uuid) and uuid != derived:
        # `legacy:<outlet>:<number>` is the key the hub derives for an order sent without a
        # uuid; a client choosing one for another number would squat a seed kiosk's next
        # order (it would then get `conflict`). Naming exactly the derived one is harmless.
        raise _fail("uuid", "uuids starting with legacy: are reserved for orders sent without one")
    status = raw.get("status", "pending")
    if status not in (None, "pending"):
        raise _fail("status", "a new order starts as pending")
    items_raw = raw.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise _fail("items", "items must be a non-empty list")
    if len(items_raw) > _MAX_ITEMS:
        raise _fail("items", f"at most {_MAX_ITEMS} items per order")
    items = [_item(it, i) for i, it in enumerate(items_raw)]
    if raw.get("total_amount") is None:
        total = format(sum((Decimal(it["price"]) * it["qty"] for it in items), Decimal(0)), "f")
    else:
        total = money(raw.get("total_amount"), "total_amount")
    order_type = raw.get("order_type") or "dine_in"
    if order_type not in ORDER_TYPES:
        raise _fail("order_type", f"order_type must be one of {', '.join(ORDER_TYPES)}")
    src = raw.get("source") or source
    if not isinstance(src, str) or not _SOURCE_RE.match(src):
        raise _fail("source", "source must be a short lowercase word")
    tenant_id = raw.get("tenant_id")
    return {
        "uuid": uuid,
        "order_number": order_number,
        "outlet_id": outlet_id,
        "tenant_id": None if tenant_id is None else _int(tenant_id, "tenant_id"),
        "tenant_name": _text(raw.get("tenant_name"), "tenant_name", 100, default=None),
        "status": "pending",
        "items": items,
        "total_amount": total,
        "order_type": order_type,
        "table": _text(raw.get("table"), "table", 20, default=None),
        "customer_name": _text(raw.get("customer_name"), "customer_name", 100),
        "notes": _text(raw.get("notes"), "notes", 1000),
        "source": src,
        "created_at": _timestamp(raw.get("created_at"), "created_at", now_iso),
    }


def is_reserved_uuid(uuid: str) -> bool:
    """True for the `legacy:` form the hub derives itself (any letter case)."""
    return uuid[:7].lower() == RESERVED_UUID_PREFIX


def fingerprint(order: dict[str, Any]) -> str:
    """Digest of what was ordered; equal digests under one uuid mean a retry, not a new order."""
    content = {k: v for k, v in order.items() if k not in _NOT_CONTENT}
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


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
        raise _fail("status", f"status must be one of {', '.join(STATUSES)}, undo or recall")
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


def parse_status_update(raw: Any) -> tuple[str, str, str | None]:
    """(key, requested status, reason) from an `order_update` payload / PATCH body."""
    if not isinstance(raw, dict):
        raise _fail("payload", "payload must be an object")
    key = order_key(raw)
    status = raw.get("status")
    if not isinstance(status, str) or not status:
        raise _fail("status", "status is required")
    reason = _text(raw.get("reason"), "reason", 200, default=None)
    return str(key).strip(), status, reason


def order_key(raw: dict[str, Any]) -> str:
    """The `uuid` or `order_number` a status change or acknowledgment names, bounded."""
    key = raw.get("uuid") or raw.get("order_number")
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
        raise _fail("uuid", "uuid or order_number is required")
    text = str(key).strip()
    if not _short_key(text, 100):
        raise _fail("uuid", "uuid or order_number must be at most 100 characters of text")
    return text


def _short_key(text: str, max_len: int) -> bool:
    try:
        bounds.bounded_text(text, max_len)
    except bounds.BoundsError:
        return False
    return True


def utc_now_iso(now: datetime | None = None) -> str:
    """Timestamps on the wire: UTC, ISO 8601, `Z` suffix, millisecond precision."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
