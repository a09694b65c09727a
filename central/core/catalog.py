"""Admin-written master data: outlets (with locale and currency), tenants, categories,
products, promotions.

Each `parse_*` turns a POST/PUT body (all fields) or a PATCH body (`partial=True`, only the
fields present) into column values, or raises ProtocolError naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from central.core.fleet import websocket_url
from outlet_protocol import fields, locales, modifiers
from outlet_protocol.business_day import DEFAULT_DAY_START, parse_day_start
from outlet_protocol.errors import invalid

MAX_PAGE = 5000
# 10,000 products at ~200 bytes each: 1000 per page keeps a page ~200 kB and a full sync
# at 10 round trips, well inside the 2 s target.
DEFAULT_PAGE = 1000

Parser = Callable[[Any, str], Any]


def _body(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid("body", "body must be a JSON object")
    return raw


def _pick(raw: Any, partial: bool, spec: dict[str, tuple[Parser, bool, Any]]) -> dict[str, Any]:
    """Apply `spec` (field → (parser, required, default)) to a body."""
    body = _body(raw)
    out: dict[str, Any] = {}
    for name, (parse, required, default) in spec.items():
        if name in body:
            out[name] = parse(body[name], name)
        elif partial:
            continue
        elif required:
            raise invalid(name, f"{name} is required")
        else:
            out[name] = default
    return out


def _name(v: Any, f: str) -> str:
    return fields.required_text(v, f, 200)


def _long(v: Any, f: str) -> str:
    return fields.text(v, f, 2000) or ""


def _opt_id(v: Any, f: str) -> int | None:
    return fields.optional_integer(v, f)


def _id(v: Any, f: str) -> int:
    return fields.integer(v, f)


def _flag(v: Any, f: str) -> bool:
    return fields.boolean(v, f)


def _stations(v: Any, f: str) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list) or len(v) > 20:
        raise invalid(f, f"{f} must be a list of at most 20 names")
    return [fields.required_text(s, f, 50) for s in v]


def _percent(v: Any, f: str) -> str:
    out = fields.money_field(v, f)
    if float(out) > 100:
        raise invalid(f, f"{f} must be at most 100")
    return out


def _when(v: Any, f: str) -> str | None:
    return None if v in (None, "") else fields.iso(fields.timestamp_field(v, f))


def _day_start(v: Any, f: str) -> str:
    try:
        parse_day_start(v if isinstance(v, str) else "")
    except ValueError:
        raise invalid(f, f"{f} must be HH:MM (24 h), e.g. 04:00") from None
    return str(v)


def _zone(v: Any, f: str) -> str:
    name = fields.required_text(v, f, 64)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f, f"{f} must be an IANA time zone such as Asia/Jakarta") from None
    return name


def parse_outlet(raw: Any, partial: bool) -> dict[str, Any]:
    """Outlet columns; a websocket_url here is an admin pin (null unpins), see `pin_change`."""
    return _pick(raw, partial, {
        "name": (_name, True, None),
        "address": (_long, False, ""),
        "is_active": (_flag, False, True),
        "locale": (locales.locale_field, False, locales.DEFAULT_LOCALE),
        "currency": (locales.currency_field, False, locales.DEFAULT_CURRENCY),
        "day_starts_at": (_day_start, False, DEFAULT_DAY_START),
        "timezone": (_zone, False, "Asia/Jakarta"),
    })


def pin_change(raw: Any) -> tuple[bool, str | None]:
    """(present, url) for an admin websocket_url edit; url None means "unpin"."""
    body = _body(raw)
    if "websocket_url" not in body:
        return False, None
    value = body["websocket_url"]
    return True, None if value in (None, "") else websocket_url(value)


def parse_tenant(raw: Any, partial: bool) -> dict[str, Any]:
    """Tenant (food-court stall) columns."""
    return _pick(raw, partial, {
        "outlet_id": (_id, True, None),
        "name": (_name, True, None),
        "stations": (_stations, False, []),
        "is_active": (_flag, False, True),
    })


def parse_category(raw: Any, partial: bool) -> dict[str, Any]:
    """Category columns; tenant_id null means shared by every tenant."""
    return _pick(raw, partial, {
        "name": (_name, True, None),
        "description": (_long, False, ""),
        "tenant_id": (_opt_id, False, None),
        "sort_order": (lambda v, f: fields.integer(v, f, minimum=0), False, 0),
    })


def parse_product(raw: Any, partial: bool) -> dict[str, Any]:
    """Product columns; price is a decimal string."""
    return _pick(raw, partial, {
        "tenant_id": (_id, True, None),
        "category_id": (_opt_id, False, None),
        "name": (_name, True, None),
        "description": (_long, False, ""),
        "price": (fields.money_field, True, None),
        "station": (lambda v, f: fields.text(v, f, 50, default=None), False, None),
        "image": (lambda v, f: fields.text(v, f, 500, default=None), False, None),
        "is_available": (_flag, False, True),
        "modifier_groups": (modifiers.parse_groups, False, []),
        "allow_notes": (_flag, False, False),
    })


def parse_promotion(raw: Any, partial: bool) -> dict[str, Any]:
    """Promotion columns: a percentage discount on a product, a tenant or everything."""
    out = _pick(raw, partial, {
        "name": (_name, True, None),
        "description": (_long, False, ""),
        "discount_percent": (_percent, True, None),
        "product_id": (_opt_id, False, None),
        "tenant_id": (_opt_id, False, None),
        "start_date": (_when, False, None),
        "end_date": (_when, False, None),
        "is_active": (_flag, False, True),
    })
    if out.get("start_date") and out.get("end_date") and out["end_date"] < out["start_date"]:
        raise invalid("end_date", "end_date is before start_date")
    return out


def page_limit(value: Any) -> int:
    """The `limit` query parameter of a menu read."""
    if value in (None, ""):
        return DEFAULT_PAGE
    return fields.integer(value, "limit", maximum=MAX_PAGE)
