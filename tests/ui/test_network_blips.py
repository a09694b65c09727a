"""A blip while a screen starts (shared Wi-Fi roams, a DHCP lease renews) must not leave it blank.

Chromium aborts the requests in flight when the machine's interfaces change
(`net::ERR_NETWORK_CHANGED`). CI met it for real: a veth pair made by a test beside the
browser tests cost a fresh kiosk one of its modules, and its screen stayed empty. Here the
loss is made on purpose (Playwright aborts the request) so the test does not depend on when
an interface happens to change.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.ui.conftest import WAIT_MS

RETRIES_KEY = "outlet-hub.shell-retries"  # ui/shared/shell-guard.js counts its reloads here


KIOSK_STARTED = "window.outletKiosk !== undefined && !!document.querySelector('[data-testid=\"product\"]')"


@pytest.mark.parametrize("app, started, lost_file", [
    # i18n.js sits under every app's entry module: without it no app code runs at all.
    ("kiosk", KIOSK_STARTED, "shared/i18n.js"),
    ("kitchen", "window.outletKitchen !== undefined", "shared/i18n.js"),
    ("board", "window.outletBoard !== undefined", "shared/i18n.js"),
    ("kiosk", KIOSK_STARTED, "kiosk/kiosk.css"),
    # The guard itself (ui/shared/shell-guard.js): its tag's onerror reloads the page.
    ("kiosk", KIOSK_STARTED, "shared/shell-guard.js"),
])
def test_a_file_lost_while_the_screen_loads_is_recovered_by_a_reload(
    menu_hub: Any, new_page: Any, app: str, started: str, lost_file: str
) -> None:
    hub = menu_hub()
    page = new_page()
    lost: list[str] = []
    fetched: list[str] = []

    def lose_the_first(route: Any) -> None:
        if not lost:
            lost.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            fetched.append(route.request.url)
            route.continue_()

    # On the context, not the page: after the reload the service worker fetches the shell.
    page.context.route(f"**/{lost_file}", lose_the_first)
    page.goto(f"{hub.base}/{app}/")
    recovered = (f"performance.getEntriesByType('navigation')[0]?.type === 'reload' && ({started})"
                 " && [...document.querySelectorAll('link[rel=stylesheet]')].every((l) => l.sheet)"
                 f" && sessionStorage.getItem({RETRIES_KEY!r}) === null")
    deadline = time.monotonic() + 2 * WAIT_MS / 1000
    while not evaluate_across_reloads(page, recovered):
        assert time.monotonic() < deadline, f"not recovered by a reload: lost {lost}, fetched again {fetched}"
        page.wait_for_timeout(100)
    assert len(lost) == 1 and fetched, (lost, fetched)


def evaluate_across_reloads(page: Any, expression: str) -> bool:
    try:
        return bool(page.evaluate(expression))
    except PlaywrightError:  # the page is between documents
        return False


def test_kiosk_whose_first_menu_fetches_are_lost_fetches_the_menu_on_the_next_status(
    menu_hub: Any, new_page: Any
) -> None:
    """Was: the kiosk remembered the hub's menu version before its fetch had succeeded, so a
    lost fetch left it with no menu until the admin next edited one."""
    hub = menu_hub()
    kiosk = new_page()
    lost: list[str] = []

    def lose_two(route: Any) -> None:
        if len(lost) < 2:  # the start's own fetch and the one the hub's first status asks for
            lost.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    kiosk.route("**/api/master-data/**", lose_two)
    kiosk.goto(f"{hub.base}/kiosk/")
    kiosk.wait_for_function("window.outletKiosk !== undefined")
    # The hub's status comes every 10 s at most; each one retries until a fetch succeeds.
    kiosk.wait_for_selector('[data-testid="product"]', timeout=4 * WAIT_MS)
    assert len(lost) == 2, lost
    names = kiosk.eval_on_selector_all('[data-testid="product"]', "els => els.map(e => e.dataset.name)")
    assert "Pad Thai" in names and "Lemonade" in names, names
