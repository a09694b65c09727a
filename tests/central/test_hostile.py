"""Hostile input and enrollment against a real central, on SQLite and PostgreSQL.

Issue 12 item 5 (another outlet's enrollment token taking a hub over) and issue 13 item 5
(500s instead of 400s, unbounded numbers, squatted legacy uuids): each reproduced as it
worked before, each now refused with a code and a field, nothing stored.
"""

from __future__ import annotations

import http.client
import json
import secrets
from typing import Any

from tests.central.conftest import CentralUnderTest
from tests.support.processes import http_json


def post_raw(central: CentralUnderTest, path: str, body: bytes,
             token: str | None = None) -> tuple[int, Any]:
    """POST bytes exactly as given (json.dumps could not write a lone surrogate for us)."""
    conn = http.client.HTTPConnection("127.0.0.1", central.proc.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def hub_order(number: str, **change: Any) -> dict[str, Any]:
    order = {"uuid": f"u-{secrets.token_hex(6)}", "order_number": number,
             "items": [{"name": "Teh", "qty": 1, "price": "5000"}], "status": "pending",
             "created_at": "2026-12-01T08:00:00Z"}
    return order | change


# -- enrollment -----------------------------------------------------------------------------
def test_other_outlets_enrollment_token_cannot_take_a_hub_over(central: CentralUnderTest) -> None:
    hub_id = f"hub-{secrets.token_hex(4)}"
    outlet_a, token_a, _ = central.enrolled_hub(hub_id)
    outlet_b = central.new_outlet("B")
    status, body = central.register(outlet_b, hub_id)
    assert status == 409, body
    assert body["error"]["code"] == "conflict" and body["error"]["field"] == "hub_id"
    # The hub of outlet A still speaks for outlet A, with its own token.
    status, body = central.register(outlet_a, hub_id, hub_token=token_a)
    assert status == 200, body
    status, body = central.call("POST", "/api/hubs/orders", {"orders": [hub_order("A-1")]},
                                token_a)
    assert status == 200 and body["results"][0]["result"] == "created", body
    # Outlet B's token was not spent by the refused attempt: it enrolls a hub of its own.
    status, body = central.register(outlet_b, f"hub-{secrets.token_hex(4)}")
    assert status == 200, body


def test_reflashed_hub_of_the_same_outlet_may_enroll_again(central: CentralUnderTest) -> None:
    hub_id = f"hub-{secrets.token_hex(4)}"
    outlet, old_token, _ = central.enrolled_hub(hub_id)
    status, body = central.register(outlet, hub_id)
    assert status == 200 and body["hub_token"] != old_token, body


# -- odd input: 400 with a code and a field -------------------------------------------------
def test_hundred_thousand_deep_json_is_a_400(central: CentralUnderTest) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/api/public/order-groups/", "/api/hubs/register", "/api/auth/login"):
        status, body = post_raw(central, path, deep)
        assert status == 400, (path, body)
        assert body["error"]["code"] == "invalid_json"


def _cart(central: CentralUnderTest, **change: Any) -> dict[str, Any]:
    outlet = central.new_outlet("Cart")
    return {"outlet_id": outlet, "items": [{"product_id": 1, "qty": 1}]} | change


def test_hostile_cart_fields_are_400_with_the_field(central: CentralUnderTest) -> None:
    cases: list[tuple[bytes, str]] = [
        (json.dumps(_cart(central, items=[{"product_id": 1, "qty": "\u00b2"}])).encode(),
         "items[0].qty"),
        (json.dumps(_cart(central, items=[{"product_id": "\u00b2", "qty": 1}])).encode(),
         "items[0].product_id"),
        (json.dumps(_cart(central, customer_name="\ud800")).encode(), "customer_name"),
        (json.dumps(_cart(central, outlet_id="9" * 30)).encode(), "outlet_id"),
    ]
    for body, field in cases:
        status, answer = post_raw(central, "/api/public/order-groups/", body)
        assert status == 400, (field, answer)
        assert answer["error"]["code"] == "validation_failed"
        assert answer["error"]["field"] == field


def test_hostile_orders_from_a_hub_are_invalid_not_a_crash(central: CentralUnderTest) -> None:
    _, token, _ = central.enrolled_hub()
    bad = [
        (hub_order("H-1", items=[{"name": "\ud800", "qty": 1, "price": "1"}]), "items[0].name"),
        (hub_order("H-2", items=[{"name": "Teh", "qty": "\u00b2", "price": "1"}]),
         "items[0].qty"),
        (hub_order("H-3", created_at="0001-01-01T00:00:00+05:00"), "created_at"),
        (hub_order("H-4", items=[{"name": "Teh", "qty": 1, "price": "1e-1000000"}]),
         "items[0].price"),
        (hub_order("H-5", total_amount="1e-1000000"), "total_amount"),
        (hub_order("H-6", uuid="\udc00"), "uuid"),
    ]
    good = hub_order("H-OK")
    body = json.dumps({"orders": [o for o, _ in bad] + [good]}).encode()
    status, answer = post_raw(central, "/api/hubs/orders", body, token)
    assert status == 200, answer
    results = answer["results"]
    for (_, field), result in zip(bad, results, strict=False):
        assert result["result"] == "invalid", result
        assert result["error"]["field"] == field, result
    assert results[-1]["result"] == "created"


def test_tiny_request_cannot_store_a_huge_order_at_central(central: CentralUnderTest) -> None:
    _, token, _ = central.enrolled_hub()
    order = {"uuid": "tiny-1", "order_number": "T-1",
             "items": [{"name": "x", "qty": 1, "price": "1e-1000000"}]}
    text = json.dumps({"orders": [order]})
    assert len(text) < 150
    status, answer = post_raw(central, "/api/hubs/orders", text.encode(), token)
    assert status == 200 and answer["results"][0]["result"] == "invalid", answer


def test_hostile_order_list_queries_are_400(central: CentralUnderTest) -> None:
    for query, field in (("since_id=%C2%B2", "since_id"), ("since_id=" + "9" * 30, "since_id"),
                         ("limit=%C2%B2", "limit")):
        status, body = http_json(f"{central.base}/api/orders?{query}",
                                 headers={"Authorization": f"Bearer {central.admin}"})
        assert status == 400, (query, body)
        assert body["error"]["field"] == field


# -- legacy uuids ---------------------------------------------------------------------------
def test_public_cart_cannot_choose_a_legacy_uuid(central: CentralUnderTest) -> None:
    outlet = central.new_outlet("Squat")
    tenant = central.as_admin("POST", "/api/tenants/", {"outlet_id": outlet, "name": "Soto"})["id"]
    product = central.as_admin("POST", "/api/products/", {"tenant_id": tenant, "name": "Soto",
                                                          "price": "20000"})["id"]
    cart = {"outlet_id": outlet, "items": [{"product_id": product, "qty": 1}]}
    for change, field in (({"uuids": {str(tenant): f"legacy:{outlet}:K1-0042"}}, "uuids"),
                          ({"client_uuid": f"legacy:{outlet}:K1"}, "client_uuid"),
                          ({"client_uuid": f"LEGACY:{outlet}:K1"}, "client_uuid")):
        status, body = post_raw(central, "/api/public/order-groups/",
                                json.dumps(cart | change).encode())
        assert status == 400, (change, body)
        assert body["error"]["field"] == field
    # The same cart with an ordinary uuid is taken: the refusal is about the uuid alone.
    status, body = post_raw(central, "/api/public/order-groups/",
                            json.dumps(cart | {"client_uuid": "cart-1"}).encode())
    assert status == 201, body


def test_hub_still_forwards_its_own_legacy_uuids(central: CentralUnderTest) -> None:
    outlet, token, _ = central.enrolled_hub()
    order = hub_order("K1-0042", uuid=f"legacy:{outlet}:K1-0042")
    status, body = central.call("POST", "/api/hubs/orders", {"orders": [order]}, token)
    assert status == 200 and body["results"][0]["result"] == "created", body
