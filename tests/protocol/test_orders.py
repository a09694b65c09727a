"""Order rules without I/O: validation, idempotency fingerprint, status machine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlet_protocol.errors import ProtocolError
from outlet_protocol.fields import money_field
from outlet_protocol.orders import fingerprint, next_status, normalize_order, parse_status_update

NOW = "2026-01-03T10:30:00.000Z"


def order(**kw: Any) -> dict[str, Any]:
    base = {"uuid": "u-1", "order_number": "K1-0042", "outlet_id": 1, "tenant_id": 3,
            "items": [{"product_id": 7, "name": "Margherita", "qty": 2, "price": "45000"}],
            "total_amount": "90000"}
    base.update(kw)
    return base


def norm(raw: Any) -> dict[str, Any]:
    return normalize_order(raw, 1, source="kiosk", now_iso=NOW)


def test_valid_order_is_normalized_to_canonical_shape() -> None:
    out = norm(order())
    assert out["status"] == "pending"
    assert out["items"][0] == {"product_id": 7, "name": "Margherita", "qty": 2, "price": "45000",
                               "modifiers": [], "notes": "", "station": None}
    assert out["source"] == "kiosk" and out["created_at"] == NOW


def test_order_without_uuid_gets_legacy_key_from_outlet_and_number() -> None:
    raw = order()
    del raw["uuid"]
    assert norm(raw)["uuid"] == "legacy:1:K1-0042"


def test_total_is_computed_when_missing_and_money_is_string() -> None:
    raw = order(total_amount=None)
    assert norm(raw)["total_amount"] == "90000"
    assert money_field(45000, "p") == "45000" and money_field("12.50", "p") == "12.5"


@pytest.mark.parametrize(("patch", "field"), [
    ({"order_number": ""}, "order_number"),
    ({"order_number": "x" * 65}, "order_number"),
    ({"items": []}, "items"),
    ({"items": "soup"}, "items"),
    ({"items": [{"name": "Soup", "qty": 0, "price": "1"}]}, "items[0].qty"),
    ({"items": [{"name": "Soup", "qty": True, "price": "1"}]}, "items[0].qty"),
    ({"items": [{"qty": 1, "price": "1"}]}, "items[0].name"),
    ({"items": [{"name": "Soup", "qty": 1, "price": "-1"}]}, "items[0].price"),
    ({"items": [{"name": "Soup", "qty": 1, "price": "NaN"}]}, "items[0].price"),
    ({"total_amount": "abc"}, "total_amount"),
    ({"order_type": "drive_thru"}, "order_type"),
    ({"uuid": "has space"}, "uuid"),
    ({"status": "ready"}, "status"),
    ({"tenant_id": "three"}, "tenant_id"),
    ({"customer_name": "a\x00b"}, "customer_name"),
    ({"created_at": "yesterday"}, "created_at"),
])
def test_invalid_field_is_refused_with_its_name(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError) as err:
        norm(order(**patch))
    assert err.value.code == "validation_failed"
    assert err.value.field == field


def test_order_for_another_outlet_is_outlet_mismatch() -> None:
    with pytest.raises(ProtocolError) as err:
        norm(order(outlet_id=2))
    assert err.value.code == "outlet_mismatch" and err.value.field == "outlet_id"


def test_fingerprint_ignores_transport_fields_but_not_content() -> None:
    a = norm(order())
    b = norm(order(source="pos", created_at="2026-01-03T11:00:00Z"))
    c = norm(order(items=[{"product_id": 7, "name": "Margherita", "qty": 3, "price": "45000"}]))
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)


@pytest.mark.parametrize(("current", "requested", "expected"), [
    ("pending", "preparing", "preparing"),
    ("preparing", "ready", "ready"),
    ("ready", "completed", "completed"),
    ("pending", "completed", "completed"),      # bump straight from the queue
    ("preparing", "pending", "pending"),        # undo one step
    ("completed", "ready", "ready"),            # recall
    ("completed", "recall", "ready"),
    ("ready", "undo", "preparing"),
    ("pending", "cancelled", "cancelled"),
    ("ready", "cancelled", "cancelled"),
    ("ready", "ready", "ready"),                # repeat is a no-op
])
def test_status_machine_allows(current: str, requested: str, expected: str) -> None:
    assert next_status(current, requested) == expected


@pytest.mark.parametrize(("current", "requested"), [
    ("completed", "pending"), ("ready", "pending"), ("cancelled", "pending"),
    ("cancelled", "ready"), ("completed", "cancelled"), ("pending", "undo"),
    ("cancelled", "undo"), ("ready", "recall"),
])
def test_status_machine_refuses(current: str, requested: str) -> None:
    with pytest.raises(ProtocolError) as err:
        next_status(current, requested)
    assert err.value.code == "invalid_transition"


def test_unknown_status_is_validation_failed() -> None:
    with pytest.raises(ProtocolError) as err:
        next_status("pending", "burnt")
    assert err.value.code == "validation_failed"


def test_status_update_needs_a_key_and_a_status() -> None:
    assert parse_status_update({"uuid": "u", "status": "ready"}) == ("u", "ready", None)
    assert parse_status_update({"order_number": 42, "status": "ready", "reason": "x"}) == \
        ("42", "ready", "x")
    for bad in ({"status": "ready"}, {"uuid": "u"}, [], {"uuid": True, "status": "ready"}):
        with pytest.raises(ProtocolError):
            parse_status_update(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=30)
order_like = st.fixed_dictionaries({}, optional={
    "uuid": json_values, "order_number": json_values, "outlet_id": json_values,
    "tenant_id": json_values, "items": st.lists(st.dictionaries(
        st.sampled_from(["name", "qty", "price", "modifiers", "notes", "station", "product_id"]),
        json_values), max_size=4) | json_values,
    "total_amount": json_values, "order_type": json_values, "status": json_values,
    "created_at": json_values, "table": json_values, "source": json_values})


@settings(max_examples=400, deadline=None)
@given(order_like | json_values)
def test_arbitrary_input_is_normalized_or_refused_never_crashes(raw: Any) -> None:
    try:
        out = norm(raw)
    except ProtocolError as exc:
        assert exc.code in ("validation_failed", "outlet_mismatch")
        return
    json.dumps(out)                        # the stored body is always serialisable
    assert out["items"] and out["status"] == "pending"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["pending", "preparing", "ready", "completed", "cancelled"]), json_values)
def test_status_machine_never_crashes(current: str, requested: Any) -> None:
    try:
        assert next_status(current, requested) in ("pending", "preparing", "ready", "completed",
                                                   "cancelled")
    except ProtocolError as exc:
        assert exc.code in ("invalid_transition", "validation_failed")
