"""MQTT bridge against a real Mosquitto: device orders in, the change feed out, hub state retained."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.mqtt import MqttProbe
from tests.support.processes import Hub, Mosquitto, Process, http_json
from tests.support.wsclient import WsClient, make_order

ROOT = "kitchen-sync/1/"


async def test_device_order_reaches_kitchens_and_is_acked_on_its_topic(
        mosquitto: Mosquitto, hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", tenant_id=2)
    device = MqttProbe(mosquitto.port, "bumpbar-1", [ROOT + "orders/ack/bumpbar-1",
                                                    ROOT + "orders/new", ROOT + "hub/state"])
    try:
        await asyncio.to_thread(device.wait_for, ROOT + "hub/state", lambda p: p == "online")
        order = make_order("MQ-1", 2, source="mqtt")
        device.publish(ROOT + "orders/submit", {"client_id": "bumpbar-1", "id": "r1", "order": order})
        ack = await asyncio.to_thread(device.wait_for, ROOT + "orders/ack/bumpbar-1")
        assert ack["type"] == "ack" and ack["ref"] == "r1"
        assert ack["payload"]["uuid"] == order["uuid"] and ack["payload"]["duplicate"] is False
        shown = await kitchen.wait_for(lambda m: m["type"] == "new_order")
        assert shown["payload"]["uuid"] == order["uuid"] and shown["payload"]["source"] == "mqtt"
        published = await asyncio.to_thread(device.wait_for, ROOT + "orders/new",
                                            lambda p: p["uuid"] == order["uuid"])
        assert published["id"] == ack["payload"]["id"]
        # The broker delivers at least once: the same submit again is answered, not stored twice.
        device.publish(ROOT + "orders/submit", {"client_id": "bumpbar-1", "id": "r2", "order": order})
        dup = await asyncio.to_thread(device.wait_for, ROOT + "orders/ack/bumpbar-1",
                                      lambda p: p.get("ref") == "r2")
        assert dup["payload"]["duplicate"] is True
        bad = dict(order, order_number="")
        device.publish(ROOT + "orders/submit", {"client_id": "bumpbar-1", "id": "r3", "order": bad})
        err = await asyncio.to_thread(device.wait_for, ROOT + "orders/ack/bumpbar-1",
                                      lambda p: p.get("ref") == "r3")
        assert err["type"] == "error" and err["payload"]["code"] == "validation_failed"
        assert err["payload"]["field"] == "order_number"
        _, rows = http_json(f"{hub.base}/api/orders?since_rev=0")
        assert [r["order_number"] for r in rows] == ["MQ-1"]
    finally:
        device.close()
        await kitchen.close()


async def test_orders_stored_while_broker_is_down_are_published_after_it_returns(
        tmp_path: Path, procs: list[Process], hub_factory: Callable[..., Hub]) -> None:
    """Orders taken while the broker is gone reach it once it is back, none missing.

    The archiver holds a persistent session on a broker that keeps sessions on disk, so it
    receives what the hub publishes after the restart whether or not it has reconnected
    yet. (Subscribing after the restart raced the hub's own reconnect: on a loaded machine
    the hub republished everything before the archiver's subscription existed.)
    """
    store = tmp_path / "mqtt-db"
    store.mkdir()
    mosquitto = Mosquitto(tmp_path / "mqtt", extra_conf=f"persistence true\npersistence_location {store}/\n")
    mosquitto.start()
    procs.append(mosquitto)
    MqttProbe(mosquitto.port, "archiver", [ROOT + "orders/new"], clean=False).close()
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    before = [make_order(f"B-{i}", 1) for i in range(5)]
    for o in before:
        await pos.submit(o)
    mosquitto.terminate()                                       # sessions saved, the hub cut off
    during = [make_order(f"D-{i}", 1) for i in range(40)]
    for o in during:
        assert (await pos.submit(o))["type"] == "ack"          # the hub keeps taking orders
    _, health = http_json(f"{hub.ops}/health")
    assert health["status"] == "degraded" and health["mqtt"] == "disconnected"
    mosquitto.start()                                           # same port, same sessions
    sub = MqttProbe(mosquitto.port, "archiver", [ROOT + "orders/new"], clean=False)
    try:
        want = {o["uuid"] for o in during}
        deadline = time.monotonic() + 30
        got: set[str] = set()
        while time.monotonic() < deadline and not want <= got:
            got = {p["uuid"] for p in sub.on(ROOT + "orders/new") if isinstance(p, dict)}
            await asyncio.sleep(0.1)
        assert want <= got, f"missing after broker restart: {len(want - got)}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, health = http_json(f"{hub.ops}/health")
            if health["mqtt"] == "connected":
                break
            await asyncio.sleep(0.1)
        assert health["mqtt"] == "connected"
    finally:
        sub.close()
        await pos.close()


async def test_hub_state_turns_offline_when_the_hub_dies(
        mosquitto: Mosquitto, hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    watcher = MqttProbe(mosquitto.port, "watcher", [ROOT + "hub/state", ROOT + "hub/health"])
    try:
        await asyncio.to_thread(watcher.wait_for, ROOT + "hub/state", lambda p: p == "online")
        health = await asyncio.to_thread(watcher.wait_for, ROOT + "hub/health")
        assert health["outlet_id"] == 1 and health["mqtt"] == "connected"
        hub.kill()
        await asyncio.to_thread(watcher.wait_for, ROOT + "hub/state", lambda p: p == "offline", 30)
    finally:
        watcher.close()
    late = MqttProbe(mosquitto.port, "late", [ROOT + "hub/state"])
    try:
        await asyncio.to_thread(late.wait_for, ROOT + "hub/state", lambda p: p == "offline")
        assert any(r for t, _p, r in late.messages if t == ROOT + "hub/state"), "state is retained"
    finally:
        late.close()


async def test_status_changes_are_published_on_orders_status(
        mosquitto: Mosquitto, hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    sub = MqttProbe(mosquitto.port, "printer", [ROOT + "orders/status"])
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-9")
    try:
        order = make_order("ST-1", 1)
        await pos.submit(order)
        await pos.request("order_update", {"uuid": order["uuid"], "status": "ready"})
        upd = await asyncio.to_thread(sub.wait_for, ROOT + "orders/status")
        assert upd["uuid"] == order["uuid"] and upd["status"] == "ready" and upd["by"] == "pos-9"
    finally:
        sub.close()
        await pos.close()
