"""Kitchen printers at central: the hub's own rules (hub.printing.config) check every body.

One definition of a valid printer for both sides, so a printer central accepts is one the
hub accepts. PATCH merges into the stored row before checking (`merged`), so a partial
edit is checked as the whole printer it produces.
"""

from __future__ import annotations

from typing import Any

from central.core import fields
from central.core.errors import invalid
from hub.printing.config import PrinterConfigError, parse_printer

COLUMNS = ("name", "url", "width_mm", "tenants", "stations", "prints", "backup",
           "backup_after_seconds", "hold_after_minutes", "status_query")


def parse(raw: Any, partial: bool) -> dict[str, Any]:
    """Printer columns from a body (all fields, or with `partial` only those present)."""
    if not isinstance(raw, dict):
        raise invalid("body", "body must be a JSON object")
    out: dict[str, Any] = {}
    if "outlet_id" in raw or not partial:
        out["outlet_id"] = fields.integer(raw.get("outlet_id"), "outlet_id")
    given = {k: v for k, v in raw.items() if k in COLUMNS}
    unknown = sorted(set(raw) - set(COLUMNS) - {"outlet_id", "id", "version", "updated_at"})
    if unknown:
        raise invalid(unknown[0], f"{unknown[0]} is not a printer setting")
    if partial:
        # Checked field by field against a stand-in printer; the whole row is checked when
        # the hub loads it.
        probe = {"name": "probe", "url": "tcp://probe:9100"} | given
        _check(probe)
        return out | given
    return out | _columns(_check(given))


def _check(body: dict[str, Any]) -> Any:
    try:
        return parse_printer({k: v for k, v in body.items() if v is not None}, "printer")
    except PrinterConfigError as exc:
        key, _, message = str(exc).partition(": ")
        raise invalid(key.removeprefix("printer.") or "body", message or str(exc)) from None


def _columns(p: Any) -> dict[str, Any]:
    return {"name": p.name, "url": p.url, "width_mm": p.width_mm, "tenants": sorted(p.tenants),
            "stations": sorted(p.stations), "prints": sorted(p.prints), "backup": p.backup,
            "backup_after_seconds": p.backup_after_seconds,
            "hold_after_minutes": p.hold_after_minutes, "status_query": p.status_query}
