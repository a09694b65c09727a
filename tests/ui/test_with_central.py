"""Browser tests that need central too: the admin panel, Sync only, the hub-down path."""

from __future__ import annotations

import time
from typing import Any

from tests.support.processes import http_json
from tests.ui.conftest import UI_DIR, enroll_token
from tests.ui.pages import add, checkout, open_kiosk, open_kitchen, wait_mode, wait_queue_empty, wait_ticket

ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin


def enrolled_hub(hub_factory: Any, central: Any, **env: str) -> Any:
    hub = hub_factory(
        env={
            "HUB_UI_DIR": UI_DIR,
            "HUB_CENTRAL_URL": central.base,
            "HUB_ENROLLMENT_TOKEN": enroll_token(central),
            "HUB_HEARTBEAT_SECONDS": "1",
            **env,
        }
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait for the first menu pull from central
        status, body = http_json(f"{hub.base}/api/master-data/products")
        if status == 200 and body.get("products"):
            return hub
        time.sleep(0.2)
    raise AssertionError(f"hub never got the menu from central; log:\n{hub.log()[-3000:]}")


def test_admin_sees_a_fresh_hubs_auto_registered_url(
    central_factory: Any, hub_factory: Any, new_page: Any
) -> None:
    central = central_factory()
    admin = new_page(f"{central.base}/admin/", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.wait_for_selector('[data-testid="outlet-row"]')
    hub = enrolled_hub(hub_factory, central)
    # nobody types the URL: the hub registers it and the list refreshes by itself
    row = admin.locator('[data-testid="outlet-row"][data-outlet-id="1"]')
    admin.wait_for_function(
        "u => document.querySelector('[data-outlet-id=\"1\"] [data-testid=websocket-url]')"
        "?.textContent === u",
        arg=hub.ws_url,
        timeout=30000,
    )
    assert row.locator('[data-testid="url-source"]').inner_text() == "auto (hub)"
    admin.wait_for_selector('[data-outlet-id="1"] [data-testid="hub-online"]:text("online")')

    # pin a URL (e.g. behind a proxy), then unpin: the hub's own URL applies again
    row.locator("button:text('Pin URL')").click()
    admin.fill('[data-testid="pin-url"]', "wss://kitchen.example.test/ws")
    admin.click(".dialog button[type=submit]")
    admin.wait_for_selector('[data-outlet-id="1"] [data-testid="url-source"]:text("pinned")')
    assert row.locator('[data-testid="websocket-url"]').inner_text() == "wss://kitchen.example.test/ws"
    row.locator('[data-testid="unpin"]').click()
    admin.wait_for_selector('[data-outlet-id="1"] [data-testid="url-source"]:text("auto (hub)")')
    assert row.locator('[data-testid="websocket-url"]').inner_text() == hub.ws_url

    # a single-use enrollment token is shown once
    row.locator('[data-testid="enroll"]').click()
    token = admin.locator('[data-testid="enrollment-token"]').inner_text()
    assert len(token) > 20


def test_central_stopped_kiosk_sells_from_cached_menu_and_says_sync_only(
    central_factory: Any, hub_factory: Any, new_page: Any
) -> None:
    central = central_factory()
    hub = enrolled_hub(hub_factory, central)
    kitchen = open_kitchen(new_page, hub)
    kiosk = open_kiosk(new_page, hub)
    wait_mode(kiosk, "online", timeout=30000)
    central.kill()
    wait_mode(kiosk, "sync-only", timeout=30000)
    add(kiosk, "Nasi Goreng")
    add(kiosk, "Es Teh Manis", 2)
    numbers = checkout(kiosk)
    assert len(numbers) == 2  # two stalls
    for n in numbers:
        wait_ticket(kitchen, n)
    wait_queue_empty(kiosk)
    assert kiosk.inner_text('[data-testid="connection-mode"]') == "Sync only"


def central_allows_browsers(central: Any, hub: Any) -> bool:
    """Does central answer a CORS preflight from the hub's origin (the kiosk page's origin)?"""
    import urllib.request

    req = urllib.request.Request(
        f"{central.base}/api/public/order-groups/",
        method="OPTIONS",
        headers={
            "Origin": hub.base,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return bool(resp.headers.get("Access-Control-Allow-Origin"))
    except Exception:
        return False


def test_hub_down_internet_up_orders_go_through_central_and_come_back_once(
    central_factory: Any, hub_factory: Any, new_page: Any
) -> None:
    central = central_factory()
    # a promotion the kiosk applies to its prices: central must price the order the same
    _, login = http_json(
        f"{central.base}/api/auth/login", "POST", {"username": ADMIN[0], "password": ADMIN[1]}
    )
    admin = {"Authorization": f"Bearer {login['token']}"}
    status, _ = http_json(
        f"{central.base}/api/promotions/", "POST", {"name": "Opening week", "discount_percent": "12.5"}, admin
    )
    assert status == 201
    hub = enrolled_hub(hub_factory, central)
    # central answers the preflight of the hub's origin (decision 0102), else nothing below works
    assert central_allows_browsers(central, hub), "central sends no CORS headers for the hub's origin"
    kitchen = open_kitchen(new_page, hub)
    kiosk = new_page(f"{hub.base}/kiosk/?central_after=1")
    kiosk.wait_for_selector('[data-testid="product"]')
    wait_mode(kiosk, "online", timeout=30000)
    assert kitchen.evaluate("window.outletKitchen.feed.central !== null"), "hub gave no display token"
    hub.kill()
    wait_mode(kiosk, "offline")
    add(kiosk, "Sate Ayam")
    [number] = checkout(kiosk)
    wait_queue_empty(kiosk, timeout=60000)
    assert kiosk.evaluate("window.outletKiosk.queue.all().then(a => a[0].via)") == "central"
    assert kiosk.evaluate("window.outletKiosk.queue.all().then(a => a[0].order.total_amount)") == "28000"
    from tests.ui.pages import wait_kitchen_mode

    wait_kitchen_mode(kitchen, "central", timeout=60000)
    kitchen.wait_for_selector('[data-testid="ticket"]', timeout=30000)
    hub.start()
    wait_kitchen_mode(kitchen, "live", timeout=30000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the hub takes central's order in, same uuid
        _status, rows = http_json(f"{hub.base}/api/orders?outlet_id=1&since_id=0")
        if rows:
            break
        time.sleep(0.5)
    assert len(rows) == 1, rows
    time.sleep(1)
    assert kitchen.locator('[data-testid="ticket"]').count() == 1
    # the receipt's number is what the kitchen calls, and the price is the kiosk's (32000 - 12.5 %)
    assert rows[0]["order_number"] == number
    assert rows[0]["total_amount"] == "28000"
    wait_ticket(kitchen, number)
    _, at_central = http_json(f"{central.base}/api/orders/?outlet_id=1", headers=admin)
    assert [(o["order_number"], o["total_amount"]) for o in at_central["orders"]] == [(number, "28000")]
    _, conflicts = http_json(f"{central.base}/api/orders/conflicts", headers=admin)
    assert conflicts["conflicts"] == []
