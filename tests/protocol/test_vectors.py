"""The shared vectors (outlet_protocol/vectors/*.json) against the hub's door and central's.

ui/tests/protocol-vectors.test.mjs runs the same files against ui/shared/, so the hub,
central and the browser all judge an order and price a cart alike.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from central.core.orders import canonical_order
from outlet_protocol import pricing
from outlet_protocol.errors import ProtocolError
from outlet_protocol.orders import fingerprint, ingest_decision, normalize_order

VECTORS = Path(__file__).parents[2] / "outlet_protocol" / "vectors"
ORDERS = json.loads((VECTORS / "orders.json").read_text())
PAIRS = json.loads((VECTORS / "fingerprints.json").read_text())
PRICING = json.loads((VECTORS / "pricing.json").read_text())


def hub_door(raw: Any, outlet_id: int, now: str) -> dict[str, Any]:
    """What hub/intake.py does with a submitted order."""
    return normalize_order(raw, outlet_id, source="ws", now_iso=now)


def central_door(raw: Any, outlet_id: int, _now: str) -> dict[str, Any]:
    """What central does with a hub's forwarded copy (/api/hubs/orders)."""
    return canonical_order(raw, outlet_id)


DOORS = {"new": hub_door, "forwarded": central_door}


def _doors(vector: dict[str, Any]) -> list[str]:
    return list(vector.get("doors", DOORS))


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(base))
    out.update(change)
    return out


@pytest.mark.parametrize("vector", ORDERS["valid"], ids=lambda v: v["name"])
def test_valid_order_vectors_are_accepted_alike(vector: dict[str, Any]) -> None:
    raw = _merge(ORDERS["base"], vector["order"])
    for door in _doors(vector):
        order = DOORS[door](raw, ORDERS["outlet_id"], ORDERS["now"])
        assert {k: order[k] for k in vector["expect"]} == vector["expect"], door


@pytest.mark.parametrize("vector", ORDERS["invalid"], ids=lambda v: v["name"])
def test_invalid_order_vectors_are_refused_with_code_and_field(vector: dict[str, Any]) -> None:
    raw = _merge(ORDERS["base"], vector["order"])
    for door in _doors(vector):
        with pytest.raises(ProtocolError) as err:
            DOORS[door](raw, ORDERS["outlet_id"], ORDERS["now"])
        assert (err.value.code, err.value.field) == (vector["code"], vector["field"]), door


@pytest.mark.parametrize("pair", PAIRS["pairs"], ids=lambda p: p["name"])
def test_fingerprint_pairs_decide_duplicate_or_conflict_across_doors(pair: dict[str, Any]) -> None:
    a_raw, b_raw = _merge(PAIRS["base"], pair["a"]), _merge(PAIRS["base"], pair["b"])
    a_doors = [pair["a_door"]] if "a_door" in pair else list(DOORS)
    b_doors = [pair["b_door"]] if "b_door" in pair else list(DOORS)
    for a_door in a_doors:
        for b_door in b_doors:
            a = DOORS[a_door](a_raw, PAIRS["outlet_id"], "2026-12-01T08:00:00.000Z")
            b = DOORS[b_door](b_raw, PAIRS["outlet_id"], "2026-12-01T09:00:00.000Z")
            got = ingest_decision(fingerprint(a), fingerprint(b))
            assert got == pair["decision"], (a_door, b_door)


def test_an_unseen_uuid_is_created() -> None:
    assert ingest_decision(None, "f" * 64) == "created"


@pytest.mark.parametrize("text,cents", PRICING["to_cents"], ids=str)
def test_to_cents_vectors(text: Any, cents: int) -> None:
    assert pricing.to_cents(text) == cents


def _ms(iso: str) -> int:
    return pricing.now_ms(datetime.fromisoformat(iso.replace("Z", "+00:00")))


@pytest.mark.parametrize("case", PRICING["active"], ids=lambda c: c["name"])
def test_promotion_activity_vectors(case: dict[str, Any]) -> None:
    assert pricing.is_active(case["promo"], _ms(case["now"])) is case["active"]


@pytest.mark.parametrize("case", PRICING["best_price"], ids=lambda c: c["name"])
def test_best_price_vectors(case: dict[str, Any]) -> None:
    now = datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
    got = pricing.best_price(case["product"], case["promotions"], now)
    assert {"unit_cents": got.unit_cents, "original_cents": got.original_cents,
            "promotion_id": got.promotion_id} == case["expect"]
