"""The hub and central as real processes: auto-registered URL, partition, menu, online orders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.central.conftest import CentralUnderTest
from tests.integration.conftest import eventually, hub_health, outlet
from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order


def test_hub_url_appears_on_its_outlet_and_follows_the_hub_unless_pinned(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]]) -> None:
    hub, outlet_id = enrolled_hub()                           # returns once /health answers
    expected = f"ws://127.0.0.1:{hub.ws_port}/ws"
    row = eventually(lambda: (o := outlet(hq, outlet_id))["websocket_url"] == expected
                     and o["hub"]["online"] is True and o)
    assert row["websocket_url_source"] == "hub"
    assert row["hub"]["hub_id"] == "hub-test"
    # Central commits the registration before its answer reaches the hub, which then writes
    # the token: under load the file can appear a moment after the outlet row shows the hub.
    assert eventually(lambda: (hub.data_dir / "hub_token").exists())
    assert oct((hub.data_dir / "hub_token").stat().st_mode & 0o777) == "0o600"

    # The hub moves (new LAN address): it registers again with its stored hub token.
    hub.terminate()
    hub.env["HUB_WEBSOCKET_URL"] = "ws://10.20.30.40:3001/ws"
    hub.env["HUB_ENROLLMENT_TOKEN"] = "used-up-token-is-not-needed-any-more"
    hub.start()
    eventually(lambda: outlet(hq, outlet_id)["websocket_url"] == "ws://10.20.30.40:3001/ws")

    # An admin pins a URL: the hub's registrations no longer overwrite it.
    hq.as_admin("PATCH", f"/api/tenants/outlets/{outlet_id}/",
                {"websocket_url": "ws://hub.malioboro.lan:3001/ws"})
    hub.terminate()
    hub.env["HUB_WEBSOCKET_URL"] = "ws://10.99.99.99:3001/ws"
    hub.start()
    eventually(lambda: hub_health(hub)["central"] == "ok")
    time.sleep(2.5)                               # a couple of heartbeats and a registration
    row = outlet(hq, outlet_id)
    assert row["websocket_url"] == "ws://hub.malioboro.lan:3001/ws"
    assert row["websocket_url_source"] == "admin"


def test_reused_enrollment_token_is_refused_and_hub_says_unenrolled(
        hq: CentralUnderTest, hub_factory: Callable[..., Hub]) -> None:
    outlet_id = hq.new_outlet()
    token = hq.enrollment_token(outlet_id)
    status, _ = hq.register(outlet_id, "someone-else", enrollment_token=token)
    assert status == 200
    hub = hub_factory(outlet_id=outlet_id, env={"HUB_CENTRAL_URL": hq.base,
                                               "HUB_ENROLLMENT_TOKEN": token})
    health = eventually(lambda: (h := hub_health(hub))["central"] != "disabled" and
                        h["central"] == "unreachable" and h)
    assert health["status"] == "degraded" and any("central" in r for r in health["reasons"])
    assert not (hub.data_dir / "hub_token").exists()
    # The hub still takes orders locally.
    assert http_json(f"{hub.base}/api/orders", "POST", make_order("LOCAL-1",
                                                                  outlet_id=outlet_id))[0] == 201


def _central_orders(hq: CentralUnderTest, outlet_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        since = rows[-1]["id"] if rows else 0
        status, body = hq.call("GET", f"/api/orders/?outlet_id={outlet_id}&since_id={since}"
                               "&limit=1000", token=hq.admin)
        assert status == 200, body
        rows += body["orders"]
        if len(body["orders"]) < 1000:
            return rows


async def _sell(hub: Hub, outlet_id: int, prefix: str, n: int) -> list[dict[str, Any]]:
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id=f"pos-{prefix}")
    orders = [make_order(f"{prefix}-{i}", 1 + i % 3, outlet_id=outlet_id) for i in range(n)]
    ids = [await pos.send("new_order", o) for o in orders]
    for msg_id in ids:
        assert (await pos.reply(msg_id, timeout=30))["type"] == "ack"
    for o in orders[::5]:
        assert (await pos.request("order_update", {"uuid": o["uuid"], "status": "preparing"}))[
            "type"] == "ack"
    for o in orders[::10]:
        assert (await pos.request("order_update", {"uuid": o["uuid"], "status": "ready"}))[
            "type"] == "ack"
    await pos.close()
    return orders


def test_partition_500_orders_land_once_in_order_after_central_returns_despite_sigkill(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]]) -> None:
    hub, outlet_id = enrolled_hub()
    eventually(lambda: hub_health(hub)["central"] == "ok")
    hq.proc.kill()                                            # the internet goes down
    first = asyncio.run(_sell(hub, outlet_id, "A", 250))
    hub.kill()                                                # and the hub crashes meanwhile
    hub.start()
    second = asyncio.run(_sell(hub, outlet_id, "B", 250))
    # 500 orders + 100 "preparing" + 50 "ready" changes wait in the outbox.
    health = eventually(lambda: (h := hub_health(hub))["outbox_pending"] == 650 and h)
    assert health["central"] == "unreachable" and health["status"] == "degraded"

    healed = time.monotonic()
    hq.proc.start()                                           # HQ is back
    eventually(lambda: hub_health(hub)["outbox_pending"] == 0, timeout=60)
    drained_in = time.monotonic() - healed
    assert drained_in < 60

    rows = _central_orders(hq, outlet_id)
    uuids = [r["uuid"] for r in rows]
    assert len(uuids) == len(set(uuids)) == 500, "every order exactly once"
    sent = first + second
    assert uuids == [o["uuid"] for o in sent], "central received them in the hub's order"
    _, hub_rows = http_json(f"{hub.base}/api/orders?since_id=0&limit=1000")
    hub_status = {r["uuid"]: r["status"] for r in hub_rows}
    assert {r["uuid"]: r["status"] for r in rows} == hub_status
    assert sum(1 for s in hub_status.values() if s == "ready") == 50


def test_menu_10k_products_then_one_change_then_a_deletion_and_offline_serving(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]]) -> None:
    outlet_id = hq.new_outlet("Yogya Food Court")
    tenant = hq.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "Pizza Paradise",
                                                   "stations": ["oven"]})
    products = [{"tenant_id": tenant["id"], "name": f"Dish {i}", "price": str(10000 + i)}
                for i in range(10_000)]
    hq.as_admin("POST", "/api/products/bulk", {"products": products})
    hub, _ = enrolled_hub(outlet_id)

    def hub_menu(since: int = 0) -> dict[str, Any]:
        return dict(http_json(f"{hub.base}/api/master-data/products?since_version={since}",
                              timeout=30)[1])

    full = eventually(lambda: (m := hub_menu())["products"] and len(m["products"]) == 10_000 and m,
                      timeout=60)
    version = full["current_version"]
    target = next(p for p in full["products"] if p["name"] == "Dish 42")
    hq.as_admin("PATCH", f"/api/products/{target['id']}/", {"price": "99000"})
    changed = eventually(lambda: (m := hub_menu(version))["current_version"] > version and m)
    assert [(p["id"], p["price"]) for p in changed["products"]] == [(target["id"], "99000")]
    assert changed["deleted"] == []

    version = changed["current_version"]
    gone = next(p for p in full["products"] if p["name"] == "Dish 7")
    hq.call("DELETE", f"/api/products/{gone['id']}/", token=hq.admin)
    removed = eventually(lambda: (m := hub_menu(version))["current_version"] > version and m)
    assert removed["deleted"] == [gone["id"]] and removed["products"] == []

    hq.proc.kill()                                            # central stopped: kiosks still sell
    offline = hub_menu()
    assert len(offline["products"]) == 9_999
    assert {p["price"] for p in offline["products"] if p["id"] == target["id"]} == {"99000"}
    tenants = http_json(f"{hub.base}/api/master-data/tenants")[1]
    assert [t["name"] for t in tenants["tenants"]] == ["Pizza Paradise"]


async def test_online_order_group_reaches_the_hubs_kitchen_once(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]]) -> None:
    outlet_id = hq.new_outlet("Yogya Solo")
    tenant = hq.as_admin("POST", "/api/tenants/", {"outlet_id": outlet_id, "name": "Bakso Pak Min"})
    product = hq.as_admin("POST", "/api/products/", {"tenant_id": tenant["id"], "name": "Bakso",
                                                     "price": "18000"})
    hub, _ = enrolled_hub(outlet_id)
    await asyncio.to_thread(eventually, lambda: hub_health(hub)["central"] == "ok")
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k-online")
    await kitchen.wait_for(lambda m: m["type"] == "connected")
    await asyncio.sleep(1.5)                       # the hub subscribes to its outlet channel
    cart = {"outlet_id": outlet_id, "customer_name": "Ayu", "uuids": {str(tenant["id"]): "web-1"},
            "items": [{"product_id": product["id"], "qty": 2, "price": "1"}]}
    status, body = hq.call("POST", "/api/public/order-groups/", cart)
    assert status in (200, 201), body
    shown = await kitchen.wait_for(lambda m: m["type"] == "new_order", timeout=15)
    assert shown["payload"]["uuid"] == "web-1" and shown["payload"]["source"] == "central"
    assert shown["payload"]["total_amount"] == "36000"           # central's price, not the cart's
    status, _ = hq.call("POST", "/api/public/order-groups/", cart)   # the customer taps twice
    await asyncio.sleep(1.0)
    assert len(kitchen.of_type("new_order")) == 1
    await kitchen.close()
