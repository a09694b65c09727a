"""Browser tests that need central too: the admin panel, Sync only, the hub-down path."""

from __future__ import annotations

import time
from typing import Any

from tests.support.processes import http_json
from tests.ui.conftest import UI_DIR, enroll_token
from tests.ui.pages import add, checkout, open_kiosk, open_kitchen, wait_mode, wait_queue_empty, wait_ticket

ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin


def enrolled_hub(hub_factory: Any, central: Any, **env: str) -> Any:
    hub = hub_factory(env={"HUB_UI_DIR": UI_DIR, "HUB_CENTRAL_URL": central.base,
                           "HUB_ENROLLMENT_TOKEN": enroll_token(central), "HUB_HEARTBEAT_SECONDS": "1", **env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait for the first menu pull from central
        status, body = http_json(f"{hub.base}/api/master-data/products")
        if status == 200 and body.get("products"):
            return hub
        time.sleep(0.2)
    raise AssertionError(f"hub never got the menu from central; log:\n{hub.log()[-3000:]}")


def test_admin_sees_a_fresh_hubs_auto_registered_url(central_factory: Any, hub_factory: Any, new_page: Any) -> None:
    central = central_factory()
    admin = new_page(f"{central.base}/admin/", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.wait_for_selector('[data-testid="outlet-row"]')
    hub = enrolled_hub(hub_factory, central)
    # nobody types the URL: the hub registers it and the list refreshes by itself
    row = admin.locator('[data-testid="outlet-row"][data-outlet-id="1"]')
    admin.wait_for_function("u => document.querySelector('[data-outlet-id=\"1\"] [data-testid=websocket-url]')?.textContent === u",
                            arg=hub.ws_url, timeout=30000)
    assert row.locator('[data-testid="url-source"]').inner_text() == "auto (hub)"
    admin.wait_for_selector('[data-outlet-id="1"] [data-testid="hub-online"]:text("online")')


def test_central_stopped_kiosk_sells_from_cached_menu_and_says_sync_only(central_factory: Any, hub_factory: Any,
                                                                          new_page: Any) -> None:
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
