"""Versioned menu: a 10,000-product sync from zero, then exactly the rows that changed."""

from __future__ import annotations

from typing import Any

from tests.central.conftest import CentralUnderTest


def sync(central: CentralUnderTest, kind: str, since: int, outlet_id: int,
         token: str | None = None) -> tuple[list[dict[str, Any]], list[int], int, int]:
    """Page through ?since_version like a hub: (rows, deleted, final version, pages)."""
    rows: list[dict[str, Any]] = []
    deleted: list[int] = []
    pages = 0
    while True:
        status, page = central.call(
            "GET", f"/api/{kind}/?since_version={since}&outlet_id={outlet_id}", token=token)
        assert status == 200, page
        pages += 1
        rows += page[kind]
        deleted += page["deleted"]
        since = page["current_version"]
        if not page["has_more"]:
            return rows, deleted, since, pages


def test_ten_thousand_products_sync_then_one_change_then_a_deletion(
        central: CentralUnderTest) -> None:
    oid, hub_token, _ = central.enrolled_hub()
    tenant = central.as_admin("POST", "/api/tenants/", {"outlet_id": oid, "name": "Big Menu"})
    products = [{"tenant_id": tenant["id"], "name": f"Dish {i}", "price": str(1000 + i)}
                for i in range(10_000)]
    created = central.as_admin("POST", "/api/products/bulk", {"products": products})
    assert len(created["products"]) == 10_000

    rows, deleted, version, pages = sync(central, "products", 0, oid, hub_token)
    assert len(rows) == 10_000 and len({r["id"] for r in rows}) == 10_000
    assert deleted == [] and pages == 10
    assert version == created["current_version"]

    target = rows[1234]
    central.as_admin("PATCH", f"/api/products/{target['id']}/", {"price": "99999"})
    changed, deleted, version2, _ = sync(central, "products", version, oid)
    assert [(r["id"], r["price"]) for r in changed] == [(target["id"], "99999")]
    assert deleted == [] and version2 == version + 1

    central.as_admin("DELETE", f"/api/products/{rows[5]['id']}/")
    changed, deleted, version3, _ = sync(central, "products", version2, oid)
    assert changed == [] and deleted == [rows[5]["id"]] and version3 == version2 + 1
    assert central.call("GET", f"/api/products/{rows[5]['id']}/")[0] == 404


def test_every_kind_shares_one_global_version(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    before = central.call("GET", "/health")[1]["menu_version"]
    tenant = central.as_admin("POST", "/api/tenants/", {"outlet_id": oid, "name": "Stall"})
    cat = central.as_admin("POST", "/api/categories/", {"name": "Mains",
                                                        "tenant_id": tenant["id"]})
    promo = central.as_admin("POST", "/api/promotions/", {
        "name": "Lunch", "discount_percent": "10", "tenant_id": tenant["id"],
        "start_date": "2020-01-01T00:00:00Z", "end_date": "2099-01-01T00:00:00Z"})
    assert [tenant["version"], cat["version"], promo["version"]] == [before + 1, before + 2,
                                                                     before + 3]
    _, page = central.call("GET", f"/api/promotions/?since_version={before}&active=1")
    assert [p["id"] for p in page["promotions"]] == [promo["id"]]
    _, page = central.call("GET", f"/api/tenants/?since_version={before}&outlet_id={oid}")
    assert [t["name"] for t in page["tenants"]] == ["Stall"]
    assert page["current_version"] == before + 3


def test_menu_writes_are_validated(central: CentralUnderTest) -> None:
    status, body = central.call("POST", "/api/products/", {"tenant_id": 987654, "name": "x",
                                                           "price": "1"}, central.admin)
    assert status == 400 and body["error"]["field"] == "tenant_id"
    status, body = central.call("POST", "/api/products/", {"tenant_id": 1, "name": "x",
                                                           "price": "-5"}, central.admin)
    assert status == 400 and body["error"]["field"] == "price"
