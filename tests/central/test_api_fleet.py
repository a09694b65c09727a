"""Registration, the auto-registered websocket_url, heartbeats, /metrics and service discovery."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from tests.central.conftest import CentralUnderTest, start_central
from tests.support.processes import http_json


def outlet(central: CentralUnderTest, outlet_id: int) -> dict[str, object]:
    body = central.as_admin("GET", f"/api/tenants/outlets/{outlet_id}/")
    assert isinstance(body, dict)
    return body


def test_register_sets_the_outlet_websocket_url(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    assert outlet(central, oid)["websocket_url_source"] == "default"
    status, body = central.register(oid, "hub-url", websocket_url="ws://192.168.7.20:3001/ws")
    assert status == 200
    assert body["outlet"]["websocket_url"] == "ws://192.168.7.20:3001/ws"
    seen = outlet(central, oid)
    assert seen["websocket_url"] == "ws://192.168.7.20:3001/ws"
    assert seen["websocket_url_source"] == "hub"
    hub = seen["hub"]
    assert isinstance(hub, dict) and hub["hub_id"] == "hub-url" and hub["online"] is True


def test_changed_hub_address_updates_the_url(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    _, first = central.register(oid, "hub-move", websocket_url="ws://192.168.7.20:3001/ws")
    central.register(oid, "hub-move", hub_token=first["hub_token"],
                     websocket_url="ws://192.168.7.99:3001/ws")
    assert outlet(central, oid)["websocket_url"] == "ws://192.168.7.99:3001/ws"
    status, _ = central.call("POST", "/api/hubs/heartbeat", {
        "hub_id": "hub-move", "websocket_url": "ws://10.1.1.1:3001/ws",
        "addresses": ["10.1.1.1"]}, token=first["hub_token"])
    assert status == 200
    assert outlet(central, oid)["websocket_url"] == "ws://10.1.1.1:3001/ws"


def test_admin_pinned_url_is_not_overwritten_until_unpinned(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    _, first = central.register(oid, "hub-pin", websocket_url="ws://192.168.7.20:3001/ws")
    pinned = central.as_admin("PATCH", f"/api/tenants/outlets/{oid}/",
                              {"websocket_url": "wss://kitchen.example.com/ws"})
    assert pinned["websocket_url_source"] == "admin"
    central.register(oid, "hub-pin", hub_token=first["hub_token"],
                     websocket_url="ws://192.168.7.21:3001/ws")
    central.call("POST", "/api/hubs/heartbeat", {"websocket_url": "ws://192.168.7.22:3001/ws"},
                 token=first["hub_token"])
    assert outlet(central, oid)["websocket_url"] == "wss://kitchen.example.com/ws"
    unpinned = central.as_admin("PATCH", f"/api/tenants/outlets/{oid}/", {"websocket_url": None})
    assert unpinned["websocket_url"] == "ws://192.168.7.22:3001/ws"
    assert unpinned["websocket_url_source"] == "hub"


def test_heartbeat_answers_server_time_and_menu_version(central: CentralUnderTest) -> None:
    _, token, _ = central.enrolled_hub("hub-beat")
    status, body = central.call("POST", "/api/hubs/heartbeat", {
        "hub_id": "hub-beat", "version": "0.1.0", "time": "2026-01-03T10:30:00Z",
        "uptime_seconds": 10, "clients": {"kitchen": 2, "pos": 1}, "kitchens_connected": 2,
        "outbox_pending": 4, "oldest_unsynced_age_seconds": 3.5, "mqtt": "connected",
        "menu_version": 0, "last_rev": 9}, token=token)
    assert status == 200
    assert set(body) == {"server_time", "menu_version", "outlet"}
    assert body["outlet"] == {"locale": "id-ID", "currency": "IDR", "day_starts_at": "04:00"}
    status, body = central.call("POST", "/api/hubs/heartbeat", {"hub_id": "someone-else"},
                                token=token)
    assert status == 403


def test_outlet_locale_and_currency_default_change_and_reach_the_hub(
        central: CentralUnderTest) -> None:
    """Issue 14: id-ID/IDR unless the admin says otherwise; the next heartbeat carries it."""
    oid, token, _ = central.enrolled_hub()
    assert (outlet(central, oid)["locale"], outlet(central, oid)["currency"]) == ("id-ID", "IDR")
    changed = central.as_admin("PATCH", f"/api/tenants/outlets/{oid}/",
                               {"locale": "en_sg", "currency": "sgd"})
    assert (changed["locale"], changed["currency"]) == ("en-SG", "SGD")
    _, beat = central.call("POST", "/api/hubs/heartbeat", {}, token=token)
    assert beat["outlet"] == {"locale": "en-SG", "currency": "SGD", "day_starts_at": "04:00"}
    created = central.as_admin("POST", "/api/tenants/outlets/", {"name": "Kedai", "locale": "en"})
    assert (created["locale"], created["currency"]) == ("en-US", "IDR")
    for bad in ({"locale": "fr-FR"}, {"locale": 7}, {"currency": "RUPIAH"}):
        status, body = central.call("PATCH", f"/api/tenants/outlets/{oid}/", bad, central.admin)
        assert status == 400 and body["error"]["field"] == next(iter(bad)), body


def test_hub_goes_offline_after_missed_heartbeats(central: CentralUnderTest) -> None:
    """The module's central uses CENTRAL_HUB_OFFLINE_AFTER=3 (3 missed 1 s heartbeats)."""
    oid, token, _ = central.enrolled_hub("hub-sleepy")
    central.call("POST", "/api/hubs/heartbeat", {"hub_id": "hub-sleepy"}, token=token)
    hub = outlet(central, oid)["hub"]
    assert isinstance(hub, dict) and hub["online"] is True
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        hub = outlet(central, oid)["hub"]
        assert isinstance(hub, dict)
        if hub["online"] is False:
            break
        time.sleep(0.25)
    assert hub["online"] is False
    _, text = http_json(central.base + "/metrics")
    assert f'outlet_central_hub_up{{hub_id="hub-sleepy",outlet_id="{oid}"}} 0.0' in text


