"""What a printer prints and when a ticket waits for a person instead (sans-I/O, told the time).

A printer that was off all night must not spill yesterday's orders at opening: a ticket
older than the printer's hold limit, or from an earlier business day, is held and listed
on the kitchen screen for a reprint decision.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from hub.printing.config import PrinterConfig
from outlet_protocol.business_day import business_day, parse_day_start

__all__ = ["business_day", "hold_reason", "items_for", "parse_day_start", "parse_iso",
           "prints_for", "ticket_kind"]

# Change-feed entry → ticket kind: a new order is the kitchen ticket; two status moves print.
_STATUS_KINDS = {"ready": "ready", "cancelled": "cancelled"}


def ticket_kind(change_kind: str, status: str) -> str | None:
    """`kitchen` for a new order, `ready`/`cancelled` for those moves, else nothing to print."""
    if change_kind == "created":
        return "kitchen"
    if change_kind == "status":
        return _STATUS_KINDS.get(status)
    return None


def items_for(order: dict[str, Any], printer: PrinterConfig) -> list[dict[str, Any]]:
    """The order's lines this printer makes: its stations, plus lines that name no station."""
    items: list[dict[str, Any]] = order.get("items") or []
    if not printer.stations:
        return items
    return [i for i in items if not i.get("station") or i["station"] in printer.stations]


def prints_for(printer: PrinterConfig, kind: str | None, order: dict[str, Any]) -> bool:
    """Whether `printer` prints a ticket of `kind` for `order` (its stall, its stations)."""
    if kind is None or kind not in printer.prints:
        return False
    tenant = order.get("tenant_id")
    if printer.tenants and tenant is not None and tenant not in printer.tenants:
        return False
    return bool(items_for(order, printer)) or not order.get("items")


def hold_reason(at: datetime, now: datetime, hold_after_minutes: float, day_start: time,
                zone: tzinfo | None) -> str | None:
    """Why a ticket from `at` must wait for a person at `now`, or None when it may print."""
    if business_day(at, day_start, zone) != business_day(now, day_start, zone):
        return "earlier_business_day"
    if now - at > timedelta(minutes=hold_after_minutes):
        return "too_old"
    return None


def parse_iso(value: str) -> datetime:
    """The hub's stored UTC timestamps ("…Z") as aware datetimes."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
