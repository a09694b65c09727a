"""Exactly-once order sync: ingestion by uuid, status events by (uuid, rev), online carts."""

from __future__ import annotations

from typing import Any

from tests.central.conftest import CentralUnderTest


def order(n: int, outlet_id: int, **over: Any) -> dict[str, Any]:
    return {"uuid": f"u-{outlet_id}-{n}", "order_number": f"K1-{n:04d}", "outlet_id": outlet_id,
            "tenant_id": None, "status": "pending", "id": n, "rev": n,
            "items": [{"product_id": 7, "name": "Margherita", "qty": 1, "price": "45000"}],
            "total_amount": "45000", "source": "kiosk",
            "created_at": "2026-01-03T10:30:00Z"} | over


def test_orders_ingest_idempotently(central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    batch = [order(i, oid) for i in range(1, 101)]
    status, body = central.call("POST", "/api/hubs/orders", {"orders": batch}, token)
    assert status == 200
    assert [r["result"] for r in body["results"]] == ["created"] * 100
    assert [r["uuid"] for r in body["results"]] == [o["uuid"] for o in batch]
    resent = [dict(o, status="ready", rev=o["rev"] + 500, received_at="later") for o in batch]
    _, again = central.call("POST", "/api/hubs/orders", {"orders": resent}, token)
    assert [r["result"] for r in again["results"]] == ["duplicate"] * 100
    page = central.as_admin("GET", f"/api/orders/?outlet_id={oid}&limit=1000")
    assert len(page["orders"]) == 100 and page["last_id"] == page["orders"][-1]["id"]
    ids = [o["id"] for o in page["orders"]]
    assert ids == sorted(ids)


def test_changed_content_under_one_uuid_is_a_visible_conflict(central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    central.call("POST", "/api/hubs/orders", {"orders": [order(1, oid)]}, token)
    other = order(1, oid, items=[{"name": "Pepperoni", "qty": 2, "price": "55000"}],
                  total_amount="110000")
    _, body = central.call("POST", "/api/hubs/orders", {"orders": [other]}, token)
    assert body["results"] == [{"uuid": f"u-{oid}-1", "result": "conflict"}]
    conflicts = central.as_admin("GET", f"/api/orders/conflicts?outlet_id={oid}")["conflicts"]
    assert [c["uuid"] for c in conflicts] == [f"u-{oid}-1"]
    stored = central.as_admin("GET", f"/api/orders/u-{oid}-1/")
    assert stored["items"][0]["name"] == "Margherita"


def test_invalid_orders_are_reported_per_entry(central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    _, body = central.call("POST", "/api/hubs/orders", {"orders": [
        order(1, oid), {"uuid": "bad-1", "order_number": "X"}, dict(order(2, oid), outlet_id=oid + 1)]},
        token)
    assert [r["result"] for r in body["results"]] == ["created", "invalid", "invalid"]
    assert body["results"][1]["error"]["field"] == "items"
    assert body["results"][2]["error"]["code"] == "outlet_mismatch"


def test_order_events_are_idempotent_and_newest_rev_wins(central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    central.call("POST", "/api/hubs/orders", {"orders": [order(1, oid)]}, token)
    uuid = f"u-{oid}-1"
    events = [{"uuid": uuid, "rev": 10, "status": "preparing", "from_status": "pending",
               "at": "2026-01-03T10:31:00Z", "by": "kitchen-1"},
              {"uuid": uuid, "rev": 12, "status": "ready", "from_status": "preparing",
               "at": "2026-01-03T10:35:00Z"}]
    _, body = central.call("POST", "/api/hubs/order-events", {"events": events}, token)
    assert [(r["rev"], r["result"]) for r in body["results"]] == [(10, "applied"), (12, "applied")]
    _, body = central.call("POST", "/api/hubs/order-events", {"events": events}, token)
    assert [r["result"] for r in body["results"]] == ["duplicate", "duplicate"]
    late = [{"uuid": uuid, "rev": 11, "status": "preparing", "at": "2026-01-03T10:32:00Z"}]
    _, body = central.call("POST", "/api/hubs/order-events", {"events": late}, token)
    assert body["results"][0]["result"] == "applied"
    stored = central.as_admin("GET", f"/api/orders/{uuid}/")
    assert stored["status"] == "ready" and stored["rev"] == 12
    assert [e["rev"] for e in stored["events"]] == [10, 11, 12]
    _, body = central.call("POST", "/api/hubs/order-events", {"events": [
        {"uuid": "never-seen", "rev": 1, "status": "ready"}, {"uuid": uuid, "status": "x"}]},
        token)
    assert [r["result"] for r in body["results"]] == ["unknown_order", "invalid"]


def test_hub_cannot_touch_another_outlets_orders(central: CentralUnderTest) -> None:
    a_oid, a_token, a_display = central.enrolled_hub()
    b_oid, b_token, _ = central.enrolled_hub()
    central.call("POST", "/api/hubs/orders", {"orders": [order(1, a_oid)]}, a_token)
    _, body = central.call("POST", "/api/hubs/order-events", {"events": [
        {"uuid": f"u-{a_oid}-1", "rev": 5, "status": "cancelled"}]}, b_token)
    assert body["results"][0]["result"] == "unknown_order"
    assert central.call("GET", f"/api/orders/?outlet_id={a_oid}", token=b_token)[0] == 403
    assert central.call("GET", f"/api/orders/?outlet_id={b_oid}", token=a_display)[0] == 403
    status, page = central.call("GET", f"/api/orders/?outlet_id={a_oid}", token=a_display)
    assert status == 200 and len(page["orders"]) == 1
    assert central.call("GET", "/api/orders/", token=a_token)[0] == 400


def menu(central: CentralUnderTest, outlet_id: int) -> tuple[int, int]:
    """(pizza product id, drinks product id) of two fresh tenants at the outlet."""
    t1 = central.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "Pizza",
                                                     "stations": ["oven"]})["id"]
    t2 = central.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "Drinks"})["id"]
    p1 = central.as_admin("POST", "/api/products/", {"tenant_id": t1, "name": "Margherita",
                                                     "price": "45000", "station": "oven"})["id"]
    p2 = central.as_admin("POST", "/api/products/", {"tenant_id": t2, "name": "Es Teh",
                                                     "price": "8000"})["id"]
    return p1, p2