def test_metrics_report_the_fleet_and_pass_promtool(central: CentralUnderTest,
                                                    tmp_path: Path) -> None:
    oid, token, _ = central.enrolled_hub("hub-metrics")
    bare = central.new_outlet("No Hub Yet")
    central.call("POST", "/api/hubs/heartbeat", {
        "hub_id": "hub-metrics", "clients": {"kitchen": 3}, "kitchens_connected": 3,
        "outbox_pending": 7, "mqtt": "connected", "menu_version": 5}, token=token)
    central.call("POST", "/api/hubs/orders", {"orders": [{"order_number": "M-1", "items": [
        {"name": "x", "qty": 1, "price": "1"}]}]}, token=token)
    status, text = http_json(central.base + "/metrics")
    assert status == 200
    for line in (f'outlet_central_hub_up{{hub_id="hub-metrics",outlet_id="{oid}"}} 1.0',
                 f'outlet_central_hub_outbox_pending{{outlet_id="{oid}"}} 7.0',
                 f'outlet_central_hub_kitchens_connected{{outlet_id="{oid}"}} 3.0',
                 f'outlet_central_hub_clients{{client_type="kitchen",outlet_id="{oid}"}} 3.0',
                 f'outlet_central_hub_mqtt_connected{{outlet_id="{oid}"}} 1.0',
                 f'outlet_central_outlet_has_hub{{outlet_id="{bare}"}} 0.0'):
        assert line in text, line
    contract = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
    names = [cell.strip("` ") for row in contract.read_text().splitlines()
             if row.startswith("| `outlet_central_") for cell in [row.split("|")[1]]]
    assert len(names) >= 15
    for name in names:
        assert re.search(rf"^{name}(_bucket)?[{{ ]", text, re.M), name
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_service_discovery_lists_hub_metrics_targets(central: CentralUnderTest,
                                                     database_url: str, tmp_path: Path) -> None:
    oid, _, _ = central.enrolled_hub("hub-sd")
    status, groups = central.call("GET", "/api/sd/hubs", token=central.admin)
    assert status == 200
    mine = [g for g in groups if g["labels"]["outlet_id"] == str(oid)]
    assert mine == [{"targets": ["192.168.1.10:3002"],
                     "labels": {"outlet_id": str(oid), "hub_id": "hub-sd", "hub_online": "true"}}]
    proc = start_central(tmp_path, database_url, CENTRAL_SD_TOKEN="sd-secret-123")
    try:
        assert http_json(proc.base + "/api/sd/hubs",
                         headers={"Authorization": "Bearer sd-secret-123"})[0] == 200
        assert http_json(proc.base + "/api/sd/hubs",
                         headers={"Authorization": "Bearer sd-wrong"})[0] == 401
    finally:
        proc.kill()


