"""The kitchen without touch (issue 14 item 5) and on older tablets (item 4), in real Chromium
against a real hub: a cook selects with arrows and number keys, bumps with Enter and recalls
with R — never a click — and sees where the focus is; a browser without AbortSignal.timeout
(Chrome < 103, Safari < 16) still falls back to polling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import Hub
from tests.ui.pages import open_kitchen, wait_kitchen_mode, wait_ticket
from tests.ui.test_kitchen import post_order, wait_status
from tests.ui.ui_hub import module_menu_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    workdir = tmp_path_factory.mktemp("kitchen-keys")
    # The flag file refuses WebSockets while it exists (only the polling test creates it).
    with module_menu_hub(workdir, env={"HUB_TEST_REFUSE_WS": str(workdir / "refuse-ws")}) as h:
        yield h


def focused(page: Any) -> dict[str, Any]:
    """The focused element: which ticket, and whether its focus ring can be seen."""
    return dict(page.evaluate("""() => {
        const el = document.activeElement, s = getComputedStyle(el);
        return { number: el.dataset.number || null, testid: el.dataset.testid || null,
                 selected: el.classList.contains('selected'), outline: s.outlineStyle,
                 width: parseFloat(s.outlineWidth) };
    }"""))


def assert_focus_on(page: Any, number: str) -> None:
    page.wait_for_function("n => document.activeElement?.dataset.number === n", arg=number)
    f = focused(page)
    assert f["selected"] and f["outline"] != "none" and f["width"] >= 3, f


def test_cook_selects_bumps_and_recalls_from_the_keyboard_only(hub: Hub, new_page: Any) -> None:
    for n in ("K-0001", "K-0002", "K-0003"):
        post_order(hub, n)
    kitchen = open_kitchen(new_page, hub)
    wait_kitchen_mode(kitchen, "live")
    for n in ("K-0001", "K-0002", "K-0003"):
        wait_ticket(kitchen, n)
    keys = kitchen.keyboard

    keys.press("ArrowRight")  # nothing selected yet: the first ticket
    assert_focus_on(kitchen, "K-0001")
    keys.press("3")
    assert_focus_on(kitchen, "K-0003")
    keys.press("ArrowLeft")
    assert_focus_on(kitchen, "K-0002")
    assert kitchen.inner_text('[data-testid="ticket"][data-number="K-0002"] .kidx') == "2"

    keys.press("Enter")
    wait_status(kitchen, "K-0002", "preparing")
    assert_focus_on(kitchen, "K-0002")  # the redrawn ticket keeps the selection
    keys.press("Enter")
    wait_status(kitchen, "K-0002", "ready")
    keys.press("Enter")  # bumped: off the screen, the next ticket takes its place
    kitchen.wait_for_selector('[data-testid="ticket"][data-number="K-0002"]', state="detached")
    assert_focus_on(kitchen, "K-0003")

    keys.press("r")  # recall the last bumped
    wait_status(kitchen, "K-0002", "ready")
    assert_focus_on(kitchen, "K-0003")

    keys.press("?")
    sheet = kitchen.get_by_test_id("keys-sheet")
    sheet.wait_for()
    assert "Enter" in sheet.inner_text() and "Recall the last bumped ticket" in sheet.inner_text()
    assert focused(kitchen)["testid"] == "keys-close"
    keys.press("1")  # a sheet is open: number keys do not move the rail behind it
    keys.press("Escape")
    sheet.wait_for(state="detached")
    assert_focus_on(kitchen, "K-0003")  # focus returns where it was

    keys.press("End")
    assert_focus_on(kitchen, "K-0003")
    keys.press("Home")
    assert_focus_on(kitchen, "K-0001")


def test_without_abortsignal_timeout_the_kitchen_still_polls(hub: Hub, new_page: Any) -> None:
    flag = Path(hub.env["HUB_TEST_REFUSE_WS"])
    flag.touch()
    try:
        page = new_page()
        page.add_init_script("delete AbortSignal.timeout;")  # as on Chrome 84 / Safari 15
        page.goto(f"{hub.base}/kitchen/")
        page.wait_for_function("window.outletKitchen !== undefined")
        assert page.evaluate("typeof AbortSignal.timeout") == "undefined"
        wait_kitchen_mode(page, "polling")
        post_order(hub, "P-0100")
        wait_ticket(page, "P-0100")
    finally:
        flag.unlink()
