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

    # A Debian kiosk's Chromium has no emoji font (nor has this one): nothing on the screen
    # may need one. The reprint button's printer is drawn (inline SVG in the button's colour).
    astral = "() => [...document.body.innerText].filter((c) => c.codePointAt(0) > 0xffff)"
    assert page.evaluate(astral) == []
    reprint = '[data-testid="ticket"][data-number="UI-1"] [data-testid="action-reprint"]'
    icon = page.locator(f"{reprint} .icon-print")
    box = icon.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24
    drawn = "(e) => e.namespaceURI.endsWith('/svg') && e.querySelector('path').getTotalLength() > 0"
    assert icon.evaluate(drawn)

    page.click(reprint)
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


def test_with_pairing_required_the_status_page_lists_printers_behind_the_pin_and_words_refusals(
        hub_factory: Callable[..., Any], new_page: Callable[..., Any], grill: FakePrinter) -> None:
    """The production setting (pairing required): the status page is no paired screen, so its
    printers card appears once IT has entered the manager PIN under Screens; a test print the
    hub refuses (this address locked out after wrong PINs) reads in the outlet's language
    (id-ID) from the catalog, not as the hub's English error text."""
    from tests.hub.pairing_support import PIN
    from tests.support.processes import http_json

    hub = hub_factory(env={"HUB_PAIRING": "required", "HUB_MANAGER_PIN": PIN,
                           "HUB_PRINTERS": json.dumps([{"name": "grill", "url": grill.url}])})
    assert http_json(f"{hub.base}/api/printers")[0] == 401
    status = new_page(lang=None)
    status.clock.install()               # the page's 5 s refresh is paused below, not raced
    status.goto(f"{hub.base}/")
    status.get_by_test_id("screens-pin").fill(PIN)
    status.get_by_test_id("screens-unlock").click()
    button = status.locator('[data-testid="test-print-grill"]')
    button.wait_for()                    # the next refresh carries the PIN
    status.clock.pause_at(status.evaluate("Date.now()") + 1)

    # Wrong PINs from this address (the test and Chromium share 127.0.0.1) lock it out.
    for _ in range(30):
        code, body = http_json(f"{hub.base}/api/printers/grill/test", "POST", {},
                               headers={"X-Manager-Pin": "0000"})
        if code == 429:
            break
    assert code == 429 and body["error"]["code"] == "rate_limited", (code, body)

    button.click()
    status.wait_for_function("() => document.querySelector("
                             "'[data-testid=\"test-print-grill\"]').textContent.startsWith('Ditolak')")
    assert button.inner_text() == ("Ditolak: Terlalu banyak PIN salah dari layar ini. Tunggu 5 menit, "
                                   "atau setujui kodenya dari pusat.")
    assert grill.texts() == []          # nothing was printed
