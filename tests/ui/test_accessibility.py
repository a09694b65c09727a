"""Every app passes axe-core with no serious or critical violation (issue 14 item 5): kiosk,
kitchen, board, hub status page, central admin and the pairing view, each in real Chromium
against real hubs and a real central, in the states staff see (menu loaded, tickets up,
sheets open). axe-core comes pinned from ui-check/ (`make ui-check-deps`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, Central, Hub
from tests.ui.conftest import UI_DIR
from tests.ui.pages import add, open_kiosk, open_kitchen, wait_ticket
from tests.ui.test_kitchen import post_order
from tests.ui.ui_hub import module_menu_hub

AXE_JS = ROOT / "ui-check" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} missing: `make ui-check-deps` installs it (npm ci in ui-check/)")
    return AXE_JS.read_text()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with module_menu_hub(tmp_path_factory.mktemp("a11y-hub")) as h:
        post_order(h, "A-0001")
        post_order(h, "A-0002", tenant_id=2, order_type="takeaway", customer_name="Sari")
        yield h


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    c = Central(tmp_path_factory.mktemp("a11y-central"))
    c.cli("migrate")
    c.cli("seed-demo")
    c.start()
    try:
        yield c
    finally:
        c.kill()


def serious_violations(page: Any, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    def where(node: dict[str, Any]) -> str:
        return f"{node['target'][0]} {node.get('failureSummary', '').splitlines()[-1].strip()}"

    return [
        f"{v['impact']} {v['id']}: {v['help']} — " + "; ".join(where(n) for n in v["nodes"][:4])
        for v in result["violations"] if v["impact"] in BLOCKING
    ]


def test_kiosk(hub: Hub, new_page: Any, axe_source: str) -> None:
    kiosk = open_kiosk(new_page, hub)
    assert serious_violations(kiosk, axe_source) == []
    kiosk.click('[data-testid="product"][data-name="Margherita"]')
    kiosk.get_by_test_id("options-add").wait_for()  # the options and notes sheet
    assert serious_violations(kiosk, axe_source) == []
    kiosk.get_by_test_id("options-add").click()
    add(kiosk, "Pepperoni")
    kiosk.click('[data-testid="checkout"]')
    kiosk.wait_for_selector('[data-testid="receipt-row"]')  # the receipt with its numbers
    assert serious_violations(kiosk, axe_source) == []


def test_kitchen_with_tickets_and_its_sheets(hub: Hub, new_page: Any, axe_source: str) -> None:
    kitchen = open_kitchen(new_page, hub)
    wait_ticket(kitchen, "A-0002")
    kitchen.keyboard.press("ArrowRight")
    assert serious_violations(kitchen, axe_source) == []
    kitchen.keyboard.press("?")
    kitchen.get_by_test_id("keys-sheet").wait_for()
    assert serious_violations(kitchen, axe_source) == []
    kitchen.keyboard.press("Escape")
    kitchen.click('[data-testid="settings"]')
    kitchen.get_by_test_id("settings-save").wait_for()
    assert serious_violations(kitchen, axe_source) == []


def test_board(hub: Hub, new_page: Any, axe_source: str) -> None:
    board = new_page(f"{hub.base}/board/", width=1920, height=1080)
    board.wait_for_selector('[data-number="A-0001"]')
    assert serious_violations(board, axe_source) == []


def test_hub_status_page(hub: Hub, new_page: Any, axe_source: str) -> None:
    status = new_page(f"{hub.base}/")
    status.get_by_test_id("screens-pin").wait_for()
    status.wait_for_function("document.querySelector('#overall')?.dataset.level")
    assert serious_violations(status, axe_source) == []


def test_central_admin(central: Central, new_page: Any, axe_source: str) -> None:
    admin = new_page(f"{central.base}/admin/", width=1440, height=900)
    admin.get_by_test_id("login").wait_for()
    assert serious_violations(admin, axe_source) == []
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    for view in ("outlets", "screens", "promotions", "printers", "dead-letters", "products"):
        admin.evaluate("v => { location.hash = v; }", f"#{view}")
        admin.wait_for_selector(f'#nav a[data-view="{view}"].on')
        admin.wait_for_load_state("networkidle")
        assert serious_violations(admin, axe_source) == [], view
    admin.get_by_test_id("new-products").click()  # the product form, in its modal
    admin.wait_for_selector("#modal:not(.hidden)")
    assert serious_violations(admin, axe_source) == []


def test_pairing_view(tmp_path: Path, new_page: Any, axe_source: str) -> None:
    paired = Hub(tmp_path, env={"HUB_UI_DIR": UI_DIR, "HUB_PAIRING": "required", "HUB_MANAGER_PIN": "482916"})
    paired.start()
    try:
        page = new_page(f"{paired.base}/kitchen/")
        page.get_by_test_id("pairing-code").wait_for()
        page.wait_for_function("document.querySelector('[data-testid=pairing-code]').dataset.code?.length")
        assert serious_violations(page, axe_source) == []
    finally:
        paired.kill()
