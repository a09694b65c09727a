"""Kill the MQTT broker 20 times while MQTT devices submit orders (issue 13, item 4).

Proves: every order a device saw acked on `orders/ack/<client_id>` is stored by the hub
exactly once (devices resend the same uuid when an ack does not come, as they must with
a broker that can vanish); `/health` says `mqtt: disconnected` with a reason while the
broker is down; the hub keeps taking WebSocket orders throughout; and after the last
restart it reconnects by itself, takes MQTT orders again and publishes the whole change
feed (its MQTT outbox drains to 0). Fails if the hub loses, duplicates or stops.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.chaos.engine import MqttDevice
from tests.support.processes import Hub, Mosquitto, http_json
from tests.support.wsclient import WsClient, make_order

BROKER_KILLS = 20
DEVICES = 3


def _health(hub: Hub) -> dict[str, Any]:
    return dict(http_json(f"{hub.ops}/health")[1])


def _mqtt_backlog(hub: Hub) -> int:
    status, text = http_json(f"{hub.ops}/metrics")
    match = re.search(r'^outlet_hub_outbox_pending\{sink="mqtt"\} (\S+)$', str(text), re.M)
    assert status == 200 and match, "outbox gauge missing from /metrics"
    return int(float(match.group(1)))


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.mark.timeout(600)
async def test_broker_killed_20_times_while_devices_submit(
        mosquitto: Mosquitto, hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    rng = random.Random(13)
    loop = asyncio.get_running_loop()
    root = "kitchen-sync/1/"
    acked: Counter[str] = Counter()
    ws_acked: list[str] = []
    stop = asyncio.Event()

    async def device_worker(n: int) -> None:
        device = MqttDevice(mosquitto.port, root, f"bumpbar-{n}", loop)
        try:
            i = 0
            while not stop.is_set():
                order = make_order(f"D{n}-{i}", 1 + i % 3)
                while True:                       # same uuid until acked
                    try:
                        reply = await device.submit(order)
                    except TimeoutError:
                        continue
                    assert reply["type"] == "ack", reply
                    acked[order["uuid"]] += 1
                    break
                i += 1
        finally:
            device.close()

    async def kiosk_worker() -> None:
        pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="kiosk-1")
        try:
            i = 0
            while not stop.is_set():
                order = make_order(f"K-{i}", 1)
                reply = await pos.submit(order, timeout=10)
                assert reply["type"] == "ack", reply
                ws_acked.append(order["uuid"])
                i += 1
                await asyncio.sleep(0.05)
        finally:
            await pos.close()

    workers = [asyncio.create_task(device_worker(n)) for n in range(DEVICES)]
    kiosk = asyncio.create_task(kiosk_worker())
    try:
        for _ in range(BROKER_KILLS):
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            mosquitto.kill()
            await _until(lambda: _health(hub)["mqtt"] == "disconnected", 15,
                         "/health shows the broker gone")
            health = _health(hub)
            assert health["status"] == "degraded"
            assert "mqtt broker unreachable" in health["reasons"]
            before = len(ws_acked)

            def took_more(b: int = before) -> bool:
                return len(ws_acked) > b

            await _until(took_more, 15,
                         "the hub takes WebSocket orders while the broker is down")
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await asyncio.to_thread(mosquitto.start)
            await _until(lambda: _health(hub)["mqtt"] == "connected", 30,
                         "the hub reconnects to the restarted broker")
        # After the last restart the devices must get through again.
        total = sum(acked.values())
        await _until(lambda: sum(acked.values()) >= total + 10, 60,
                     "MQTT orders are acked again after the broker is back")
    finally:
        stop.set()
    await asyncio.wait_for(asyncio.gather(*workers, kiosk), 60)

    assert sum(acked.values()) >= 100, "too few MQTT orders acked for the test to mean anything"
    assert hub.alive, "the hub died while the broker was being killed"
    rows: list[dict[str, Any]] = []
    while True:
        status, page = http_json(f"{hub.base}/api/orders?since_id="
                                 f"{rows[-1]['id'] if rows else 0}&limit=1000")
        assert status == 200, page
        rows += page
        if len(page) < 1000:
            break
    stored = Counter(r["uuid"] for r in rows)
    missing = [u for u in list(acked) + ws_acked if stored[u] == 0]
    doubled = [u for u, n in stored.items() if n > 1]
    assert not missing, f"{len(missing)} acked orders not stored: {missing[:5]}"
    assert not doubled, f"stored more than once: {doubled[:5]}"
    await _until(lambda: _mqtt_backlog(hub) == 0, 60, "the MQTT outbox drains after reconnect")
