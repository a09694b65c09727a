"""Order rules without I/O: canonical shape, fingerprint, events, carts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.core import orders as rules
from outlet_protocol import orders as protocol
from outlet_protocol import pricing as promos
from outlet_protocol.errors import ProtocolError

NOW = datetime(2026, 1, 3, 10, 30, tzinfo=UTC)


def hub_order(**over: Any) -> dict[str, Any]:
    base = {"uuid": "8f0c-1", "order_number": "K1-0042", "outlet_id": 1, "tenant_id": 3,
            "tenant_name": "Pizza Paradise", "status": "pending",
            "items": [{"product_id": 7, "name": "Margherita", "qty": 2, "price": "45000",
                       "modifiers": ["extra cheese"], "notes": "no basil", "station": "oven"}],
            "total_amount": "90000", "order_type": "dine_in", "table": "12",
            "customer_name": "Ayu", "notes": "", "source": "kiosk",
            "created_at": "2026-01-03T10:30:00Z", "id": 41, "rev": 99}
    return base | over


def test_fingerprint_ignores_how_the_order_travelled() -> None:
    a = rules.canonical_order(hub_order(), 1)
    b = rules.canonical_order(hub_order(status="ready", rev=120, id=7, source="pos",
                                        updated_at="x", acknowledged_by=["k1"],
                                        received_at="2026-01-03T10:31:00Z",
                                        created_at="2026-01-03T10:35:00Z"), 1)
    assert protocol.fingerprint(a) == protocol.fingerprint(b)


def test_fingerprint_sees_what_was_ordered() -> None:
    a = rules.canonical_order(hub_order(), 1)
    items = [dict(hub_order()["items"][0], qty=3)]
    b = rules.canonical_order(hub_order(items=items, total_amount="135000"), 1)
    assert protocol.fingerprint(a) != protocol.fingerprint(b)


def test_null_and_empty_text_fingerprint_alike_so_hub_normalisation_is_a_duplicate() -> None:
    a = rules.canonical_order(hub_order(table=None, customer_name=None, notes=None), 1)
    b = rules.canonical_order(hub_order(table="", customer_name="", notes=""), 1)
    assert protocol.fingerprint(a) == protocol.fingerprint(b)


def test_ingest_decision() -> None:
    assert protocol.ingest_decision(None, "x") == "created"
    assert protocol.ingest_decision("x", "x") == "duplicate"
    assert protocol.ingest_decision("x", "y") == "conflict"


def test_order_for_another_outlet_is_refused() -> None:
    with pytest.raises(ProtocolError) as err:
        rules.canonical_order(hub_order(outlet_id=2), 1)
    assert err.value.code == "outlet_mismatch"


def test_order_without_uuid_gets_the_legacy_key() -> None:
    order = rules.canonical_order(hub_order(uuid=None), 1)
    assert order["uuid"] == "legacy:1:K1-0042"


@pytest.mark.parametrize("field,value", [("items", []), ("total_amount", "-1"),
                                         ("order_type", "drive"), ("uuid", "bad uuid"),
                                         ("status", "eaten")])
def test_invalid_orders_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ProtocolError) as err:
        rules.canonical_order(hub_order(**{field: value}), 1)
    assert err.value.field == field


def test_events_apply_only_when_newer() -> None:
    assert protocol.event_applies(None, 1)
    assert protocol.event_applies(5, 6)
    assert not protocol.event_applies(6, 5)
    assert not protocol.event_applies(6, 6)


def test_parse_event_and_seed_event_names() -> None:
    ev = rules.parse_event({"uuid": "u1", "rev": 3, "status": "ready", "from_status": "preparing",
                            "at": "2026-01-03T10:31:00+07:00", "by": "kitchen-1"})
    assert ev.at == "2026-01-03T03:31:00.000Z"
    assert rules.status_event_name("completed") == "order_completed"
    assert rules.status_event_name("cancelled") == "order_cancelled"
    assert rules.status_event_name("ready") == "order_updated"
    with pytest.raises(ProtocolError):
        rules.parse_event({"uuid": "u1", "rev": 0, "status": "ready"})


def test_batch_is_bounded() -> None:
    with pytest.raises(ProtocolError) as err:
        rules.batch({"orders": [{}] * (rules.MAX_BATCH + 1)}, "orders")
    assert err.value.code == "too_large"


PRODUCTS = {
    1: {"name": "Margherita", "price": "45000", "tenant_id": 10, "station": "oven"},
    2: {"name": "Es Teh", "price": "8000", "tenant_id": 11, "station": None},
    3: {"name": "Elsewhere", "price": "1", "tenant_id": 12},
}
TENANTS = {10: {"name": "Pizza", "outlet_id": 1}, 11: {"name": "Drinks", "outlet_id": 1},
           12: {"name": "Other", "outlet_id": 2}}


def test_cart_splits_by_tenant_at_master_prices() -> None:
    cart = rules.parse_cart({"outlet_id": 1, "client_uuid": "cart-1", "items": [
        {"product_id": 1, "qty": 2, "price": "1"}, {"product_id": 2, "qty": 3}]})
    orders = rules.split_cart(cart, PRODUCTS, TENANTS, "unused", NOW)
    assert [(o["uuid"], o["tenant_id"], o["total_amount"]) for o in orders] == [
        ("cart-1:10", 10, "90000"), ("cart-1:11", 11, "24000")]
    assert orders[0]["items"][0]["price"] == "45000"
    again = rules.split_cart(cart, PRODUCTS, TENANTS, "other", NOW)
    assert [o["order_number"] for o in again] == [o["order_number"] for o in orders]


def test_cart_uses_per_tenant_uuids_when_given() -> None:
    cart = rules.parse_cart({"outlet_id": 1, "uuids": {"10": "k-abc"},
                             "items": [{"product_id": 1, "qty": 1}]})
    assert rules.split_cart(cart, PRODUCTS, TENANTS, "g", NOW)[0]["uuid"] == "k-abc"


@pytest.mark.parametrize("pid", [3, 99])
def test_cart_refuses_products_not_sold_at_the_outlet(pid: int) -> None:
    cart = rules.parse_cart({"outlet_id": 1, "items": [{"product_id": pid, "qty": 1}]})
    with pytest.raises(ProtocolError) as err:
        rules.split_cart(cart, PRODUCTS, TENANTS, "g", NOW)
    assert err.value.field == "items[0].product_id"


def test_central_order_fingerprints_equal_after_the_hub_echoes_it() -> None:
    """A cart order travels central → hub → central; the echo must be a duplicate."""
    cart = rules.parse_cart({"outlet_id": 1, "client_uuid": "c", "items": [
        {"product_id": 1, "qty": 1}]})
    (order,) = rules.split_cart(cart, PRODUCTS, TENANTS, "g", NOW)
    echoed = dict(order, id=5, rev=17, source="central", received_at="x", table="",
                  items=[dict(order["items"][0], notes=None)])
    assert protocol.fingerprint(rules.canonical_order(echoed, 1)) == protocol.fingerprint(order)


@given(st.text(max_size=30), st.integers(min_value=1, max_value=999))
def test_fingerprint_is_deterministic(name: str, qty: int) -> None:
    items = [{"product_id": 1, "name": name or "x", "qty": qty, "price": "1"}]
    try:
        a = rules.canonical_order(hub_order(items=items, total_amount=None), 1)
    except ProtocolError:
        return
    assert protocol.fingerprint(a) == protocol.fingerprint(dict(a))


def test_cart_keeps_given_order_numbers_and_generates_the_rest() -> None:
    cart = rules.parse_cart({"outlet_id": 1, "client_uuid": "c", "order_numbers": {"10": "K1-0042"},
                             "items": [{"product_id": 1, "qty": 1}, {"product_id": 2, "qty": 1}]})
    numbers = [o["order_number"] for o in rules.split_cart(cart, PRODUCTS, TENANTS, "g", NOW)]
    assert numbers == ["K1-0042", rules.online_order_number("c:11")]


@pytest.mark.parametrize("bad", ["", " ", "K1 0042", "<x>", "K" * 65, "-1", "é-1", None, 7,
                                 "K1\n2"])
def test_cart_refuses_unsafe_order_numbers(bad: object) -> None:
    with pytest.raises(ProtocolError) as err:
        rules.parse_cart({"outlet_id": 1, "order_numbers": {"10": bad},
                          "items": [{"product_id": 1, "qty": 1}]})
    assert err.value.field == "order_numbers"


def test_promotion_rounding_follows_the_kiosk() -> None:
    """Expected numbers from ui/shared/money.js toCents and promotions.js unitDiscount."""
    assert [promos.to_cents(v) for v in ("45000", "12.345", "12.344", "4.45", "0.005", "7")] \
        == [4500000, 1235, 1234, 445, 1, 700]
    # Math.round ties go up (Python's round would give 44 and 0): 445 * 10 / 100 = 44.5
    assert promos.unit_discount({"discount_percent": "10"}, 445) == 45
    assert promos.unit_discount({"discount_percent": "50"}, 1) == 1
    assert promos.unit_discount({"discount_percent": "12.5"}, 333) == 42  # 41.625
    assert promos.unit_discount({"discount_percent": "100"}, 999) == 999
    assert promos.money_from_cents(1111) == "11.11" and promos.money_from_cents(400) == "4"


def test_promotions_scope_dates_and_best_discount() -> None:
    product = {"id": 1, "tenant_id": 10, "price": "45000"}
    base = {"is_active": True, "start_date": None, "end_date": None, "product_id": None,
            "tenant_id": None}
    day = "2026-01-0{}T00:00:00.000Z"
    cases = [
        (dict(base, id=1, discount_percent="5"), True),                     # everything
        (dict(base, id=2, discount_percent="50", tenant_id=11), False),     # other tenant
        (dict(base, id=3, discount_percent="60", product_id=2), False),     # other product
        (dict(base, id=4, discount_percent="70", is_active=False), False),  # switched off
        (dict(base, id=5, discount_percent="80", start_date=day.format(4)), False),  # not yet
        (dict(base, id=6, discount_percent="90", end_date=day.format(2)), False),    # over
        (dict(base, id=7, discount_percent="20", tenant_id=10, product_id=1,
              start_date=day.format(3), end_date=day.format(3)), True),  # inclusive bounds
    ]
    at = datetime(2026, 1, 3, tzinfo=UTC)
    for promo, applies in cases:
        got = promos.best_price(product, [promo], at)
        assert (got.promotion_id is not None) == applies, promo
    best = promos.best_price(product, [p for p, _ in cases], at)
    assert (best.unit_cents, best.original_cents, best.promotion_id) == (3600000, 4500000, 7)


def test_cart_prices_with_promotions() -> None:
    cart = rules.parse_cart({"outlet_id": 1, "items": [{"product_id": 1, "qty": 2},
                                                       {"product_id": 2, "qty": 1}]})
    promo = {"id": 9, "discount_percent": "15", "product_id": 1, "tenant_id": None,
             "is_active": True, "start_date": None, "end_date": None}
    pizza, drinks = rules.split_cart(cart, PRODUCTS, TENANTS, "g", NOW, [promo])
    assert (pizza["items"][0]["price"], pizza["items"][0]["promotion_id"]) == ("38250", 9)
    assert pizza["total_amount"] == "76500"
    assert drinks["total_amount"] == "8000" and "promotion_id" not in drinks["items"][0]
