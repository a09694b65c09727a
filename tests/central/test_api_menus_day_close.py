"""Issue 14 at central, on SQLite and PostgreSQL: modifier groups in master data and in the
online cart's price, a hub's sold-out set refusing online orders, and the daily summary."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.central.conftest import CentralUnderTest

GROUPS = [{"name": "Topping", "min": 0, "max": 2,
           "options": [{"name": "Telur", "price_delta": "5000"},
                       {"name": "Keju", "price_delta": "7000"},
                       {"name": "Sambal", "price_delta": "0"}]},
          {"name": "Nasi", "min": 1, "max": 1,
           "options": [{"name": "Putih"}, {"name": "Merah", "price_delta": "3000"}]}]


def _product(central: CentralUnderTest, oid: int, **over: Any) -> tuple[int, int]:
    tenant = central.as_admin("POST", "/api/tenants/", {"outlet_id": oid, "name": "Warung"})["id"]
    body = {"tenant_id": tenant, "name": "Nasi Goreng", "price": "25000",
            "modifier_groups": GROUPS, "allow_notes": True} | over
    return tenant, int(central.as_admin("POST", "/api/products/", body)["id"])


def test_modifier_groups_sync_in_master_data_and_bad_groups_are_refused(
        central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    _, pid = _product(central, oid)
    page = central.call("GET", f"/api/products/?outlet_id={oid}")[1]
    (served,) = [p for p in page["products"] if p["id"] == pid]
    assert served["allow_notes"] is True
    assert served["modifier_groups"][0]["options"][0] == {"name": "Telur", "price_delta": "5000"}
    assert served["modifier_groups"][1]["options"][0]["price_delta"] == "0"
    tenant = served["tenant_id"]
    dup = [{"name": "A", "options": [{"name": "X"}]}, {"name": "B", "options": [{"name": "X"}]}]
    for bad in (dup, [{"name": "A", "options": []}], [{"name": "A", "min": 3, "max": 1,
                                                       "options": [{"name": "X"}]}], "x"):
        status, err = central.call("POST", "/api/products/", {
            "tenant_id": tenant, "name": "Bad", "price": "1", "modifier_groups": bad},
            central.admin)
        assert status == 400 and err["error"]["field"].startswith("modifier_groups"), err


def test_online_cart_pays_the_option_deltas_and_must_respect_min_max(
        central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    _, pid = _product(central, oid)
    cart = {"outlet_id": oid, "items": [{"product_id": pid, "qty": 2,
                                         "modifiers": ["Telur", "Keju", "Merah"],
                                         "notes": "tidak pedas", "price": "1"}]}
    status, body = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 201, body
    (order,) = body["orders"]
    assert order["total_amount"] == str(2 * (25000 + 5000 + 7000 + 3000))
    for chosen in (["Telur"], ["Telur", "Keju", "Sambal", "Putih"], ["Putih", "Bacon"]):
        bad = {"outlet_id": oid, "items": [{"product_id": pid, "qty": 1, "modifiers": chosen}]}
        status, err = central.call("POST", "/api/public/order-groups/", bad)
        assert status == 400 and err["error"]["field"] == "items[0].modifiers", (chosen, err)


def test_a_product_the_hub_reports_sold_out_cannot_be_ordered_online(
        central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    _, pid = _product(central, oid, modifier_groups=[])
    cart = {"outlet_id": oid, "items": [{"product_id": pid, "qty": 1}]}
    assert central.call("POST", "/api/public/order-groups/", cart)[0] == 201
    beat = {"clients": {}, "kitchens_connected": 0, "outbox_pending": 0, "menu_version": 0,
            "last_rev": 0, "sold_out": [pid]}
    assert central.call("POST", "/api/hubs/heartbeat", beat, token)[0] == 200
    status, err = central.call("POST", "/api/public/order-groups/", cart)
    assert status == 400 and "sold out" in err["error"]["message"], err
    shown = central.as_admin("GET", f"/api/tenants/outlets/{oid}/")
    assert shown["hub"]["sold_out"] == [pid]            # the admin panel's outlet row
    # A heartbeat without the key (the hub could not read its store) changes nothing…
    unknown = {k: v for k, v in beat.items() if k != "sold_out"}
    assert central.call("POST", "/api/hubs/heartbeat", unknown, token)[0] == 200
    assert central.call("POST", "/api/public/order-groups/", cart)[0] == 400
    # …an empty list means back on sale.
    assert central.call("POST", "/api/hubs/heartbeat", beat | {"sold_out": []}, token)[0] == 200
    assert central.call("POST", "/api/public/order-groups/", cart)[0] == 201


def _hub_order(oid: int, n: int, tenant: int, created: datetime, total: str, qty: int,
               status: str = "pending") -> dict[str, Any]:
    return {"uuid": f"s-{oid}-{n}", "order_number": f"K-{n}", "outlet_id": oid,
            "tenant_id": tenant, "tenant_name": f"Stall {tenant}", "status": status,
            "id": n, "rev": n, "source": "kiosk",
            "items": [{"product_id": 1, "name": "Soto", "qty": qty, "price": total}],
            "total_amount": total, "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_daily_summary_counts_the_trading_day_per_tenant_as_json_and_csv(
        central: CentralUnderTest) -> None:
    oid, token, _ = central.enrolled_hub()
    outlet = central.as_admin("PATCH", f"/api/tenants/outlets/{oid}/",
                              {"day_starts_at": "04:00", "timezone": "Asia/Jakarta"})
    assert (outlet["day_starts_at"], outlet["timezone"]) == ("04:00", "Asia/Jakarta")
    jkt = ZoneInfo("Asia/Jakarta")
    day_start = datetime(2026, 3, 9, 4, 0, tzinfo=jkt)        # trading day 2026-03-09
    at = lambda h, m=0: (day_start + timedelta(hours=h, minutes=m)).astimezone(UTC)  # noqa: E731
    orders = [
        _hub_order(oid, 1, 1, at(1), "30000", 2),
        _hub_order(oid, 2, 1, at(2), "15000", 1),
        _hub_order(oid, 3, 1, at(3), "9000", 1, status="cancelled"),
        _hub_order(oid, 4, 2, at(23, 30), "12000", 3),           # 03:30 next morning: same day
        _hub_order(oid, 5, 2, at(-1), "99000", 9),               # 03:00: the day before
        _hub_order(oid, 6, 2, at(24), "77000", 7),               # 04:00 next day: the next one
    ]
    status, body = central.call("POST", "/api/hubs/orders", {"orders": orders}, token)
    assert status == 200, body
    events = [{"uuid": f"s-{oid}-1", "rev": 20, "status": "ready", "at": at(1, 10).isoformat()},
              {"uuid": f"s-{oid}-2", "rev": 21, "status": "ready", "at": at(2, 20).isoformat()},
              {"uuid": f"s-{oid}-2", "rev": 22, "status": "ready", "at": at(2, 50).isoformat()}]
    central.call("POST", "/api/hubs/order-events", {"events": events}, token)
    got = central.as_admin("GET", f"/api/admin/summary?outlet_id={oid}&date=2026-03-09")
    assert got["business_day"] == "2026-03-09" and got["from"] == "2026-03-08T21:00:00.000Z"
    assert got["rows"] == [
        {"business_day": "2026-03-09", "outlet_id": oid, "tenant_id": 1, "tenant_name": "Stall 1",
         "orders": 2, "items": 3, "revenue": "45000", "avg_ticket_seconds": 900.0,
         "cancellations": 1},
        {"business_day": "2026-03-09", "outlet_id": oid, "tenant_id": 2, "tenant_name": "Stall 2",
         "orders": 1, "items": 3, "revenue": "12000", "avg_ticket_seconds": None,
         "cancellations": 0}]
    status, text = central.call("GET", f"/api/admin/summary?outlet_id={oid}&date=2026-03-09"
                                "&format=csv", token=central.admin)
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["tenant_id"], r["orders"], r["revenue"], r["avg_ticket_seconds"]) for r in rows] \
        == [("1", "2", "45000", "900.0"), ("2", "1", "12000", "")]
    assert central.call("GET", f"/api/admin/summary?outlet_id={oid}")[0] == 401
    assert central.call("GET", f"/api/admin/summary?outlet_id={oid}&date=9.3.2026",
                        token=central.admin)[0] == 400
    assert central.call("PATCH", f"/api/tenants/outlets/{oid}/", {"timezone": "Mars/Base"},
                        central.admin)[0] == 400
