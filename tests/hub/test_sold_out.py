"""Sold out at the hub (issue 14): committed before the answer, pushed once to every
screen, listed for a screen that was away, kept across a SIGKILL, bounded by the menu."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order
from tests.ui.ui_hub import module_menu_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One hub with the test menu for the module (the tests leave each other's marks alone)."""
    with module_menu_hub(tmp_path_factory.mktemp("sold-out")) as hub:
        yield hub


def _listed(hub: Hub) -> list[int]:
    status, body = http_json(f"{hub.base}/api/sold-out")
    assert status == 200, body
    return [r["product_id"] for r in body["sold_out"]]


async def test_marks_reach_every_screen_once_and_survive_a_sigkill(hub: Hub) -> None:
    kiosk = await WsClient.connect(hub.ws_url, client_type="pos")
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen")
    try:
        for c in (kiosk, kitchen):
            await c.wait_for(lambda m: m["type"] == "connected")
        status, body = await asyncio.to_thread(http_json, f"{hub.base}/api/sold-out/1", "PUT", {})
        assert status == 200 and body["sold_out"] is True and body["changed"] is True, body
        again = await asyncio.to_thread(http_json, f"{hub.base}/api/sold-out/1", "PUT", {})
        assert again[1]["changed"] is False
        for c in (kiosk, kitchen):
            pushed = await c.wait_for(lambda m: m["type"] == "product_availability")
            assert pushed["payload"]["product_id"] == 1 and pushed["payload"]["sold_out"] is True
        await asyncio.to_thread(http_json, f"{hub.base}/api/sold-out/2", "PUT", {})
        await kiosk.wait_for(lambda m: m["type"] == "product_availability"
                             and m["payload"]["product_id"] == 2)
        marks = [m for m in kiosk.messages if m["type"] == "product_availability"]
        assert [m["payload"]["product_id"] for m in marks] == [1, 2]   # the repeat said nothing
    finally:
        await kiosk.close()
        await kitchen.close()
    assert _listed(hub) == [1, 2]
    hub.kill()                                   # SIGKILL right after the acks
    hub.start()
    assert _listed(hub) == [1, 2]
    status, body = http_json(f"{hub.base}/api/sold-out/1", "DELETE")
    assert status == 200 and body["changed"] is True
    assert _listed(hub) == [2]


def test_only_products_on_the_menu_can_be_marked(hub: Hub) -> None:
    before = _listed(hub)
    status, body = http_json(f"{hub.base}/api/sold-out/424242", "PUT", {})
    assert status == 404 and body["error"]["field"] == "product_id", body
    assert http_json(f"{hub.base}/api/sold-out/0", "PUT", {})[0] == 400
    assert _listed(hub) == before
    _, health = http_json(f"{hub.ops}/health")
    assert health["status"] == "ok", health        # a refused mark is no store fault


def test_status_counts_todays_orders_from_the_hubs_own_data(hub: Hub) -> None:
    orders = [make_order(f"T-{i}") for i in range(3)]
    for o in orders:
        assert http_json(f"{hub.base}/api/orders", "POST", o)[0] == 201
    http_json(f"{hub.base}/api/orders/{orders[0]['uuid']}", "PATCH", {"status": "cancelled"})
    http_json(f"{hub.base}/api/orders/{orders[1]['uuid']}", "PATCH", {"status": "completed"})
    _, status = http_json(f"{hub.base}/api/status")
    today = status["today"]
    assert (today["orders"], today["open"], today["completed"], today["cancelled"]) == (3, 1, 1, 1)
    assert today["business_day"] and today["since"].endswith("Z")
