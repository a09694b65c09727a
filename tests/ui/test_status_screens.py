"""The hub status page lists paired screens and pending codes behind the manager PIN (issue 12
item 2's status-page part): approve a code, revoke a screen, in real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.hub.pairing_support import PIN, pair, request_pairing
from tests.support.processes import Hub, http_json


def test_status_page_approves_a_code_and_revokes_a_screen(
        hub_factory: Callable[..., Hub], new_page: Callable[..., Any]) -> None:
    hub = hub_factory(env={"HUB_PAIRING": "required", "HUB_MANAGER_PIN": PIN})
    device_id, token = pair(hub, "kitchen", tenant_ids=[2])
    req = request_pairing(hub, "board", "Pickup board")
    page = new_page(f"{hub.base}/")

    page.get_by_test_id("screens-pin").fill("0000")
    page.get_by_test_id("screens-unlock").click()
    page.get_by_test_id("screens-note").wait_for()
    # The catalog's words (en here), not the hub's English error text ("wrong manager PIN").
    assert page.get_by_test_id("screens-note").inner_text() == "Wrong PIN."

    page.get_by_test_id("screens-pin").fill(PIN)
    page.get_by_test_id("screens-unlock").click()
    row = page.get_by_test_id(f"pending-{req['code']}")
    row.wait_for()
    assert "Pickup board" in row.inner_text()
    device = page.get_by_test_id(f"device-{device_id}")
    assert "Kitchen screen" in device.inner_text() and "stalls 2" in device.inner_text()

    row.get_by_role("button", name="Approve").click()
    row.wait_for(state="detached")
    polled = http_json(f"{hub.base}/api/pairing/{req['request_id']}")[1]
    assert polled["status"] == "approved" and polled["token"]

    page.get_by_test_id(f"revoke-{device_id}").click()
    device.wait_for(state="detached")
    auth = {"Authorization": f"Bearer {token}"}
    assert http_json(f"{hub.base}/api/orders", headers=auth)[0] == 401
    assert PIN not in page.evaluate("JSON.stringify(localStorage) + document.cookie")
