"""Outlet channels over real WebSockets, on one process and across two on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.central.conftest import (
    CentralUnderTest,
    PgDatabase,
    require_postgres,
    start_central,
)
from tests.support.processes import Central, http_json


async def next_event(ws: aiohttp.ClientWebSocketResponse, name: str,
                     timeout: float = 10.0) -> dict[str, Any]:
    """The next message with event == name (others, e.g. kitchen status, are skipped)."""
    while True:
        msg = await ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if data.get("event") == name:
            return data


def group(outlet_id: int, product_id: int, key: str) -> dict[str, Any]:
    return {"outlet_id": outlet_id, "client_uuid": key,
            "items": [{"product_id": product_id, "qty": 1}]}


def seed_menu(central: CentralUnderTest, outlet_id: int) -> int:
    tenant = central.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "T"})
    return int(central.as_admin("POST", "/api/products/", {"tenant_id": tenant["id"],
                                                           "name": "Soto", "price": "20000"})["id"])


async def test_subscriber_gets_new_orders_status_changes_and_pong(
        central: CentralUnderTest) -> None:
    oid, hub_token, display = central.enrolled_hub()
    product = seed_menu(central, oid)
    url = f"{central.proc.ws_base}/ws/outlet/{oid}/"
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(url, headers={"Authorization": f"Bearer {display}"}) as screen, \
            http.ws_connect(f"{url}?token={central.admin}") as admin:
        await screen.send_json({"type": "ping", "timestamp": 1})
        assert await screen.receive_json(timeout=5) == {"type": "pong", "timestamp": 1}
        await asyncio.to_thread(central.call, "POST", "/api/public/order-groups/",
                                group(oid, product, f"rt-{oid}"))
        for ws in (screen, admin):
            data = (await next_event(ws, "new_order"))["data"]
            assert data["uuid"] == f"rt-{oid}:{data['tenant_id']}" and data["origin"] == "central"
        uuid = data["uuid"]
        await asyncio.to_thread(central.call, "POST", "/api/hubs/orders", {"orders": [
            dict(data, id=1, rev=1)]}, hub_token)
        await asyncio.to_thread(central.call, "POST", "/api/hubs/order-events", {"events": [
            {"uuid": uuid, "rev": 2, "status": "completed", "from_status": "pending"}]},
            hub_token)
        done = (await next_event(screen, "order_completed"))["data"]
        assert done["uuid"] == uuid and done["status"] == "completed"


async def test_hub_is_not_sent_its_own_events_back(central: CentralUnderTest) -> None:
    oid, hub_token, _ = central.enrolled_hub()
    product = seed_menu(central, oid)
    url = f"{central.proc.ws_base}/ws/outlet/{oid}/"
    order = {"uuid": f"own-{oid}", "order_number": "K-1", "id": 1, "rev": 1,
             "items": [{"name": "Soto", "qty": 1, "price": "20000"}]}
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(url, headers={"Authorization": f"Bearer {hub_token}"}) as hub:
        await asyncio.to_thread(central.call, "POST", "/api/hubs/orders", {"orders": [order]},
                                hub_token)
        await asyncio.to_thread(central.call, "POST", "/api/public/order-groups/",
                                group(oid, product, f"web-{oid}"))
        first = (await next_event(hub, "new_order"))["data"]
        assert first["origin"] == "central"


def test_websocket_refuses_other_outlets(central: CentralUnderTest) -> None:
    a, _, display_a = central.enrolled_hub()
    b = central.new_outlet()
    status, _ = http_json(f"{central.base}/ws/outlet/{b}/?token={display_a}")
    assert status == 403
    status, _ = http_json(f"{central.base}/ws/outlet/{a}/")
    assert status == 401


@pytest.fixture
def two_centrals(tmp_path: Path) -> Iterator[tuple[Central, Central, str]]:
    """Two central processes on one fresh PostgreSQL database."""
    require_postgres()
    db = PgDatabase()
    db.create()
    first = start_central(tmp_path / "a", db.url)
    second = start_central(tmp_path / "b", db.url)
    try:
        yield first, second, first.admin_token()
    finally:
        first.kill()
        second.kill()
        db.drop()


async def test_order_group_posted_to_one_process_reaches_a_subscriber_of_the_other(
        two_centrals: tuple[Central, Central, str]) -> None:
    first, second, admin = two_centrals
    a = CentralUnderTest(first, admin, "postgresql")
    oid, hub_token, _ = a.enrolled_hub()
    product = seed_menu(a, oid)
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(f"{second.ws_base}/ws/outlet/{oid}/",
                            headers={"Authorization": f"Bearer {hub_token}"}) as on_second, \
            http.ws_connect(f"{first.ws_base}/ws/outlet/{oid}/",
                            headers={"Authorization": f"Bearer {admin}"}) as on_first:
        await on_second.send_json({"type": "ping"})
        assert (await on_second.receive_json(timeout=5))["type"] == "pong"
        status, body = await asyncio.to_thread(
            http_json, f"{first.base}/api/public/order-groups/", "POST",
            group(oid, product, "cross-1"))
        assert status == 201
        for ws in (on_second, on_first):
            data = (await next_event(ws, "new_order"))["data"]
            assert data["uuid"] == body["orders"][0]["uuid"]
        # A large order travels by reference (NOTIFY payloads stop at 8000 bytes).
        big = {"outlet_id": oid, "client_uuid": "cross-big", "notes": "x" * 900,
               "items": [{"product_id": product, "qty": 1, "notes": "n" * 400}
                         for _ in range(30)]}
        status, body = await asyncio.to_thread(
            http_json, f"{first.base}/api/public/order-groups/", "POST", big)
        assert status == 201
        data = (await next_event(on_second, "new_order"))["data"]
        assert data["uuid"] == "cross-big:" + str(data["tenant_id"]) and len(data["items"]) == 30


async def kitchen_events(ws: aiohttp.ClientWebSocketResponse,
                         quiet: float) -> list[dict[str, Any]]:
    """Every kitchen_status_changed until nothing arrives for `quiet` seconds."""
    seen: list[dict[str, Any]] = []
    while True:
        try:
            msg = await ws.receive(timeout=quiet)
        except TimeoutError:
            return seen
        data = json.loads(msg.data)
        if data.get("event") == "kitchen_status_changed":
            seen.append(data["data"])


async def test_hub_going_offline_is_announced_once_and_its_return_too(
        central: CentralUnderTest) -> None:
    """CENTRAL_HUB_OFFLINE_AFTER=3 here: silent for 3 s → one `kitchen_status_changed` with
    hub_online false and no kitchens; the next heartbeat announces the kitchens again."""
    oid, hub_token, display = central.enrolled_hub("hub-goes-away")
    beat = {"hub_id": "hub-goes-away", "kitchens_connected": 2, "clients": {"kitchen": 2}}
    async with aiohttp.ClientSession() as http, http.ws_connect(
            f"{central.proc.ws_base}/ws/outlet/{oid}/?token={display}") as screen:
        await asyncio.to_thread(central.call, "POST", "/api/hubs/heartbeat", beat, hub_token)
        online = (await next_event(screen, "kitchen_status_changed"))["data"]
        assert (online["kitchens_connected"], online["status"], online["hub_online"]) == (
            2, "online", True)
        gone = (await next_event(screen, "kitchen_status_changed", timeout=15))["data"]
        assert gone["hub_id"] == "hub-goes-away" and gone["outlet_id"] == oid
        assert (gone["kitchens_connected"], gone["status"], gone["hub_online"]) == (
            0, "offline", False)
        assert await kitchen_events(screen, quiet=3) == []  # once per offline episode
        # back with the same two kitchens it had: still announced, it is news to the screens
        await asyncio.to_thread(central.call, "POST", "/api/hubs/heartbeat", beat, hub_token)
        back = (await next_event(screen, "kitchen_status_changed"))["data"]
        assert (back["kitchens_connected"], back["status"], back["hub_online"]) == (
            2, "online", True)


async def test_two_processes_announce_a_hub_offline_once(
        two_centrals: tuple[Central, Central, str]) -> None:
    first, second, admin = two_centrals
    a = CentralUnderTest(first, admin, "postgresql")
    oid, hub_token, display = a.enrolled_hub("hub-shared")
    async with aiohttp.ClientSession() as http, http.ws_connect(
            f"{second.ws_base}/ws/outlet/{oid}/?token={display}") as screen:
        await asyncio.to_thread(a.call, "POST", "/api/hubs/heartbeat",
                                {"kitchens_connected": 1}, hub_token)
        # Each expected event waited for on its own (the offline one comes after the 3-second
        # window, a sweep and a NOTIFY to the other process: slow on a busy host), then a
        # quiet spell in which no second announcement may come.
        events = [(await next_event(screen, "kitchen_status_changed", timeout=30))["data"]
                  for _ in range(2)]
        events += await kitchen_events(screen, quiet=6)
        assert [(e["status"], e["hub_online"]) for e in events] == [
            ("online", True), ("offline", False)]
