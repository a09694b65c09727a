"""The boot test's pairing step (tests/images/guest.py), run here against a local hub set up
as the image sets it up (pairing required, outlet.toml's manager PIN), so the helper the
image test relies on is known to work before a 20-minute boot depends on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.images.guest import MANAGER_PIN, order_as_kiosk, pair_by_pin
from tests.support.processes import Hub, http_json


def test_pair_by_pin_then_order_as_kiosk_against_a_hub_that_requires_pairing(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(outlet_id=3, env={"HUB_PAIRING": "required", "HUB_MANAGER_PIN": MANAGER_PIN})
    device_id, token = pair_by_pin(hub.base, "pos", "Image test kiosk")
    assert device_id and len(token) >= 40
    row = order_as_kiosk(hub.base, token, 3, "IMG-0001")
    assert row["outlet_id"] == 3
    status, devices = http_json(f"{hub.base}/api/devices", headers={"X-Manager-Pin": MANAGER_PIN})
    assert status == 200 and [d["device_id"] for d in devices if d["client_type"] == "pos"] == [device_id]


def test_pair_by_pin_says_why_when_the_pin_is_wrong(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_PAIRING": "required", "HUB_MANAGER_PIN": MANAGER_PIN})
    with pytest.raises(AssertionError, match="401"):
        pair_by_pin(hub.base, "pos", "kiosk", pin="000000")


def test_the_test_outlet_toml_sets_the_pin_first_boot_applies() -> None:
    from tests.images.guest import outlet_toml
    from tests.images.test_firstboot_config import fb

    text = outlet_toml(5, "Image Test Outlet", "imagetest", "tok", "ssh-ed25519 AAAA it@x", {})
    cfg: dict[str, Any] = fb.parse(text)
    assert cfg["hub_manager_pin"] == MANAGER_PIN and cfg["hub_pairing"] == "required"
