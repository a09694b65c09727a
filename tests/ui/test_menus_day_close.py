"""Issue 14 end to end: real central + hub + Chromium.

A product with a modifier group made in the admin panel reaches a kiosk, the kitchen and
central's total; sold out at a POS greys the product on another kiosk and reaches central;
the day's close moves yesterday's open tickets off the kitchen screen (the kitchen's clock
moved past `day_starts_at` through Playwright's injectable browser clock) and central's
daily summary matches the orders placed here. One central and one hub serve the module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from outlet_protocol.business_day import business_day, parse_day_start
from outlet_protocol.fields import timestamp
from tests.support.faults import eventually
from tests.support.processes import Central, Hub, http_json
from tests.ui.conftest import UI_DIR, enroll_token
from tests.ui.pages import add, checkout, open_kitchen, wait_ticket

ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin
POLL_S = 45  # generous bound for the sync loops of a shared 2-core machine; nothing is timed


def poll(fn: Callable[[], Any], what: str) -> Any:
    return eventually(fn, what, timeout=POLL_S)


def login(page: Any) -> None:
    page.fill('[data-testid="username"]', ADMIN[0])
    page.fill('[data-testid="password"]', ADMIN[1])
    page.click('[data-testid="login"]')


class FoodCourt:
    def __init__(self, central: Central, hub: Hub) -> None:
        self.central, self.hub = central, hub
        _, login = http_json(f"{central.base}/api/auth/login", "POST",
                             {"username": ADMIN[0], "password": ADMIN[1]})
        self.admin = {"Authorization": f"Bearer {login['token']}"}

    def central_orders(self) -> list[dict[str, Any]]:
        _, page = http_json(f"{self.central.base}/api/orders/?outlet_id=1&limit=1000",
                            headers=self.admin)
        return list(page["orders"])

    def hub_product(self, name: str) -> dict[str, Any] | None:
        _, body = http_json(f"{self.hub.base}/api/master-data/products")
        return next((p for p in body.get("products", []) if p["name"] == name), None)


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FoodCourt]:
    work = tmp_path_factory.mktemp("menus")
    central = Central(work / "central")
    hub: Hub | None = None
    try:
        central.cli("migrate")
        central.cli("seed-demo")
        central.start()
        hub = Hub(work, env={"HUB_UI_DIR": UI_DIR, "HUB_CENTRAL_URL": central.base,
                             "HUB_ENROLLMENT_TOKEN": enroll_token(central),
                             "HUB_HEARTBEAT_SECONDS": "1"})
        hub.start()
        court = FoodCourt(central, hub)
        poll(lambda: court.hub_product("Kopi Susu"), "hub's first menu pull from central")
        yield court
    finally:
        if hub is not None:
            hub.kill()
        central.kill()


def open_kiosk_at(new_page: Any, court: FoodCourt, query: str = "") -> Any:
    page = new_page(f"{court.hub.base}/kiosk/{query}")
    page.wait_for_selector('[data-testid="product"]')
    return page


def test_admin_made_options_reach_the_kiosk_the_kitchen_and_centrals_total(
        court: FoodCourt, new_page: Any) -> None:
    admin = new_page(f"{court.central.base}/admin/", width=1440, height=1000)
    login(admin)
    admin.wait_for_selector('[data-testid="outlet-row"]')
    admin.click('a[data-view="products"]')
    admin.click('[data-testid="new-products"]')
    admin.fill('.dialog input[name="name"]', "Nasi Goreng Spesial")
    admin.select_option('.dialog select[name="tenant_id"]', label="Warung Nusantara")
    admin.fill('.dialog input[name="price"]', "30000")
    admin.fill('.dialog input[name="station"]', "wok")
    admin.check('.dialog input[name="allow_notes"]')
    admin.click('[data-testid="add-group"]')
    group = admin.locator('[data-testid="modifier-group"]')
    group.locator('[data-testid="group-name"]').fill("Topping")
    group.locator('[data-testid="group-min"]').fill("0")
    group.locator('[data-testid="group-max"]').fill("2")
    for i, (name, delta) in enumerate([("Telur", "5000"), ("Keju", "7000"), ("Sambal", "0")]):
        if i:
            group.locator('[data-testid="add-option"]').click()
        row = group.locator('[data-testid="option-row"]').nth(i)
        row.locator('[data-testid="option-name"]').fill(name)
        row.locator('[data-testid="option-delta"]').fill(delta)
    admin.click('[data-testid="save"]')
    admin.wait_for_selector('[data-testid="products-table"] td:text("Nasi Goreng Spesial")')

    product = poll(lambda: court.hub_product("Nasi Goreng Spesial"), "hub syncing the product")
    assert product["allow_notes"] is True
    assert [(o["name"], o["price_delta"]) for o in product["modifier_groups"][0]["options"]] == \
        [("Telur", "5000"), ("Keju", "7000"), ("Sambal", "0")]

    kitchen = open_kitchen(new_page, court.hub)
    kiosk = open_kiosk_at(new_page, court)
    kiosk.click('[data-testid="product"][data-name="Nasi Goreng Spesial"]')
    sheet = kiosk.locator('[data-testid="options-sheet"]')
    sheet.locator('[data-testid="option"][data-option="Telur"]').click()
    sheet.locator('[data-testid="option"][data-option="Keju"]').click()
    sheet.locator('[data-testid="options-notes"]').fill("tanpa bawang")
    sheet.locator('[data-testid="options-add"]').click()
    [number] = checkout(kiosk)

    wait_ticket(kitchen, number)
    ticket = kitchen.locator(f'[data-testid="ticket"][data-number="{number}"]')
    mods = ticket.locator(".mod").all_inner_texts()
    assert mods == ["+ Telur", "+ Keju"]
    assert ticket.locator(".note").inner_text() == "“tanpa bawang”"

    synced = poll(lambda: [o for o in court.central_orders() if o["order_number"] == number],
                  "order reaching central")
    assert synced[0]["total_amount"] == "42000"          # 30000 + 5000 + 7000
    item = synced[0]["items"][0]
    assert (item["modifiers"], item["notes"], item["price"]) == (["Telur", "Keju"], "tanpa bawang",
                                                                 "42000")


def test_sold_out_at_a_pos_or_kitchen_greys_the_product_on_another_kiosk_and_reaches_central(
        court: FoodCourt, new_page: Any) -> None:
    pos = open_kiosk_at(new_page, court, "?staff=1")
    kiosk = open_kiosk_at(new_page, court)
    product = court.hub_product("Kopi Susu")
    assert product is not None
    grey = '[data-testid="product"][data-name="Kopi Susu"][data-sold-out="1"]'
    assert kiosk.locator(grey).count() == 0
    pos.click(f'[data-testid="toggle-sold-out"][data-product-id="{product["id"]}"]')
    kiosk.wait_for_selector(grey, timeout=POLL_S * 1000)
    assert kiosk.locator(grey).is_disabled()

    # A probe that never creates an order: its second line names no product, so central
    # refuses it either way, at the first line once it knows Kopi Susu is sold out.
    cart = {"outlet_id": 1, "items": [{"product_id": product["id"], "qty": 1},
                                      {"product_id": 2**31 - 1, "qty": 1}]}

    def refused() -> bool:
        status, body = http_json(f"{court.central.base}/api/public/order-groups/", "POST", cart)
        return status == 400 and body["error"]["field"] == "items[0].product_id" \
            and "sold out" in body["error"]["message"]

    poll(refused, "central learning the sold-out mark from the heartbeat")
    pos.click(f'[data-testid="toggle-sold-out"][data-product-id="{product["id"]}"]')
    kiosk.wait_for_selector('[data-testid="product"][data-name="Kopi Susu"][data-sold-out="0"]',
                            timeout=POLL_S * 1000)

    # The cook who runs out marks it on the kitchen screen: the same push greys it.
    kitchen = open_kitchen(new_page, court.hub)
    kitchen.click('[data-testid="soldout-toggle"]')
    jeruk = court.hub_product("Es Jeruk")
    assert jeruk is not None
    kitchen.click(f'[data-testid="kitchen-sold-out"][data-product-id="{jeruk["id"]}"]')
    kitchen.wait_for_selector(f'[data-testid="kitchen-sold-out"][data-product-id="{jeruk["id"]}"]'
                              '[data-out="1"]')
    kiosk.wait_for_selector('[data-testid="product"][data-name="Es Jeruk"][data-sold-out="1"]',
                            timeout=POLL_S * 1000)
    kitchen.click(f'[data-testid="kitchen-sold-out"][data-product-id="{jeruk["id"]}"]')
    kiosk.wait_for_selector('[data-testid="product"][data-name="Es Jeruk"][data-sold-out="0"]',
                            timeout=POLL_S * 1000)


def test_days_close_moves_yesterdays_tickets_and_centrals_summary_matches(
        court: FoodCourt, new_page: Any) -> None:
    kitchen = new_page()
    kitchen.clock.install()                      # the kitchen's clock, moved below
    kitchen.goto(f"{court.hub.base}/kitchen/")
    kitchen.wait_for_function("window.outletKitchen !== undefined")
    kiosk = open_kiosk_at(new_page, court)
    add(kiosk, "Es Teh Manis", 2)
    [served] = checkout(kiosk)
    add(kiosk, "Es Jeruk")
    [dropped] = checkout(kiosk)
    for n in (served, dropped):
        wait_ticket(kitchen, n)
    kitchen.locator(f'[data-testid="ticket"][data-number="{served}"] [data-testid="action-ready"]').click()
    kitchen.locator(f'[data-testid="ticket"][data-number="{dropped}"] [data-testid="action-cancel"]').click()
    kitchen.wait_for_selector(f'[data-testid="ticket"][data-number="{served}"][data-status="ready"]')
    before = {t: kitchen.locator(f'[data-testid="ticket"][data-number="{t}"]').count()
              for t in (served,)}
    assert before == {served: 1}
    assert kitchen.locator('[data-testid="yesterday-toggle"]').is_hidden()

    kitchen.clock.fast_forward("24:00:00")       # past the next day's 04:00, whatever now is
    kitchen.wait_for_selector(f'[data-testid="ticket"][data-number="{served}"]', state="detached")
    toggle = kitchen.locator('[data-testid="yesterday-toggle"]')
    toggle.wait_for(state="visible")
    toggle.click()
    listed = kitchen.locator('[data-testid="yesterday-ticket"]')
    assert served in listed.evaluate_all("els => els.map(e => e.dataset.number)")
    assert dropped not in listed.evaluate_all("els => els.map(e => e.dataset.number)")
    kitchen.click('[data-testid="bump-all-yesterday"]')
    toggle.wait_for(state="hidden")

    orders = {o["order_number"]: o for o in court.central_orders()}
    created = timestamp(orders[served]["created_at"])
    day = business_day(created, parse_day_start("04:00"), ZoneInfo("Asia/Jakarta")).isoformat()
    tenant_id = orders[served]["tenant_id"]

    def summary_row() -> dict[str, Any] | None:
        _, body = http_json(f"{court.central.base}/api/admin/summary?outlet_id=1&date={day}",
                            headers=court.admin)
        row = next((r for r in body["rows"] if r["tenant_id"] == tenant_id), None)
        done = row and row["cancellations"] == 1 and row["avg_ticket_seconds"] is not None
        return row if done else None

    row = poll(summary_row, "status events reaching central")
    assert (row["tenant_name"], row["orders"], row["items"], row["revenue"]) == \
        ("Es Teh Corner", 1, 2, "16000")
    assert row["avg_ticket_seconds"] >= 0
    assert poll(lambda: court.central_orders() and {o["order_number"]: o["status"] for o in
                court.central_orders()}[served] == "completed", "the bump reaching central")

    # The admin panel shows the same row and downloads it as CSV.
    admin = new_page(f"{court.central.base}/admin/", width=1440, height=900)
    login(admin)
    # The outlet's trading day is the admin's to set (the values the summary above used).
    admin.click('[data-outlet-id="1"] [data-testid="outlet-day"]')
    admin.fill('[data-testid="day-starts-at"]', "04:00")
    admin.fill('[data-testid="timezone"]', "Asia/Jakarta")
    admin.click(".dialog button[type=submit]")
    admin.wait_for_selector("#flash:text('Trading day saved')")
    _, outlet = http_json(f"{court.central.base}/api/tenants/outlets/1/", headers=court.admin)
    assert (outlet["day_starts_at"], outlet["timezone"]) == ("04:00", "Asia/Jakarta")
    admin.click('a[data-view="summary"]')
    admin.fill('[data-testid="summary-date"]', day)
    admin.click('[data-testid="summary-show"]')
    cells = admin.locator(f'[data-testid="summary-row"][data-tenant-id="{tenant_id}"]')
    cells.wait_for()
    assert cells.locator('[data-testid="orders"]').inner_text() == "1"
    # Money, counts and the ticket time through Intl in the panel's language (decision 0901).
    revenue = cells.locator('[data-testid="revenue"]')
    assert (revenue.get_attribute("data-cents"), revenue.inner_text().replace("\xa0", " ")) == \
        ("1600000", "Rp 16,000")
    assert re.fullmatch(r"\d+ (s|min)", cells.locator('[data-testid="avg-ticket-time"]').inner_text())
    admin.select_option('.side [data-testid="language"]', "id")
    admin.wait_for_selector('[data-testid="summary-table"] th:text("Omzet")')
    cells = admin.locator(f'[data-testid="summary-row"][data-tenant-id="{tenant_id}"]')
    assert cells.locator('[data-testid="revenue"]').inner_text().replace("\xa0", " ") == "Rp 16.000"
    assert re.fullmatch(r"\d+ (dtk|mnt)", cells.locator('[data-testid="avg-ticket-time"]').inner_text())
    with admin.expect_download() as download:
        admin.click('[data-testid="summary-csv"]')
    text = Path(download.value.path()).read_text()
    rows = {r["tenant_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows[str(tenant_id)]["orders"], rows[str(tenant_id)]["cancellations"]) == ("1", "1")

    # The hub's status page counts today's orders from its own database.
    _, status = http_json(f"{court.hub.base}/api/status")
    today = status["today"]
    assert today["orders"] >= 2 and today["cancelled"] >= 1
    page = new_page(f"{court.hub.base}/")
    page.wait_for_selector('[data-testid="status-today"]')
    assert int(page.locator('[data-testid="today-orders"]').inner_text()) == today["orders"]
    assert datetime.fromisoformat(today["since"].replace("Z", "+00:00")) <= datetime.now().astimezone()
