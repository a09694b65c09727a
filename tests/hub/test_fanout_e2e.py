"""End to end over real sockets: POS → hub → the right kitchens, in rev order, exactly once."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from typing import Any

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order


async def test_each_kitchen_gets_exactly_its_tenants_orders_in_rev_order_once(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    kitchens = {
        "k1": await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k1", tenant_id=1),
        "k2": await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k2", tenant_id=2),
        "k23": await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k23",
                                      tenant_id=[2, 3]),
    }
    follows = {"k1": {1}, "k2": {2}, "k23": {2, 3}}
    pos = [await WsClient.connect(hub.ws_url, client_type="pos", client_id=f"pos{i}")
           for i in (1, 2)]
    for k in kitchens.values():
        await k.wait_for(lambda m: m["type"] == "connected")

    sent: dict[str, int | None] = {}

    async def sell(p: WsClient, prefix: str) -> None:
        for i in range(30):
            tenant = (1, 2, 3)[i % 3]
            order = make_order(f"{prefix}-{i}", tenant)
            ack = await p.submit(order)
            assert ack["type"] == "ack", ack
            sent[order["uuid"]] = tenant

    await asyncio.gather(sell(pos[0], "A"), sell(pos[1], "B"))
    assert len(sent) == 60

    for name, k in kitchens.items():
        expected = {u for u, t in sent.items() if t in follows[name]}
        await k.wait_for(lambda m, e=expected, kk=k: len(kk.of_type("new_order")) >= len(e))
        await asyncio.sleep(0.3)                       # anything extra would arrive now
        got = [m["payload"] for m in k.of_type("new_order")]
        uuids = [g["uuid"] for g in got]
        assert set(uuids) == expected, name
        assert len(uuids) == len(set(uuids)), f"{name} got a duplicate"
        revs = [g["rev"] for g in got]
        assert revs == sorted(revs), f"{name} out of rev order"
        assert all(g["tenant_id"] in follows[name] for g in got)
    # POS clients see no new_order broadcasts (they are not kitchens).
    assert all(not p.of_type("new_order") for p in pos)
    for c in [*kitchens.values(), *pos]:
        await c.close()


async def test_status_change_reaches_kitchens_and_pos_and_http_feed(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="k")
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="p")
    order = make_order("S-1", 1)
    ack = (await pos.submit(order))["payload"]
    await kitchen.wait_for(lambda m: m["type"] == "new_order")
    seen = await kitchen.request("ack_order", {"uuid": order["uuid"]})
    assert seen["type"] == "ack"
    note = await pos.wait_for(lambda m: m["type"] == "order_acknowledged")
    assert note["payload"]["client_id"] == "k" and note["payload"]["uuid"] == order["uuid"]
    reply = await kitchen.request("order_update", {"uuid": order["uuid"], "status": "preparing"})
    assert reply["type"] == "ack" and reply["payload"]["rev"] > ack["rev"]
    for c in (kitchen, pos):
        upd = await c.wait_for(lambda m: m["type"] == "order_status_update")
        assert upd["payload"]["status"] == "preparing" and upd["payload"]["by"] == "k"
    status, rows = http_json(f"{hub.base}/api/orders?since_rev={ack['rev']}")
    assert status == 200 and [r["status"] for r in rows] == ["preparing"]
    assert rows[0]["acknowledged_by"] == ["k"]
    await kitchen.close()
    await pos.close()


async def test_seed_client_without_hello_or_type_sees_every_order(
        hub_factory: Callable[..., Hub]) -> None:
    """The seed's Node clients connect to `/` and send bare {type, payload} frames."""
    hub = hub_factory()
    display = await WsClient.connect(f"ws://127.0.0.1:{hub.ws_port}/")
    hello = await display.wait_for(lambda m: m["type"] == "connected")
    assert hello["payload"]["client_type"] == "display"
    poster = await WsClient.connect(f"ws://127.0.0.1:{hub.ws_port}/",
                                    headers={"client-type": "pos", "client-id": "legacy-pos"})
    await poster.send_raw('{"type": "new_order", "payload": {"order_number": "L-1", "tenant_id": 9,'
                          ' "items": [{"name": "Es Teh", "qty": 1, "price": 5000}]}}')
    got = await display.wait_for(lambda m: m["type"] == "new_order")
    assert got["payload"]["uuid"] == "legacy:1:L-1"
    status, rows = http_json(f"{hub.base}/api/orders?outlet_id=1&since_id=0")
    assert status == 200 and [r["order_number"] for r in rows] == ["L-1"]
    await display.close()
    await poster.close()


def feed_page(hub: Hub, since: int) -> tuple[list[dict[str, Any]], int]:
    """One poll of the change feed: rows and the X-Last-Rev to resume from."""
    url = f"{hub.base}/api/orders?since_rev={since}&limit=7&client_id=poller"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read()), int(resp.headers["X-Last-Rev"])


async def test_polling_the_change_feed_during_writes_misses_nothing(
        hub_factory: Callable[..., Hub]) -> None:
    """A kitchen in Polling mode follows X-Last-Rev while POS write; it ends with every change."""
    hub = hub_factory()
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    seen: dict[str, tuple[int, str]] = {}
    stop = asyncio.Event()

    async def poller() -> None:
        position = 0
        while True:
            done = stop.is_set()
            rows, last = await asyncio.to_thread(feed_page, hub, position)
            for r in rows:
                assert r["rev"] > position
                seen[r["uuid"]] = (r["rev"], r["status"])
            assert last >= max([position, *(r["rev"] for r in rows)])
            position = last                               # resume where the hub says
            if done and not rows:
                return

    task = asyncio.create_task(poller())
    orders = [make_order(f"PL-{i}", 1 + i % 2) for i in range(60)]
    sent: list[str] = []
    for i, o in enumerate(orders):
        sent.append(await pos.send("new_order", o))
        if i % 3 == 0:
            sent.append(await pos.send("order_update", {"uuid": orders[i // 2]["uuid"],
                                                        "status": "preparing"}))
    # Every write answered (an ack comes only after its commit), so the poller's last pass
    # after `stop` sees them all; a fixed sleep here lost to a slow fsync on a busy host.
    for msg_id in sent:
        await pos.reply(msg_id, timeout=30)
    stop.set()
    await asyncio.wait_for(task, 30)
    _, final = http_json(f"{hub.base}/api/orders?since_rev=0&limit=1000")
    assert seen == {r["uuid"]: (r["rev"], r["status"]) for r in final}
    await pos.close()
