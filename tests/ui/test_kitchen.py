"""Kitchen display: polling fallback when the socket is refused, reload, and status changes
propagating to a second kitchen and the board."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.support.processes import http_json
from tests.ui.conftest import WAIT_MS
from tests.ui.pages import kitchen_numbers, open_kitchen, wait_kitchen_mode, wait_ticket


def post_order(hub: Any, number: str, tenant_id: int = 1, **extra: Any) -> dict[str, Any]:
    """An order as another POS would send it (HTTP), so kitchen tests do not depend on the kiosk."""
    import uuid

    body = {
        "uuid": str(uuid.uuid4()),
        "order_number": number,
        "outlet_id": 1,
        "tenant_id": tenant_id,
        "tenant_name": {1: "Pizza Paradise", 2: "Burger Bros", 3: "Noodle House"}[tenant_id],
        "status": "pending",
        "order_type": "dine_in",
        "table": "7",
        "source": "pos",
        "items": [
            {
                "product_id": 1,
                "name": "Margherita",
                "qty": 2,
                "price": "45000",
                "modifiers": ["extra cheese"],
                "notes": "well done",
                "station": "oven",
            }
        ],
        "total_amount": "90000",
        **extra,
    }
    status, ack = http_json(f"{hub.base}/api/orders", "POST", body)
    assert status in (200, 201), ack
    return body


def ticket_status(page: Any, number: str) -> str:
    return str(page.get_attribute(f'[data-testid="ticket"][data-number="{number}"]', "data-status"))


def wait_status(page: Any, number: str, status: str) -> None:
    page.wait_for_selector(
        f'[data-testid="ticket"][data-number="{number}"][data-status="{status}"]', timeout=WAIT_MS
    )


def test_socket_refused_kitchen_polls_then_goes_live_again(
    menu_hub: Any, new_page: Any, tmp_path: Path
) -> None:
    flag = tmp_path / "refuse-ws"
    flag.touch()
    hub = menu_hub(env={"HUB_TEST_REFUSE_WS": str(flag)})
    kitchen = open_kitchen(new_page, hub)
    wait_kitchen_mode(kitchen, "polling")
    post_order(hub, "P-0001")
    wait_ticket(kitchen, "P-0001")
    assert kitchen.evaluate("window.outletKitchen.socket.isOpen") is False
    flag.unlink()
    wait_kitchen_mode(kitchen, "live", timeout=30000)  # socket retry backoff caps at 10 s
    post_order(hub, "P-0002")
    wait_ticket(kitchen, "P-0002")
    assert kitchen_numbers(kitchen).count("P-0001") == 1
    assert kitchen_numbers(kitchen).count("P-0002") == 1


def test_hub_down_kitchen_says_offline_and_recovers_without_duplicates(menu_hub: Any, new_page: Any) -> None:
    hub = menu_hub()
    kitchen = open_kitchen(new_page, hub)
    wait_kitchen_mode(kitchen, "live")
    post_order(hub, "D-0001")
    wait_ticket(kitchen, "D-0001")
    hub.kill()
    wait_kitchen_mode(kitchen, "offline")
    hub.start()
    post_order(hub, "D-0002")
    wait_ticket(kitchen, "D-0002", timeout=30000)
    wait_kitchen_mode(kitchen, "live", timeout=30000)
    assert sorted(kitchen_numbers(kitchen)) == ["D-0001", "D-0002"]


def test_reload_restores_tickets_and_status_changes_reach_other_screens(menu_hub: Any, new_page: Any) -> None:
    hub = menu_hub()
    cook = open_kitchen(new_page, hub)
    other = open_kitchen(new_page, hub, "?tenant=1")
    board = new_page(f"{hub.base}/board/", width=1920, height=1080)
    for n in ("R-0001", "R-0002"):
        post_order(hub, n)
        wait_ticket(cook, n)
    post_order(hub, "R-0003", tenant_id=2)
    wait_ticket(cook, "R-0003")
    wait_ticket(other, "R-0002")
    assert "R-0003" not in kitchen_numbers(other)

    # Reload with the hub out of reach (every API call refused, every socket closed): the
    # tickets can only come from the browser's storage. Was a 5 s budget on the first
    # ticket, which said "fast" but not "from storage", and raced a slow host.
    hub_reachable = False

    def api(route: Any) -> None:
        route.continue_() if hub_reachable else route.abort()

    def socket(ws: Any) -> None:
        ws.connect_to_server() if hub_reachable else ws.close()

    cook.route("**/api/**", api)
    cook.route_web_socket(re.compile(".*"), socket)
    cook.reload()
    wait_ticket(cook, "R-0001")
    assert sorted(kitchen_numbers(cook)) == ["R-0001", "R-0002", "R-0003"]
    wait_kitchen_mode(cook, "offline")
    hub_reachable = True
    cook.reload()
    wait_kitchen_mode(cook, "live")
    assert sorted(kitchen_numbers(cook)) == ["R-0001", "R-0002", "R-0003"]
    ticket = cook.locator('[data-testid="ticket"][data-number="R-0001"]')
    assert "extra cheese" in ticket.inner_text() and "well done" in ticket.inner_text()

    # start → preparing, seen by the other kitchen and the board
    ticket.locator('[data-testid="action-start"]').click()
    wait_status(other, "R-0001", "preparing")
    board.wait_for_selector('[data-testid="preparing"] [data-number="R-0001"]')
    # ready → the board moves it to the Ready column
    cook.locator('[data-testid="ticket"][data-number="R-0001"] [data-testid="action-ready"]').click()
    wait_status(other, "R-0001", "ready")
    board.wait_for_selector('[data-testid="ready"] [data-number="R-0001"]')
    # bump → gone everywhere
    cook.locator('[data-testid="ticket"][data-number="R-0001"] [data-testid="action-bump"]').click()
    other.wait_for_selector('[data-testid="ticket"][data-number="R-0001"]', state="detached")
    board.wait_for_selector('[data-number="R-0001"]', state="detached")
    # recall the last bumped → back as ready on every screen
    cook.click('[data-testid="recall"]')
    wait_status(other, "R-0001", "ready")
    wait_status(cook, "R-0001", "ready")
    board.wait_for_selector('[data-testid="ready"] [data-number="R-0001"]')
    _status, row = http_json(f"{hub.base}/api/orders?outlet_id=1&since_id=0")
    assert {r["order_number"]: r["status"] for r in row}["R-0001"] == "ready"
    # cancel shows distinctly (struck through) and the all-day count follows
    cook.locator('[data-testid="ticket"][data-number="R-0002"] [data-testid="action-cancel"]').click()
    wait_status(other, "R-0002", "cancelled")
    cook.click('[data-testid="allday-toggle"]')
    rows = cook.eval_on_selector_all('[data-testid="allday-row"]', "els => els.map(e => e.innerText)")
    assert rows == ["Margherita\n2"], rows  # only R-0003 is still open and not ready
