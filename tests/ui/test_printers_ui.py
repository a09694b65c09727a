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
