"""The production configuration is what runs (issue 12, item 4): a hub started from the
hub.toml the outlet_hub role renders — pairing required by the role's default, the manager
PIN from the inventory — enrolled with a real central, and the apps in real Chromium:
a kiosk paired by PIN, a stall's kitchen paired by approval in central's admin panel, an
order placed, seen, bumped, the kitchen revoked and back at pairing; then a kiosk whose
token was revoked while it held a queued order pairs again and the order still arrives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.hub.pairing_support import approve, request_pairing
from tests.support.hub_role_config import provisioned_hub
from tests.support.processes import ROOT, Hub, Process, http_json
from tests.ui.conftest import WAIT_MS, enroll_token
from tests.ui.pages import add, wait_kitchen_mode, wait_queue_empty, wait_ticket

PIN = "482916"      # as in the example vault: the outlet manager's PIN
ADMIN = ("demo", "demo-password-change-me")  # central.demo's admin
SCREENSHOTS = ROOT / "docs" / "screenshots"
MENU_WAIT_MS = 45000  # the first menu comes from central over the hub's link


def pairing_code(page: Any) -> str:
    page.wait_for_function(
        "document.querySelector('[data-testid=pairing-code]')?.dataset.code?.length === 6")
    return str(page.get_attribute('[data-testid="pairing-code"]', "data-code"))


def device_id(page: Any, client_type: str) -> str:
    cred = page.evaluate(f"JSON.parse(localStorage.getItem('outlet-hub.device.{client_type}'))")
    assert cred and cred["token"] and cred["device_id"], cred
    return str(cred["device_id"])


def queued_in_indexeddb(page: Any) -> int:
    """Orders waiting in the kiosk's IndexedDB, read without the app (it is at pairing)."""
    return int(page.evaluate("""() => new Promise((resolve, reject) => {
        const req = indexedDB.open('outlet-hub');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction('queue').objectStore('queue').getAll();
          all.onsuccess = () => resolve(all.result.filter((e) => e.state === 'queued').length);
        };
      })"""))


def wait_step(kiosk: Any, number: str, step: str) -> None:
    kiosk.wait_for_selector(f'[data-testid="receipt-row"][data-step="{step}"]:has(.num:text-is("{number}"))',
                            timeout=WAIT_MS)


