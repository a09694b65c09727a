"""The apps over HTTPS with HQ's CA (issue 16, decision 1001): real offline-first PWAs.

Chromium trusts only the test CA, installed in an NSS database under a temporary HOME (as
provisioning installs it on a kiosk), and reaches the hub by its mDNS name
`hub-test.local` (mapped to loopback by --host-resolver-rules: plain http:// under that
name is not a secure context, so nothing here works by the localhost exception). No
--ignore-certificate-errors. The kiosk's service worker registers; the hub is killed; the
reloaded kiosk and kitchen come from the cache; an order goes through central with its
uuid; the hub comes back and the kitchen shows it once. A new order while the kitchen's
tab is hidden shows a notification (permission granted by the test).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.faults import eventually, health
from tests.support.processes import Hub, free_port, http_json
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, screen_language
from tests.ui.pages import (
    add,
    checkout,
    open_kiosk,
    wait_kitchen_mode,
    wait_mode,
    wait_queue_empty,
    wait_ticket,
)
from tests.ui.test_with_central import ADMIN, enrolled_hub

PKI_KEY = "browser-test-pki-passphrase-0123"
NAME = "hub-test.local"          # the mDNS name of the hub the fixtures call hub-test
SHELL_WAIT_MS = 60000            # the service worker's first install (the whole shell over HTTPS)


# A headless tab is never hidden, so the test says when the kitchen's is (window.__hidden);
# notifications stay the browser's own: the page's Notification is the real one, which
# records the titles the browser reports as shown ("show" event).
SEE_NOTIFICATIONS = """
Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden === true });
window.__shown = [];
if ('Notification' in window) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      this.addEventListener('show', () => window.__shown.push(title));
    }
  };
}
"""


@dataclass
class HubAddress:
    """What the page helpers need of a hub: its base URL (here the https:// one)."""

    base: str


def trust_only(ca_pem: bytes, home: Path) -> None:
    """An NSS database in `home` that trusts the CA for servers (certutil, libnss3-tools)."""
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    ca = home / "outlet-ca.pem"
    ca.write_bytes(ca_pem)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "Outlet LAN CA", "-t", "C,,",
                    "-i", str(ca)], check=True, capture_output=True)


