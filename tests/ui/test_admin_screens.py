"""The central admin panel's Screens view (issue 12 items 1 and 3): a hub's pending pairing
code appears, HQ approves it, the paired screen shows with its online state. Real central,
real hub enrolled with it, real Chromium."""

from __future__ import annotations

import time
from typing import Any

from tests.hub.pairing_support import PIN, request_pairing
from tests.support.processes import http_json
from tests.ui.conftest import enroll_token

ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin


def test_hq_approves_a_code_and_sees_the_screen_online(
        central_factory: Any, hub_factory: Any, new_page: Any) -> None:
    central = central_factory()
    hub = hub_factory(outlet_id=1, env={
        "HUB_CENTRAL_URL": central.base, "HUB_ENROLLMENT_TOKEN": enroll_token(central),
        "HUB_HEARTBEAT_SECONDS": "1", "HUB_PAIRING": "required", "HUB_MANAGER_PIN": PIN})
    req = request_pairing(hub, "kitchen", "Satay grill", tenant_ids=[1])

    admin = new_page(f"{central.base}/admin/#screens", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.get_by_test_id(f"approve-{req['code']}").click()

    deadline = time.monotonic() + 15
    polled: dict[str, Any] = {}
    while time.monotonic() < deadline:
        polled = http_json(f"{hub.base}/api/pairing/{req['request_id']}")[1]
        if polled["status"] != "pending":
            break
        time.sleep(0.2)
    assert polled["status"] == "approved" and polled["token"], polled
    # The screen starts using its token (a poll), which is what makes it online.
    auth = {"Authorization": f"Bearer {polled['token']}"}
    assert http_json(f"{hub.base}/api/orders?client_type=kitchen", headers=auth)[0] == 200
    screen = admin.get_by_test_id(f"device-{polled['device_id']}")
    screen.wait_for()
    assert "Satay grill" in screen.inner_text() and "Kitchen screen" in screen.inner_text()
    admin.wait_for_selector(f'[data-testid="device-{polled["device_id"]}"] '
                            '[data-testid="device-online"]:text("online")')
