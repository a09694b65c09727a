"""The kiosk never loses an order: hub killed, tab reloaded, hub back — each order arrives once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.support.processes import http_json
from tests.ui.pages import (
    add,
    checkout,
    kitchen_numbers,
    open_kiosk,
    open_kitchen,
    queue_count,
    wait_mode,
    wait_queue_empty,
    wait_ticket,
)


def hub_orders(hub: Any) -> list[dict[str, Any]]:
    status, rows = http_json(f"{hub.base}/api/orders?outlet_id=1&since_id=0")
    assert status == 200
    return list(rows)


def test_hub_killed_kiosk_queues_three_and_all_arrive_once_after_restart(
    menu_hub: Any, new_page: Any
) -> None:
    hub = menu_hub()
    kitchen = open_kitchen(new_page, hub)
    kiosk = open_kiosk(new_page, hub)
    wait_mode(kiosk, "online")
    hub.kill()
    wait_mode(kiosk, "offline")
    numbers = []
    for dish in ("Margherita", "Cheeseburger", "Laksa"):
        add(kiosk, dish)
        numbers += checkout(kiosk)
    assert len(numbers) == 3
    assert queue_count(kiosk) == 3
    assert kiosk.inner_text('[data-testid="queue-count"]') == "3 orders waiting to send"
    hub.start()
    for n in numbers:
        wait_ticket(kitchen, n, timeout=45000)  # kiosk retry backoff caps at 30 s
    wait_queue_empty(kiosk)
    wait_mode(kiosk, "online")
    stored = Counter(o["order_number"] for o in hub_orders(hub))
    assert all(stored[n] == 1 for n in numbers), stored
    shown = Counter(kitchen_numbers(kitchen))
    assert all(shown[n] == 1 for n in numbers), shown


def test_kiosk_reloaded_while_orders_queued_still_sends_them(menu_hub: Any, new_page: Any) -> None:
    hub = menu_hub()
    kiosk = open_kiosk(new_page, hub)
    kiosk.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the shell is cached
    hub.kill()
    wait_mode(kiosk, "offline")
    add(kiosk, "Pad Thai")
    add(kiosk, "Lemonade")
    numbers = checkout(kiosk)
    assert len(numbers) == 2
    kiosk.reload()  # the hub is down: the service worker serves the shell, IndexedDB the queue and menu
    kiosk.wait_for_function("window.outletKiosk !== undefined")
    kiosk.wait_for_selector('[data-testid="product"]')
    assert queue_count(kiosk) == 2
    hub.start()
    wait_queue_empty(kiosk)
    entries = kiosk.evaluate("window.outletKiosk.queue.all()")
    assert [e["state"] for e in entries] == ["sent", "sent"], entries
    stored = Counter(o["order_number"] for o in hub_orders(hub))
    assert all(stored[n] == 1 for n in numbers), stored
    uuids = {o["uuid"] for o in hub_orders(hub)}
    assert len(uuids) == 2
