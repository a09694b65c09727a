"""Issue 14's shared rules: option deltas (outlet_protocol.pricing.modifier_cents) and the
trading day (outlet_protocol.business_day), on the vectors ui/tests runs too, plus the
daily summary's arithmetic (central.core.summary) told its inputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from central.core import summary
from outlet_protocol import modifiers, pricing
from outlet_protocol.business_day import business_day, day_bounds, parse_day_start
from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import timestamp

VECTORS = json.loads((Path(__file__).parents[2] / "outlet_protocol" / "vectors" /
                      "modifiers.json").read_text())


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_option_deltas_follow_the_vectors(case: dict[str, Any]) -> None:
    product = VECTORS["product"]
    assert modifiers.parse_groups(product["modifier_groups"]) == product["modifier_groups"]
    if case["cents"] is None:
        with pytest.raises(pricing.ChoiceError):
            pricing.modifier_cents(product, case["chosen"])
    else:
        assert pricing.modifier_cents(product, case["chosen"]) == case["cents"]


def test_a_product_without_groups_takes_free_text_modifiers_free() -> None:
    v = VECTORS["no_groups"]
    assert pricing.modifier_cents(v["product"], v["chosen"]) == v["cents"]


@pytest.mark.parametrize("case", VECTORS["business_day"], ids=lambda c: c["at"])
def test_trading_day_follows_the_vectors(case: dict[str, Any]) -> None:
    got = business_day(timestamp(case["at"]), parse_day_start(case["day_starts_at"]), UTC)
    assert got.isoformat() == case["day"]


def test_day_bounds_are_the_local_day_start_to_the_next() -> None:
    jkt = ZoneInfo("Asia/Jakarta")
    low, high = day_bounds(date(2026, 3, 9), time(4, 0), jkt)
    assert (low.astimezone(UTC).isoformat(), high.astimezone(UTC).isoformat()) == (
        "2026-03-08T21:00:00+00:00", "2026-03-09T21:00:00+00:00")
    for bad in ("4:00", "04-00", "25:00", ""):
        with pytest.raises(ValueError):
            parse_day_start(bad)


def test_groups_with_a_repeated_option_name_are_refused() -> None:
    with pytest.raises(ProtocolError) as err:
        modifiers.parse_groups([{"name": "A", "options": [{"name": "X"}]},
                                {"name": "B", "options": [{"name": "X"}]}])
    assert err.value.field == "modifier_groups"


def test_summary_keeps_the_days_orders_and_cancellations_apart() -> None:
    bounds = (datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    bodies = [
        {"uuid": "a", "tenant_id": 2, "tenant_name": "=cmd", "status": "completed",
         "created_at": "2026-03-09T10:00:00Z", "total_amount": "12.5",
         "items": [{"qty": 2}, {"qty": 1}]},
        {"uuid": "b", "tenant_id": 2, "status": "cancelled", "created_at": "2026-03-09T11:00:00Z",
         "total_amount": "99", "items": [{"qty": 5}]},
        {"uuid": "c", "tenant_id": 2, "status": "completed", "created_at": "2026-03-10T00:00:00Z",
         "total_amount": "7", "items": [{"qty": 1}]},
    ]
    rows = summary.summarize(4, date(2026, 3, 9), bounds, bodies, {"a": "2026-03-09T10:05:00Z"})
    assert rows == [{"business_day": "2026-03-09", "outlet_id": 4, "tenant_id": 2,
                     "tenant_name": "=cmd", "orders": 1, "items": 3, "revenue": "12.5",
                     "avg_ticket_seconds": 300.0, "cancellations": 1}]
    assert "'=cmd" in summary.to_csv(rows)       # no formula runs in the admin's spreadsheet
