"""The admin panel's Releases section (decision 1101): assign a published release to a ring,
then see per outlet the version its hub runs, its target, its state and its last error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from outlet_protocol.bundle import public_key_text
from tests.support.processes import http_json
from tests.support.releases import stand_in_bundle
from tests.ui.conftest import admin_signed_in, enroll_token


def test_admin_assigns_a_release_to_a_canary_and_sees_the_hub_roll_it_back(
        central_factory: Callable[[], Any], new_page: Callable[..., Any],
        tmp_path: Path) -> None:
    central = central_factory()
    key = Ed25519PrivateKey.generate()
    central.cli("release", "publish", str(stand_in_bundle(tmp_path, key)),
                "--public-key", public_key_text(key.public_key()))
    status, reg = http_json(f"{central.base}/api/hubs/register", "POST", {
        "hub_id": "hub-upd", "outlet_id": 1, "enrollment_token": enroll_token(central),
        "websocket_url": "ws://192.168.1.10:3001/ws", "version": "1.9.0"})
    assert status == 200, reg
    hub_auth = {"Authorization": f"Bearer {reg['hub_token']}"}

    admin = admin_signed_in(new_page, central)
    admin.click('[data-testid="nav-releases"]')
    form = admin.wait_for_selector('[data-testid="rollout-form"]')
    assert "No rollout" in admin.inner_text('[data-testid="rollout-text"]')
    form.query_selector('select[name="version"]').select_option("2.0.0")
    form.query_selector('select[name="ring"]').select_option("canary")
    form.query_selector('input[name="canaries"]').fill("1")
    form.query_selector('button[type="submit"]').click()
    admin.wait_for_function(
        "document.querySelector('[data-testid=\"rollout-text\"]').textContent"
        ".includes('2.0.0 to canary outlets 1')")

    # The canary's hub hears its target in the heartbeat answer, tries, rolls back, reports.
    status, answer = http_json(f"{central.base}/api/hubs/heartbeat", "POST",
                               {"hub_id": "hub-upd", "outlet_id": 1, "version": "1.9.0"},
                               hub_auth)
    assert status == 200 and answer["update"]["version"] == "2.0.0", answer
    assert answer["update"]["generation"] == 1 and answer["update"]["force"] is False
    status, answer = http_json(f"{central.base}/api/hubs/heartbeat", "POST", {
        "hub_id": "hub-upd", "outlet_id": 1, "version": "1.9.0",
        "update": {"state": "rolled_back", "target": "2.0.0", "generation": 1,
                   "last_error": "2.0.0 stopped 3 times before it verified"}}, hub_auth)
    assert status == 200, answer

    admin.click('[data-testid="nav-releases"]')
    admin.reload()
    row = admin.wait_for_selector('[data-testid="release-outlet"][data-outlet-id="1"]')
    admin.wait_for_function(
        "document.querySelector('[data-testid=\"release-outlet\"][data-outlet-id=\"1\"] "
        "[data-testid=\"release-state\"]')?.dataset.state === 'rolled_back'")
    text = row.inner_text()
    assert "1.9.0" in text and "2.0.0" in text
    assert "2.0.0 stopped 3 times before it verified" in text
    assert row.query_selector('[data-testid="release-state"]').text_content() == "rolled back"
