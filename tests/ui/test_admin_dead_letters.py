"""The admin panel lists the orders hubs set aside (dead letters), each with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.processes import http_json
from tests.ui.conftest import admin_signed_in, enroll_token


def test_admin_sees_set_aside_orders_with_the_reason(
        central_factory: Callable[[], Any], new_page: Callable[..., Any]) -> None:
    central = central_factory()
    status, reg = http_json(f"{central.base}/api/hubs/register", "POST", {
        "hub_id": "hub-dl", "outlet_id": 1, "enrollment_token": enroll_token(central),
        "websocket_url": "ws://192.168.1.10:3001/ws", "http_url": "http://192.168.1.10:3001",
        "addresses": ["192.168.1.10"], "version": "0.1.0"})
    assert status == 200, reg
    letter = {"source": "outbox", "key": "6f1c-too-big", "code": "http_413",
              "reason": "central refused it alone with HTTP 413: request body too large",
              "at": "2026-12-01T08:00:00Z",
              "order": '{"uuid":"6f1c-too-big","order_number":"A-17","total_amount":"25000"}'}
    status, body = http_json(f"{central.base}/api/hubs/dead-letters", "POST",
                             {"dead_letters": [letter]},
                             {"Authorization": f"Bearer {reg['hub_token']}"})
    assert status == 200 and body["stored"] == 1, body

    admin = admin_signed_in(new_page, central)
    admin.click('[data-testid="nav-dead-letters"]')
    row = admin.wait_for_selector('[data-testid="dead-letter-6f1c-too-big"]')
    text = row.inner_text()
    assert "central refused it: central refused it alone with HTTP 413" in text
    assert "A-17" in text and "hub-dl" in text and "http_413" in text
