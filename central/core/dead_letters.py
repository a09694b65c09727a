"""Dead letters a hub reports: orders it set aside for good, each with the reason (issue 13)."""

from __future__ import annotations

from typing import Any

from central.core.errors import ApiError, invalid
from central.core.fields import required_text

MAX_REPORT = 50
SOURCES = frozenset({"outbox", "online"})
# The hub cuts a dead-lettered order's JSON at 64 KiB and adds a short marker.
MAX_ORDER_CHARS = 66 * 1024


def parse_report(raw: Any) -> list[dict[str, str]]:
    """`{"dead_letters": [...]}` from a hub → bounded, checked entries (or 400/413)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("dead_letters"), list):
        raise invalid("dead_letters", "body must be an object with a list under 'dead_letters'")
    items: list[Any] = raw["dead_letters"]
    if len(items) > MAX_REPORT:
        raise ApiError("too_large", f"at most {MAX_REPORT} dead letters per report", "dead_letters")
    out = []
    for i, item in enumerate(items):
        where = f"dead_letters[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, f"{where} must be an object")
        source = required_text(item.get("source"), f"{where}.source", 16)
        if source not in SOURCES:
            raise invalid(f"{where}.source", f"{where}.source must be one of {sorted(SOURCES)}")
        order = item.get("order", "")
        if not isinstance(order, str) or len(order) > MAX_ORDER_CHARS:
            raise invalid(f"{where}.order", f"{where}.order must be text of at most "
                                            f"{MAX_ORDER_CHARS} characters")
        out.append({"source": source, "key": required_text(item.get("key"), f"{where}.key", 100),
                    "code": required_text(item.get("code"), f"{where}.code", 32),
                    "reason": required_text(item.get("reason"), f"{where}.reason", 300),
                    "at": required_text(item.get("at"), f"{where}.at", 40), "order": order})
    return out
