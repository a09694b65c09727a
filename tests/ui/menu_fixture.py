"""A realistic food-court menu, written into a hub's menu cache as if central had sent it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

TENANTS = [
    {"id": 1, "outlet_id": 1, "name": "Pizza Paradise", "stations": ["oven", "bar"], "is_active": True},
    {"id": 2, "outlet_id": 1, "name": "Burger Bros", "stations": ["grill"], "is_active": True},
    {"id": 3, "outlet_id": 1, "name": "Noodle House", "stations": ["wok"], "is_active": True},
]
CATEGORIES = [
    {"id": 1, "name": "Pizza", "sort_order": 1, "tenant_id": 1},
    {"id": 2, "name": "Burgers", "sort_order": 2, "tenant_id": 2},
    {"id": 3, "name": "Noodles", "sort_order": 3, "tenant_id": 3},
    {"id": 4, "name": "Drinks", "sort_order": 4, "tenant_id": None},
]


def _p(pid: int, tenant: int, cat: int, name: str, price: str, station: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "tenant_id": tenant,
        "category_id": cat,
        "name": name,
        "price": price,
        "station": station,
        "is_available": True,
        "description": "",
        **extra,
    }


PRODUCTS = [
    _p(1, 1, 1, "Margherita", "45000", "oven", modifiers=["extra cheese", "no basil", "spicy oil"]),
    _p(2, 1, 1, "Pepperoni", "55000", "oven"),
    # Central's option groups (issue 14): one pick-one group with a price delta, and a note.
    _p(3, 1, 1, "Quattro Formaggi", "60000", "oven", allow_notes=True, modifier_groups=[
        {"name": "Crust", "min": 1, "max": 1,
         "options": [{"name": "Thin", "price_delta": "0"}, {"name": "Thick", "price_delta": "5000"}]}]),
    _p(4, 2, 2, "Cheeseburger", "38000", "grill"),
    _p(5, 2, 2, "Double Smash", "52000", "grill"),
    _p(6, 2, 2, "Crispy Fries", "18000", "grill"),
    _p(7, 3, 3, "Mie Goreng", "32000", "wok"),
    _p(8, 3, 3, "Laksa", "42000", "wok"),
    _p(9, 3, 3, "Pad Thai", "40000", "wok"),
    _p(10, 1, 4, "Iced Tea", "12000", "bar"),
    _p(11, 1, 4, "Lemonade", "15000", "bar"),
]
PROMOTIONS = [
    {
        "id": 1,
        "name": "-20% Laksa",
        "discount_percent": "20",
        "product_id": 8,
        "tenant_id": None,
        "start_date": None,
        "end_date": None,
        "is_active": True,
    },
]
MENU = {"tenants": TENANTS, "categories": CATEGORIES, "products": PRODUCTS, "promotions": PROMOTIONS}
VERSION = 7


def seed_menu(db_path: Path, version: int = VERSION) -> None:
    """Write the menu into a stopped hub's SQLite cache (the rows central's sync would write)."""
    con = sqlite3.connect(db_path)
    try:
        rows = [
            (kind, str(it["id"]), version, 0, json.dumps(it)) for kind, items in MENU.items() for it in items
        ]
        con.executemany(
            "INSERT OR REPLACE INTO menu(kind, item_id, version, deleted, body) VALUES (?,?,?,?,?)", rows
        )
        for kind in MENU:
            con.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                (f"menu_version:{kind}", str(version)),
            )
        con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('menu_version', ?)", (str(version),))
        con.commit()
    finally:
        con.close()