@pytest.fixture
def tls_browser(tmp_path: Path) -> Iterator[Callable[[bytes, int], Any]]:
    """launch(ca_pem): Chromium whose only extra trust is that CA, the hub's name on loopback."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browsers: list[Any] = []

        def launch(ca_pem: bytes) -> Any:
            home = tmp_path / "home"
            trust_only(ca_pem, home)
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"],
                env={**os.environ, "HOME": str(home)})
            browsers.append(browser)
            context = browser.new_context(viewport={"width": 1280, "height": 800},
                                          permissions=["notifications"])
            context.add_init_script(SEE_NOTIFICATIONS)
            context.add_init_script(screen_language("en"))  # the assertions read English
            return context

        yield launch
        for b in browsers:
            b.close()


def _orders_at_central(central: Any) -> list[dict[str, Any]]:
    _, login = http_json(f"{central.base}/api/auth/login", "POST",
                         {"username": ADMIN[0], "password": ADMIN[1]})
    _, body = http_json(f"{central.base}/api/orders/?outlet_id=1",
                        headers={"Authorization": f"Bearer {login['token']}"})
    return list(body["orders"])


@pytest.mark.timeout(240)
def test_kiosk_over_https_survives_hub_down_reload_and_orders_reach_kitchen_once(
        central_factory: Any, hub_factory: Callable[..., Hub],
        tls_browser: Callable[[bytes], Any]) -> None:
    central = central_factory(CENTRAL_PKI_KEY=PKI_KEY)
    https_port = free_port()
    hub = enrolled_hub(hub_factory, central, HUB_HTTPS_PORT=str(https_port))
    eventually(lambda: health(hub)["tls"]["serving"], "the hub serves https", 30)
    status, ca_pem = _get_bytes(f"{central.base}/api/pki/ca.pem")
    assert status == 200
    context = tls_browser(ca_pem)

    def new_page(url: str) -> Any:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        return page

    secure = HubAddress(f"https://{NAME}:{https_port}")
    # The plain address of an app sends the browser to HTTPS under the same name.
    kitchen = new_page(f"http://{NAME}:{hub.ws_port}/kitchen/")
    assert kitchen.url == f"{secure.base}/kitchen/"
    kitchen.wait_for_function("window.outletKitchen !== undefined")
    kiosk = open_kiosk(lambda url: new_page(url + "?central_after=1"), secure)
    wait_mode(kiosk, "online", timeout=30000)
    assert kiosk.evaluate("window.isSecureContext") is True
    # The service worker controls the page and holds the shell before the hub goes away.
    # Its install fetches the whole shell over HTTPS first: on a CI box running four test
    # workers that took longer than the usual 15 s wait once (2026-12-02), so these waits
    # get a minute; they return as soon as the worker is in control.
    kiosk.wait_for_function("navigator.serviceWorker.controller !== null", timeout=SHELL_WAIT_MS)
    kiosk.wait_for_function("caches.match('/kiosk/').then(r => !!r)", polling=200,
                            timeout=SHELL_WAIT_MS)
    kitchen.reload()
    kitchen.wait_for_function("navigator.serviceWorker.controller !== null",
                              timeout=SHELL_WAIT_MS)
    kitchen.wait_for_function("caches.match('/kitchen/').then(r => !!r)", polling=200,
                              timeout=SHELL_WAIT_MS)

    # A new order while the kitchen's tab is hidden: the browser shows a notification.
    kitchen.evaluate("window.__hidden = true")
    add(kiosk, "Nasi Goreng")
    [online_number] = checkout(kiosk)
    wait_ticket(kitchen, online_number)
    kitchen.wait_for_function("n => window.__shown.includes(`New order ${n}`)", arg=online_number)
    kitchen.evaluate("window.__hidden = false")
    wait_queue_empty(kiosk)

    # The status page tells IT until when the certificate holds and how devices trust it.
    status_page = new_page(f"{secure.base}/")
    card = status_page.locator('[data-testid="status-tls"][data-state="ok"]')
    card.wait_for()
    assert NAME in card.locator('[data-testid="tls-names"]').inner_text()
    status_page.wait_for_function(
        "[...document.querySelectorAll('.qrs img')].filter(i => i.complete && i.naturalWidth > 0)"
        ".length === 2")
    status_page.close()

    hub.kill()
    kiosk.reload()                       # without the worker: the browser's error page
    kiosk.wait_for_selector('[data-testid="product"]')
    wait_mode(kiosk, "offline")
    add(kiosk, "Sate Ayam")
    [number] = checkout(kiosk)
    wait_queue_empty(kiosk, timeout=60000)
    sent = kiosk.evaluate("window.outletKiosk.queue.all()")
    [entry] = [e for e in sent if e["order"]["order_number"] == number]
    uuid = entry["order"]["uuid"]
    assert entry["via"] == "central"
    eventually(lambda: uuid in [o["uuid"] for o in _orders_at_central(central)],
               "the order reaches central with its uuid", 30)

    kitchen.reload()                     # the cached kitchen, fed by central meanwhile
    kitchen.wait_for_function("window.outletKitchen !== undefined")
    wait_kitchen_mode(kitchen, "central", timeout=60000)
    wait_ticket(kitchen, number, timeout=30000)

    hub.start()
    wait_kitchen_mode(kitchen, "live", timeout=30000)
    rows = eventually(lambda: [r for r in http_json(
        f"{hub.base}/api/orders?outlet_id=1&since_id=0")[1] if r["uuid"] == uuid],
        "the hub takes central's order in", 30)
    assert len(rows) == 1
    wait_ticket(kitchen, number)
    time.sleep(1)                        # a second copy would arrive with the replay
    assert kitchen.locator(f'[data-testid="ticket"][data-number="{number}"]').count() == 1


def _get_bytes(url: str) -> tuple[int, bytes]:
    import urllib.request
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read()
