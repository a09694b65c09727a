"""The ops port (docs/protocol.md §4) and the hub's life cycle: /health, /clients, /metrics, SIGTERM.

Real hub processes on free ports; /metrics is checked by Prometheus' own `promtool` and
against the names docs/metrics.md promises HQ.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.processes import ROOT, Hub, Mosquitto, free_port, http_json, wait_for_http
from tests.support.wsclient import WsClient, make_order

PROMTOOL = "/usr/bin/promtool"
HEALTH_FIELDS = {"status", "timestamp", "uptime", "connections", "clients", "websocket", "hub_id",
                 "outlet_id", "version", "db", "mqtt", "central", "outbox_pending", "last_id",
                 "last_rev"}
CLIENT_FIELDS = {"id", "type", "connectedAt", "remote", "tenant_ids", "transport"}


def health(hub: Hub) -> dict[str, Any]:
    status, body = http_json(f"{hub.ops}/health")
    assert status == 200, body
    return body


async def eventually(probe: Callable[[], Any], pred: Callable[[Any], bool],
                     timeout: float = 20.0) -> Any:
    """Poll a blocking probe (in a thread) until pred holds; the last value otherwise fails."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await asyncio.to_thread(probe)
        if pred(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached after {timeout}s; last: {value!r}")
        await asyncio.sleep(0.1)


def documented_hub_metrics() -> dict[str, str]:
    """name → type for every `outlet_hub_*` row of docs/metrics.md's hub table."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    hub_part = text.split("## Hub", 1)[1].split("## Central", 1)[0]
    found = dict(re.findall(r"^\|\s*`(outlet_hub_[a-z0-9_]+)`\s*\|\s*([a-z]+)", hub_part, re.M))
    assert len(found) >= 20, found          # the table was parsed, not silently skipped
    return found


def exposed(metrics_text: str) -> tuple[dict[str, str], set[str]]:
    """(family → TYPE, sample names) of a Prometheus text exposition."""
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", metrics_text, re.M))
    samples = {line.split("{", 1)[0].split(" ", 1)[0]
               for line in metrics_text.splitlines() if line and not line.startswith("#")}
    return types, samples


# -- /health -------------------------------------------------------------------------------
async def test_health_has_every_protocol_field_and_tracks_the_store(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(outlet_id=4)
    body = await asyncio.to_thread(health, hub)
    assert HEALTH_FIELDS <= set(body), HEALTH_FIELDS - set(body)
    assert body["status"] == "ok" and body["db"] == "ok"
    assert body["outlet_id"] == 4
    assert body["mqtt"] == "disabled" and body["central"] == "disabled"
    assert (body["last_id"], body["last_rev"], body["connections"]) == (0, 0, 0)
    assert isinstance(body["uptime"], int | float) and body["uptime"] >= 0
    assert datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    assert str(hub.ws_port) in body["websocket"]
    assert body["version"] and body["hub_id"]
    assert body["hub_id"] == (await asyncio.to_thread(http_json, f"{hub.base}/api/outlet"))[1][
        "hub_id"]

    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", outlet_id=4)
    try:
        ack = await kitchen.submit(make_order("H-1", outlet_id=4))
        assert ack["type"] == "ack", ack
        body = await asyncio.to_thread(health, hub)
        assert body["connections"] == 1
        assert body["clients"].get("kitchen") == 1
        assert (body["last_id"], body["last_rev"]) == (ack["payload"]["id"], ack["payload"]["rev"])
    finally:
        await kitchen.close()
    await eventually(lambda: health(hub), lambda b: b["connections"] == 0)


async def test_health_is_ok_with_broker_connected(hub_factory: Callable[..., Hub],
                                                  mosquitto: Mosquitto) -> None:
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url})
    body = await eventually(lambda: health(hub), lambda b: b["mqtt"] == "connected")
    assert body["status"] == "ok", body
    assert not body.get("reasons")


async def test_health_is_degraded_with_a_reason_when_broker_is_unreachable_and_orders_still_flow(
        hub_factory: Callable[..., Hub]) -> None:
    dead = f"mqtt://127.0.0.1:{free_port()}"          # nothing listens there
    hub = hub_factory(env={"HUB_MQTT_URL": dead})
    body = await eventually(lambda: health(hub), lambda b: b["status"] == "degraded")
    assert body["mqtt"] == "disconnected"
    assert body["db"] == "ok"
    assert any("mqtt" in r.lower() for r in body["reasons"]), body["reasons"]

    status, ack = await asyncio.to_thread(http_json, f"{hub.base}/api/orders", "POST",
                                          make_order("D-1"))
    assert status == 201, ack
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    try:
        assert (await pos.submit(make_order("D-2")))["type"] == "ack"
    finally:
        await pos.close()
    status, orders = await asyncio.to_thread(http_json, f"{hub.base}/api/orders?since_rev=0")
    assert [o["order_number"] for o in orders] == ["D-1", "D-2"]
    assert (await asyncio.to_thread(health, hub))["status"] == "degraded"


# -- /clients ------------------------------------------------------------------------------
async def test_clients_lists_websocket_clients_and_recent_pollers(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="kitchen-grill",
                                     tenant_id=[3, 2])
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos-front")
    try:
        await kitchen.wait_for(lambda m: m["type"] == "connected")
        await pos.wait_for(lambda m: m["type"] == "connected")
        status, _ = await asyncio.to_thread(
            http_json, f"{hub.base}/api/orders?since_rev=0&client_id=board-poll"
            "&client_type=board&tenant_id=5")
        assert status == 200
        status, listing = await asyncio.to_thread(http_json, f"{hub.ops}/clients")
        assert status == 200
        assert listing["total"] == len(listing["clients"]) == 3, listing
        for entry in listing["clients"]:
            assert CLIENT_FIELDS <= set(entry), entry
            assert entry["remote"] == "127.0.0.1"
            datetime.strptime(entry["connectedAt"], "%Y-%m-%dT%H:%M:%SZ")
        by_id = {c["id"]: c for c in listing["clients"]}
        assert (by_id["kitchen-grill"]["type"], by_id["kitchen-grill"]["transport"],
                by_id["kitchen-grill"]["tenant_ids"]) == ("kitchen", "ws", [2, 3])
        assert (by_id["pos-front"]["type"], by_id["pos-front"]["transport"],
                by_id["pos-front"]["tenant_ids"]) == ("pos", "ws", [])
        assert (by_id["board-poll"]["type"], by_id["board-poll"]["transport"],
                by_id["board-poll"]["tenant_ids"]) == ("board", "poll", [5])
    finally:
        await pos.close()
    try:
        listing = await eventually(lambda: http_json(f"{hub.ops}/clients")[1],
                                   lambda b: b["total"] == 2)
        assert {c["id"] for c in listing["clients"]} == {"kitchen-grill", "board-poll"}
    finally:
        await kitchen.close()


# -- /metrics ------------------------------------------------------------------------------
async def test_metrics_pass_promtool_and_export_every_documented_name_after_orders_flow(
        hub_factory: Callable[..., Hub], mosquitto: Mosquitto) -> None:
    # A kitchen printer (nobody on the discard port: offline), so the printer series exist.
    hub = hub_factory(env={"HUB_MQTT_URL": mosquitto.url, "HUB_PRINTERS": json.dumps(
        [{"name": "grill", "url": "tcp://127.0.0.1:9"}])})
    await eventually(lambda: health(hub), lambda b: b["mqtt"] == "connected")
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", tenant_id=1)
    board = await WsClient.connect(hub.ws_url, client_type="board")
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    uuids = []
    try:
        for i in range(5):
            order = make_order(f"MX-{i}", tenant_id=1, source="pos")
            uuids.append(order["uuid"])
            assert (await pos.submit(order))["type"] == "ack"
        assert (await pos.submit(order))["payload"]["duplicate"] is True
        assert (await pos.submit({"order_number": ""}))["type"] == "error"
        assert (await pos.request("no_such_type", {}))["type"] == "error"
        await pos.request("ping", {"timestamp": 1})
        update = await kitchen.request("order_update", {"uuid": uuids[0], "status": "preparing"})
        assert update["type"] == "ack", update
        assert (await kitchen.request("ack_order", {"uuid": uuids[1]}))["type"] == "ack"
        status, _ = await asyncio.to_thread(http_json, f"{hub.base}/api/orders", "POST",
                                            make_order("MX-http"))
        assert status == 201
        await asyncio.to_thread(http_json, f"{hub.base}/api/orders?since_rev=0&client_id=p1")
        await kitchen.wait_for(lambda m: m["type"] == "order_status_update")
        status, body = await asyncio.to_thread(http_json, f"{hub.ops}/metrics")
    finally:
        for client in (kitchen, board, pos):
            await client.close()
    assert status == 200
    text = body if isinstance(body, str) else str(body)

    check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr

    types, samples = exposed(text)
    for name, kind in documented_hub_metrics().items():
        # prometheus-client names a counter's family with or without `_total` by version.
        declared = types.get(name) or types.get(name.removesuffix("_total"))
        assert declared == kind, (name, declared)
        wanted = {name} if kind != "histogram" else {f"{name}_bucket", f"{name}_sum",
                                                     f"{name}_count"}
        assert wanted <= samples, f"{name} has no samples"
    assert any(s.startswith("process_") for s in samples)
    assert any(s.startswith("python_") for s in samples)
    # No unbounded labels: no order's uuid or number ever becomes a label value.
    for uuid in uuids:
        assert uuid not in text
    assert "MX-" not in text
    assert re.search(r'^outlet_hub_orders_received_total\{source="pos"\} 5\.0$', text, re.M)
    assert re.search(r'^outlet_hub_orders_received_total\{source="kiosk"\} 1\.0$', text, re.M)
    assert re.search(r'^outlet_hub_orders_duplicate_total\{transport="ws"\} 1\.0$', text, re.M)
    assert re.search(r'^outlet_hub_last_rev \S+$', text, re.M)


# -- life cycle ----------------------------------------------------------------------------
async def test_sigterm_closes_sockets_with_1001_exits_0_and_keeps_acked_orders(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    clients = [await WsClient.connect(hub.ws_url, client_type=t)
               for t in ("kitchen", "pos", "display")]
    pos = clients[1]
    acked: list[dict[str, Any]] = []
    try:
        for c in clients:
            await c.wait_for(lambda m: m["type"] == "connected")
        acked.append((await pos.submit(make_order("S-0")))["payload"])
        # More writes in flight as the signal lands: whatever gets an ack must survive.
        in_flight = [make_order(f"S-{i}") for i in range(1, 21)]
        ids = [await pos.send("new_order", o) for o in in_flight]
        assert hub.proc is not None
        hub.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(hub.proc.wait, 10)
        for c in clients:
            await eventually(lambda c=c: c.closed, bool, timeout=10)
        acked += [m["payload"] for m in pos.messages
                  if m.get("ref") in ids and m["type"] == "ack"]
    finally:
        for c in clients:
            await c.close()
    assert code == 0, hub.log()
    assert [c.close_code for c in clients] == [1001, 1001, 1001]
    assert "shutting down" in hub.log()

    again = hub_factory(ws_port=hub.ws_port, http_port=hub.http_port)
    status, orders = await asyncio.to_thread(http_json, f"{again.base}/api/orders?since_rev=0")
    assert status == 200
    stored = {o["uuid"]: o for o in orders}
    for ack in acked:
        assert ack["uuid"] in stored, ack
        assert (stored[ack["uuid"]]["id"], stored[ack["uuid"]]["rev"]) == (ack["id"], ack["rev"])


def test_hub_answers_health_after_start_and_with_state_kept_across_restart(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory(start=False)
    hub.start(wait=False)
    wait_for_http(f"{hub.ops}/health", timeout=30)
    status, ack = http_json(f"{hub.base}/api/orders", "POST", make_order("R-1"))
    assert status == 201
    assert hub.terminate() == 0
    again = hub_factory(start=False)
    again.start(wait=False)
    wait_for_http(f"{again.ops}/health", timeout=30)
    body = health(again)
    assert (body["last_id"], body["last_rev"]) == (ack["id"], ack["rev"])
    assert body["status"] == "ok"