def test_outlet_hub_shows_the_latest_heartbeat_figures(central: CentralUnderTest) -> None:
    oid, token, display = central.enrolled_hub("hub-figures")
    hub = outlet(central, oid)["hub"]
    assert isinstance(hub, dict)
    assert {k: hub[k] for k in ("outbox_pending", "kitchens_connected", "mqtt", "clients")} == {
        "outbox_pending": None, "kitchens_connected": None, "mqtt": None, "clients": None}
    central.call("POST", "/api/hubs/heartbeat", {
        "hub_id": "hub-figures", "clients": {"kitchen": 2, "pos": 1, "board": 1},
        "kitchens_connected": 2, "outbox_pending": 17, "oldest_unsynced_age_seconds": 42.5,
        "mqtt": "disconnected", "menu_version": 31}, token=token)
    listed = [o for o in central.as_admin("GET", "/api/tenants/outlets/") if o["id"] == oid]
    status, for_display = central.call("GET", f"/api/tenants/outlets/{oid}/", token=display)
    assert status == 200
    for seen in (outlet(central, oid), *listed, for_display):
        hub = seen["hub"]
        assert isinstance(hub, dict)
        assert hub["outbox_pending"] == 17 and hub["oldest_unsynced_age_seconds"] == 42.5
        assert hub["kitchens_connected"] == 2 and hub["mqtt"] == "disconnected"
        assert hub["menu_version"] == 31
        assert hub["clients"] == {"kitchen": 2, "pos": 1, "display": 0, "board": 1, "device": 0}
        assert isinstance(hub["last_heartbeat_at"], str)


def test_mqtt_series_is_absent_for_a_hub_without_a_broker(central: CentralUnderTest) -> None:
    series = 'outlet_central_hub_mqtt_connected{{outlet_id="{}"}}'
    beats = {"disabled": None, "disconnected": "0.0", "connected": "1.0"}
    outlets = {}
    for state in beats:
        oid, token, _ = central.enrolled_hub(f"hub-mqtt-{state}")
        central.call("POST", "/api/hubs/heartbeat", {"mqtt": state}, token=token)
        outlets[state] = oid
    silent, _, _ = central.enrolled_hub("hub-mqtt-no-beat")
    _, text = http_json(central.base + "/metrics")
    for state, value in beats.items():
        name = series.format(outlets[state])
        if value is None:
            assert name not in text, state
            assert f'outlet_central_hub_up{{hub_id="hub-mqtt-{state}",outlet_id="{outlets[state]}"}}' \
                in text
        else:
            assert f"{name} {value}" in text, state
    assert series.format(silent) not in text


def test_service_discovery_uses_the_reported_metrics_port(central: CentralUnderTest) -> None:
    oid = central.new_outlet()
    status, first = central.register(oid, "hub-sd-port", metrics_port=3001,
                                     metrics_url="http://192.168.1.10:3001/metrics")
    assert status == 200, first

    def target() -> list[str]:
        _, groups = central.call("GET", "/api/sd/hubs", token=central.admin)
        (mine,) = [g for g in groups if g["labels"]["outlet_id"] == str(oid)]
        return list(mine["targets"])

    assert target() == ["192.168.1.10:3001"]
    central.register(oid, "hub-sd-port", hub_token=first["hub_token"], metrics_port=9123)
    assert target() == ["192.168.1.10:9123"]
    assert central.register(oid, "hub-sd-port", hub_token=first["hub_token"],
                            metrics_port=70000)[0] == 400