def test_provisioned_hub_pairs_its_screens_and_revokes_a_kitchen(
        tmp_path: Path, procs: list[Process], central_factory: Any, new_page: Any) -> None:
    central = central_factory()
    hub = provisioned_hub(tmp_path, outlet_hub_central_url=central.base,
                          outlet_hub_enrollment_token=enroll_token(central),
                          outlet_hub_manager_pin=PIN, outlet_hub_heartbeat_seconds=1,
                          outlet_hub_outlet_name="Warung Bu Tini")
    procs.append(hub)
    rendered = (tmp_path / "hub.toml").read_text(encoding="utf-8")
    assert 'pairing = "required"' in rendered      # the role's default, not set by this test
    assert f'manager_pin = "{PIN}"' in rendered
    hub.start()
    assert http_json(f"{hub.base}/api/outlet")[1]["pairing"] == "required"

    # --- a kiosk, paired on the spot with the manager's PIN -----------------------------
    kiosk = new_page(f"{hub.base}/kiosk/")
    code = pairing_code(kiosk)
    view = kiosk.get_by_test_id("pairing")
    assert "Kiosk / till" in kiosk.get_by_test_id("pairing-as").inner_text()
    assert "Warung Bu Tini" in view.text_content()   # the outlet name from the rendered hub.toml
    assert f"or approve code {code} in the HQ admin panel" in view.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    kiosk.screenshot(path=str(SCREENSHOTS / "pairing-kiosk.png"))
    kiosk.fill('[data-testid="pairing-pin"]', "000000")
    kiosk.click('[data-testid="pairing-approve"]')
    kiosk.wait_for_selector('[data-testid="pairing-error"]:text("Wrong PIN.")')
    kiosk.fill('[data-testid="pairing-pin"]', PIN)
    kiosk.click('[data-testid="pairing-approve"]')
    view.wait_for(state="detached")
    kiosk.wait_for_selector('[data-testid="product"]', timeout=MENU_WAIT_MS)
    kiosk_device = device_id(kiosk, "pos")

    product = kiosk.evaluate(
        "window.outletKiosk.menu.sellable().find((p) => p.tenant_id != null && !(p.modifiers || []).length)")
    tenant = next(t for t in kiosk.evaluate("window.outletKiosk.menu.items('tenants')")
                  if t["id"] == product["tenant_id"])

    # --- that stall's kitchen, approved at HQ in central's admin panel ------------------
    kitchen = new_page(f"{hub.base}/kitchen/?tenant={tenant['id']}")
    kcode = pairing_code(kitchen)
    paired_as = kitchen.get_by_test_id("pairing-as").inner_text()
    assert "Kitchen screen" in paired_as and tenant["name"] in paired_as, paired_as
    kitchen.screenshot(path=str(SCREENSHOTS / "pairing-kitchen.png"))
    admin = new_page(f"{central.base}/admin/#screens", width=1440, height=900)
    admin.fill('[data-testid="username"]', ADMIN[0])
    admin.fill('[data-testid="password"]', ADMIN[1])
    admin.click('[data-testid="login"]')
    admin.get_by_test_id(f"approve-{kcode}").click(timeout=30000)
    kitchen.get_by_test_id("pairing").wait_for(state="detached", timeout=30000)
    wait_kitchen_mode(kitchen, "live")
    kitchen_device = device_id(kitchen, "kitchen")

    # --- an order: placed, seen by the kitchen, prepared, ready on "My orders" -----------
    add(kiosk, product["name"])
    kiosk.click('[data-testid="checkout"]')
    kiosk.wait_for_selector('[data-testid="receipt-row"]')
    number = kiosk.inner_text('[data-testid="receipt-row"] .num')
    wait_ticket(kitchen, number)
    wait_step(kiosk, number, "seen")            # the kitchen screen acknowledged it
    kiosk.click('[data-testid="new-order"]')
    ticket = kitchen.locator(f'[data-testid="ticket"][data-number="{number}"]')
    ticket.locator('[data-testid="action-start"]').click()
    kitchen.wait_for_selector(f'[data-testid="ticket"][data-number="{number}"][data-status="preparing"]')
    ticket.locator('[data-testid="action-ready"]').click()
    kiosk.click('[data-testid="history"]')
    wait_step(kiosk, number, "ready")
    row = f'[data-testid="receipt-row"][data-step="ready"]:has(.num:text-is("{number}"))'
    assert "Ready" in kiosk.inner_text(row)
    kiosk.click('[data-testid="history-close"]')
    ticket.locator('[data-testid="action-bump"]').click()
    ticket.wait_for(state="detached")

    # --- the manager revokes the kitchen: its page is back at pairing --------------------
    status, body = http_json(f"{hub.base}/api/devices/{kitchen_device}", "DELETE",
                             headers={"X-Manager-Pin": PIN})
    assert status == 200, body
    kitchen.get_by_test_id("pairing").wait_for(timeout=WAIT_MS)
    assert pairing_code(kitchen) != kcode
    assert kitchen.evaluate("localStorage.getItem('outlet-hub.device.kitchen')") is None

    # --- a kiosk revoked while an order waits in its queue loses nothing -----------------
    hub.terminate()
    kiosk.wait_for_selector('[data-testid="status-bar"][data-mode="offline"]', timeout=30000)
    add(kiosk, product["name"])
    kiosk.click('[data-testid="checkout"]')
    kiosk.wait_for_selector('[data-testid="receipt-row"][data-step="saving"]')
    queued_number = kiosk.inner_text('[data-testid="receipt-row"] .num')
    revoke_on_console(hub, kiosk_device)
    hub.start()
    kiosk.get_by_test_id("pairing").wait_for(timeout=30000)   # the hub refused the old token
    assert queued_in_indexeddb(kiosk) == 1
    kiosk.fill('[data-testid="pairing-pin"]', PIN)
    kiosk.click('[data-testid="pairing-approve"]')
    kiosk.get_by_test_id("pairing").wait_for(state="detached")
    wait_queue_empty(kiosk)
    assert queued_number in [o["order_number"] for o in orders_on(hub)]


def revoke_on_console(hub: Hub, device: str) -> None:
    """`outlet-hub devices --revoke ID` on the hub's console (its config, its database)."""
    out = subprocess.run([sys.executable, "-m", "hub", "devices", "--revoke", device],
                         env=hub.env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def orders_on(hub: Hub) -> list[dict[str, Any]]:
    """The hub's orders, read with a board screen's token (paired here by PIN)."""
    req = request_pairing(hub, "board")
    status, answer = approve(hub, req["code"], PIN)
    assert status == 200, answer
    token = http_json(f"{hub.base}/api/pairing/{req['request_id']}")[1]["token"]
    status, rows = http_json(f"{hub.base}/api/orders?since_rev=0",
                             headers={"Authorization": f"Bearer {token}"})
    assert status == 200, rows
    return list(rows if isinstance(rows, list) else rows.get("orders", []))
