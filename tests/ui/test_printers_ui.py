"""Printers in the browser apps (issue 18): the kitchen's offline banner, held tickets and
reprint button, and the status page's test-print button, in real Chromium against a real hub."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.fake_printer import FakePrinter
from tests.ui.pages import open_kitchen, wait_ticket
from tests.ui.test_kitchen import post_order


@pytest.fixture
def grill() -> Iterator[FakePrinter]:
    p = FakePrinter()
    yield p
    p.close()


def test_kitchen_shows_printer_offline_and_reprints_status_page_test_prints(
        menu_hub: Callable[..., Any], new_page: Callable[..., Any], grill: FakePrinter) -> None:
    grill.mode = "offline"
    hub = menu_hub(env={"HUB_PRINTERS": json.dumps([{"name": "grill", "url": grill.url}])})
    page = open_kitchen(new_page, hub)
    banner = page.locator('[data-testid="printer-offline"][data-printer="grill"]')
    banner.wait_for(state="visible")
    assert "Printer grill offline (offline)" in banner.inner_text()

    post_order(hub, "UI-1")
    wait_ticket(page, "UI-1")
    grill.mode = "online"
    banner.wait_for(state="detached", timeout=45000)
    grill.wait_for(lambda t: len(t) == 1, 30, "the queued ticket")

    page.click('[data-testid="ticket"][data-number="UI-1"] [data-testid="action-reprint"]')
    texts = grill.wait_for(lambda t: len(t) == 2, 30, "the reprint")
    assert "CETAK ULANG" in texts[1] and "^^No. UI-1" in texts[1]

    status = new_page(f"{hub.base}/")
    status.locator('[data-testid="printer-grill"][data-state="online"]').wait_for()
    status.click('[data-testid="test-print-grill"]')
    texts = grill.wait_for(lambda t: len(t) == 3, 30, "the test page")
    assert "TES PRINTER" in texts[2]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "Test page sent" not in status.inner_text(
            '[data-testid="test-print-grill"]'):
        time.sleep(0.1)
    assert status.inner_text('[data-testid="test-print-grill"]') == "Test page sent"


def test_it_adds_a_printer_in_the_admin_panel_and_the_hub_prints_on_it(
        central_factory: Callable[..., Any], hub_factory: Callable[..., Any],
        new_page: Callable[..., Any], grill: FakePrinter) -> None:
    from tests.support.processes import http_json
    from tests.ui.test_with_central import ADMIN, enrolled_hub

    central = central_factory()
    hub = enrolled_hub(hub_factory, central)
    admin = new_page(f"{central.base}/admin/#printers", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.click('[data-testid="new-printers"]')
    admin.fill('.dialog input[name="name"]', "grill")
    admin.select_option('.dialog select[name="outlet_id"]', "1")
    admin.fill('.dialog input[name="url"]', grill.url)
    admin.fill('.dialog input[name="width_mm"]', "58")
    admin.fill('.dialog input[name="tenants"]', "1")
    admin.click('[data-testid="save"]')
    admin.wait_for_selector('[data-testid="printers-table"] td:text("grill")')

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, body = http_json(f"{hub.base}/api/printers")
        if [p["name"] for p in body["printers"]] == ["grill"]:
            break
        time.sleep(0.3)
    assert body["printers"][0]["width_mm"] == 58 and body["printers"][0]["tenants"] == [1]
    post_order(hub, "ADM-1", 1)
    texts = grill.wait_for(lambda t: len(t) == 1, 30, "a ticket on the admin's printer")
    assert "^^No. ADM-1" in texts[0]
