"""Small page helpers shared by the browser tests: what a cashier and a cook do."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import WAIT_MS


def open_kiosk(new_page: Any, hub: Any, **kw: Any) -> Any:
    page = new_page(f"{hub.base}/kiosk/", **kw)
    page.wait_for_selector('[data-testid="product"]', timeout=WAIT_MS)
    return page


def open_kitchen(new_page: Any, hub: Any, query: str = "", **kw: Any) -> Any:
    page = new_page(f"{hub.base}/kitchen/{query}", **kw)
    page.wait_for_function("window.outletKitchen !== undefined", timeout=WAIT_MS)
    return page


def add(page: Any, name: str, qty: int = 1) -> None:
    for _ in range(qty):
        page.click(f'[data-testid="product"][data-name="{name}"]')
        opts = page.locator('[data-testid="options-add"]')
        if opts.count():
            opts.click()


def checkout(page: Any) -> list[str]:
    """Place the cart; returns the order numbers on the receipt (saved, maybe not yet sent)."""
    page.click('[data-testid="checkout"]')
    page.wait_for_selector('[data-testid="receipt-row"]')
    numbers: list[str] = page.eval_on_selector_all(
        '[data-testid="receipt-row"] .num', "els => els.map(e => e.textContent)"
    )
    page.click('[data-testid="new-order"]')
    return numbers


def mode(page: Any) -> str:
    return str(page.get_attribute('[data-testid="status-bar"]', "data-mode"))


def wait_mode(page: Any, want: str, timeout: int = WAIT_MS) -> None:
    page.wait_for_function(
        "m => document.querySelector('[data-testid=status-bar]')?.dataset.mode === m",
        arg=want,
        timeout=timeout,
    )


def queue_count(page: Any) -> int:
    return int(page.evaluate("window.outletKiosk.queue.count()"))


def wait_queue_empty(page: Any, timeout: int = 45000) -> None:
    """Until the status bar says nothing waits (it is redrawn from IndexedDB on every change)."""
    page.wait_for_function(
        "document.querySelector('[data-testid=queue-count]')?.dataset.count === '0'", timeout=timeout
    )


def kitchen_numbers(page: Any) -> list[str]:
    return list(page.eval_on_selector_all('[data-testid="ticket"]', "els => els.map(e => e.dataset.number)"))


def wait_ticket(page: Any, number: str, timeout: int = WAIT_MS) -> None:
    page.wait_for_selector(f'[data-testid="ticket"][data-number="{number}"]', timeout=timeout)


def kitchen_mode(page: Any) -> str:
    return str(page.get_attribute('[data-testid="connection"]', "data-mode"))


def wait_kitchen_mode(page: Any, want: str, timeout: int = WAIT_MS) -> None:
    page.wait_for_function(
        "m => document.querySelector('[data-testid=connection]')?.dataset.mode === m",
        arg=want,
        timeout=timeout,
    )
