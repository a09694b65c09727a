"""The demo food court `make demo` shows: one outlet, three stalls with stations, a menu."""

from __future__ import annotations

import time

from sqlalchemy import Engine, select

from central.config import CentralConfig
from central.store.accounts import AccountStore
from central.store.catalog import CatalogStore
from central.store.fleet import FleetStore
from central.store.schema import categories, products, tenants

OUTLET_ID = 1
OUTLET_NAME = "Yogya Food Court"
ADMIN_USER, ADMIN_PASSWORD = "demo", "demo-password-change-me"
STALLS: dict[str, tuple[list[str], str, list[tuple[str, str, str]]]] = {
    "Pizza Paradise": (["oven", "cold"], "Pizza", [
        ("Margherita", "45000", "oven"), ("Pepperoni", "55000", "oven"),
        ("Quattro Formaggi", "60000", "oven"), ("Caesar Salad", "35000", "cold")]),
    "Warung Nusantara": (["wok", "grill"], "Indonesian", [
        ("Nasi Goreng", "30000", "wok"), ("Mie Goreng", "28000", "wok"),
        ("Sate Ayam", "32000", "grill"), ("Gudeg Yogya", "35000", "wok")]),
    "Es Teh Corner": (["drinks"], "Drinks", [
        ("Es Teh Manis", "8000", "drinks"), ("Es Jeruk", "10000", "drinks"),
        ("Kopi Susu", "18000", "drinks"), ("Air Mineral", "5000", "drinks")]),
}


def seed_demo(engine: Engine, cfg: CentralConfig) -> list[str]:
    """Create whatever of the demo is missing; returns lines to print (the admin login last)."""
    now = time.time()
    fleet = FleetStore(engine, cfg.hub_offline_after)
    catalog = CatalogStore(engine)
    if not fleet.outlet_exists(OUTLET_ID):
        fleet.create_outlet({"name": OUTLET_NAME, "address": "Jl. Malioboro No.1, Yogyakarta",
                             "is_active": True}, None, now, outlet_id=OUTLET_ID)
    made = 0
    for stall, (stations, category, menu) in STALLS.items():
        with engine.connect() as conn:
            tenant_id = conn.execute(select(tenants.c.id).where(
                tenants.c.outlet_id == OUTLET_ID, tenants.c.name == stall,
                tenants.c.deleted.is_(False))).scalar()
        if tenant_id is None:
            (row,) = catalog.create_many("tenants", [{"outlet_id": OUTLET_ID, "name": stall,
                                                      "stations": stations,
                                                      "is_active": True}], now)
            tenant_id = row["id"]
        with engine.connect() as conn:
            category_id = conn.execute(select(categories.c.id).where(
                categories.c.tenant_id == tenant_id, categories.c.name == category,
                categories.c.deleted.is_(False))).scalar()
            have = set(conn.execute(select(products.c.name).where(
                products.c.tenant_id == tenant_id, products.c.deleted.is_(False))).scalars())
        if category_id is None:
            (row,) = catalog.create_many("categories", [{"name": category, "description": "",
                                                         "tenant_id": tenant_id,
                                                         "sort_order": 0}], now)
            category_id = row["id"]
        missing = [{"tenant_id": tenant_id, "category_id": category_id, "name": name,
                    "description": "", "price": price, "station": station, "image": None,
                    "is_available": True} for name, price, station in menu if name not in have]
        if missing:
            catalog.create_many("products", missing, now)
            made += len(missing)
    AccountStore(engine).create_admin(ADMIN_USER, ADMIN_PASSWORD, now)
    return [f"demo food court ready: outlet {OUTLET_ID} {OUTLET_NAME!r}, "
            f"{len(STALLS)} tenants, {made} new products, menu version "
            f"{catalog.current_version()}",
            f"admin login: {ADMIN_USER} / {ADMIN_PASSWORD}"]