def test_order_group_splits_by_tenant_at_server_prices_idempotently(
        central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    p1, p2 = menu(central, oid)
    cart = {"outlet_id": oid, "client_uuid": f"cart-{oid}", "customer_name": "Ayu",
            "items": [{"product_id": p1, "qty": 2, "price": "1"},
                      {"product_id": p2, "qty": 1, "notes": "less ice"}]}
    status, body = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 201 and body["duplicate"] is False
    totals = sorted(o["total_amount"] for o in body["orders"])
    assert totals == ["8000", "90000"]
    assert {o["origin"] for o in body["orders"]} == {"central"}
    status, again = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 200 and again["duplicate"] is True
    assert [o["uuid"] for o in again["orders"]] == [o["uuid"] for o in body["orders"]]
    page = central.call("GET", f"/api/orders/?outlet_id={oid}&origin=central", token=token)[1]
    assert len(page["orders"]) == 2
    # The hub stores the online order, then its outbox forwards it back: a duplicate.
    echoed = [dict(o, id=90 + i, rev=300 + i, source="central", table="")
              for i, o in enumerate(page["orders"])]
    _, res = central.call("POST", "/api/hubs/orders", {"orders": echoed}, token)
    assert [r["result"] for r in res["results"]] == ["duplicate", "duplicate"]
    tampered = dict(cart, items=[{"product_id": p1, "qty": 5}])
    assert central.call("POST", "/api/public/order-groups/", tampered)[0] == 409


def test_order_group_refuses_unknown_products(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    status, body = central.call("POST", "/api/public/order-groups/", {
        "outlet_id": oid, "items": [{"product_id": 999999, "qty": 1}]})
    assert status == 400 and body["error"]["field"] == "items[0].product_id"


def test_order_group_keeps_the_kiosks_order_numbers(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    p1, p2 = menu(central, oid)
    pizza = central.as_admin("GET", f"/api/products/{p1}/")["tenant_id"]
    cart = {"outlet_id": oid, "client_uuid": f"num-{oid}", "order_numbers": {str(pizza): "K1-0042"},
            "items": [{"product_id": p1, "qty": 1}, {"product_id": p2, "qty": 1}]}
    status, body = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 201, body
    numbers = {o["tenant_id"]: o["order_number"] for o in body["orders"]}
    assert numbers[pizza] == "K1-0042"
    (other,) = [n for t, n in numbers.items() if t != pizza]
    assert other.startswith("W-") and len(other) == 8  # generated numbers stay the default
    # the same cart without the kiosk's number is other content under the same uuids
    assert central.call("POST", "/api/public/order-groups/",
                        dict(cart, order_numbers={}))[0] == 409
    for bad in ("<b>1</b>", "K1 0042", "-K1", "K" * 65, 42, ""):
        status, err = central.call("POST", "/api/public/order-groups/", dict(
            cart, client_uuid=f"bad-{oid}", order_numbers={str(pizza): bad}))
        assert status == 400 and err["error"]["field"] == "order_numbers", (bad, err)


def test_order_group_applies_active_promotions_like_the_kiosk(central: CentralUnderTest) -> None:
    """Prices and totals below are what ui/shared/promotions.js + cart.js compute for this
    cart (bestPrice → Cart → splitCartIntoOrders, run under node): central must agree to the
    cent, or an order the kiosk sent through central conflicts with the hub's copy."""
    from datetime import UTC, datetime, timedelta

    oid, token, _ = central.enrolled_hub()
    now = datetime.now(UTC)

    def iso(days: float) -> str:
        return (now + timedelta(days=days)).isoformat().replace("+00:00", "Z")

    pizza = central.as_admin("POST", "/api/tenants/", {"outlet_id": oid, "name": "Pizza"})["id"]
    drinks = central.as_admin("POST", "/api/tenants/", {"outlet_id": oid, "name": "Drinks"})["id"]
    prices = {"Margherita": (pizza, "45000"), "Calzone": (pizza, "52500"),
              "Es Teh": (drinks, "4.45"), "Kopi": (drinks, "12.345")}
    ids = {name: central.as_admin("POST", "/api/products/", {
        "tenant_id": t, "name": name, "price": price})["id"] for name, (t, price) in prices.items()}
    promos = [
        {"name": "Margherita day", "discount_percent": "15", "product_id": ids["Margherita"]},
        {"name": "Pizza week", "discount_percent": "10", "tenant_id": pizza,
         "start_date": iso(-1), "end_date": iso(1)},
        {"name": "switched off", "discount_percent": "50", "is_active": False},
        {"name": "not yet", "discount_percent": "30", "start_date": iso(1)},
        {"name": "over", "discount_percent": "12.5", "start_date": iso(-2), "end_date": iso(-1)},
        {"name": "Drinks", "discount_percent": "10", "tenant_id": drinks},
    ]
    made = [central.as_admin("POST", "/api/promotions/", p)["id"] for p in promos]
    qty = {"Margherita": 2, "Calzone": 1, "Es Teh": 3, "Kopi": 1}
    cart = {"outlet_id": oid, "client_uuid": f"promo-{oid}",
            "uuids": {str(pizza): f"k-{oid}-1", str(drinks): f"k-{oid}-2"},
            "order_numbers": {str(pizza): "K1-0001", str(drinks): "K1-0002"},
            "items": [{"product_id": ids[n], "qty": q} for n, q in qty.items()]}
    status, body = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 201, body
    by_tenant = {o["tenant_id"]: o for o in body["orders"]}
    # node: Margherita 3825000c (promo 15 %), Calzone 4725000c (10 %), Es Teh 400c
    # (445c - Math.round(44.5) = 45), Kopi 1111c ("12.345" → 1235c - Math.round(123.5) = 124)
    assert [(i["name"], i["price"], i.get("promotion_id")) for i in by_tenant[pizza]["items"]] \
        == [("Margherita", "38250", made[0]), ("Calzone", "47250", made[1])]
    assert [(i["name"], i["price"], i.get("promotion_id")) for i in by_tenant[drinks]["items"]] \
        == [("Es Teh", "4", made[5]), ("Kopi", "11.11", made[5])]
    assert by_tenant[pizza]["total_amount"] == "123750"
    assert by_tenant[drinks]["total_amount"] == "23.11"
    # The kiosk's own copies of these orders, forwarded later by the hub: duplicates.
    kiosk_copies = [{
        "uuid": f"k-{oid}-{n}", "order_number": f"K1-000{n}", "outlet_id": oid, "tenant_id": t,
        "status": "pending", "source": "kiosk", "id": n, "rev": n, "total_amount": total,
        "order_type": "dine_in", "table": "", "customer_name": "", "notes": "",
        "items": [{"product_id": ids[name], "name": name, "qty": qty[name], "price": price,
                   "modifiers": [], "notes": ""} for name, price in lines]}
        for n, t, total, lines in (
            (1, pizza, "123750", [("Margherita", "38250"), ("Calzone", "47250")]),
            (2, drinks, "23.11", [("Es Teh", "4"), ("Kopi", "11.11")]))]
    _, res = central.call("POST", "/api/hubs/orders", {"orders": kiosk_copies}, token)
    assert [r["result"] for r in res["results"]] == ["duplicate", "duplicate"]
