"""A kitchen that misses orders and status changes catches up exactly by `since_rev`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order


def apply(state: dict[str, dict[str, Any]], msg: dict[str, Any]) -> int:
    """What a kitchen screen does with a message: returns the rev it reached."""
    p = msg["payload"]
    if msg["type"] == "new_order":
        assert p["uuid"] not in state or msg.get("replay"), f"shown twice: {p['uuid']}"
        state[p["uuid"]] = {"status": p["status"], "rev": p["rev"]}
        return int(p["rev"])
    if msg["type"] == "order_status_update":
        current = state.get(p["uuid"])
        assert current is not None, "status for an order never shown"
        if p["rev"] > current["rev"]:
            current.update(status=p["status"], rev=p["rev"])
        return int(p["rev"])
    return 0


def screen_state(client: WsClient) -> tuple[dict[str, dict[str, Any]], int]:
    state: dict[str, dict[str, Any]] = {}
    last = 0
    for m in client.messages:
        last = max(last, apply(state, m))
    return state, last


async def test_kitchen_reconnecting_with_since_rev_matches_one_that_never_left(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    steady = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="steady",
                                    tenant_id=[1, 2])
    flaky = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="flaky",
                                   tenant_id=[1, 2])
    pos = await WsClient.connect(hub.ws_url, client_type="pos", client_id="pos")
    first = [make_order(f"F-{i}", 1 + i % 3) for i in range(10)]
    for o in first:
        assert (await pos.submit(o))["type"] == "ack"
    await flaky.wait_for(lambda m: (m["type"] == "new_order" and m["payload"]["order_number"] == "F-9")
                         or len(flaky.of_type("new_order")) >= 7)
    await asyncio.sleep(0.3)
    flaky_state, flaky_rev = screen_state(flaky)
    await flaky.close()

    missed = [make_order(f"M-{i}", 1 + i % 3) for i in range(50)]
    for o in missed:
        assert (await pos.submit(o))["type"] == "ack"
    for o in (first + missed)[:20]:
        await pos.request("order_update", {"uuid": o["uuid"], "status": "preparing"})
    last_ack = await pos.request("order_update", {"uuid": first[0]["uuid"], "status": "ready"})
    final_rev = last_ack["payload"]["rev"]
    await steady.wait_for(lambda m: m["type"] == "order_status_update"
                          and m["payload"]["rev"] == final_rev)

    back = await WsClient.connect(hub.ws_url, client_type="kitchen", client_id="flaky",
                                  tenant_id=[1, 2], since_rev=flaky_rev)
    done = await back.wait_for(lambda m: m["type"] == "replay_done")
    assert done["payload"]["last_rev"] >= final_rev
    assert all(m.get("replay") for m in back.messages
               if m["type"] in ("new_order", "order_status_update"))
    for m in back.messages:
        flaky_rev = max(flaky_rev, apply(flaky_state, m))
    steady_state, _ = screen_state(steady)
    assert flaky_state == steady_state
    assert len(steady_state) == sum(1 for o in first + missed if o["tenant_id"] in (1, 2))
    for c in (steady, back, pos):
        await c.close()


async def test_resume_survives_a_hub_restart_with_ids_and_revs_moving_forward(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    acks = [(await pos.submit(make_order(f"R-{i}", 1)))["payload"] for i in range(5)]
    await pos.close()
    hub.terminate()
    hub.start()
    kitchen = await WsClient.connect(hub.ws_url, client_type="kitchen", since_rev=acks[1]["rev"])
    await kitchen.wait_for(lambda m: m["type"] == "replay_done")
    assert [m["payload"]["order_number"] for m in kitchen.of_type("new_order")] == ["R-2", "R-3", "R-4"]
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    later = (await pos.submit(make_order("R-5", 1)))["payload"]
    assert later["id"] > acks[-1]["id"] and later["rev"] > acks[-1]["rev"]
    _status, rows = http_json(f"{hub.base}/api/orders?since_id=0")
    assert [r["order_number"] for r in rows] == [f"R-{i}" for i in range(6)]
    await kitchen.close()
    await pos.close()


async def test_hello_with_since_rev_replays_only_matching_tenants(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    for i in range(6):
        await pos.submit(make_order(f"H-{i}", 1 + i % 2))
    k = await WsClient.connect(hub.ws_url)
    await k.wait_for(lambda m: m["type"] == "connected")
    await k.send("hello", {"client_type": "kitchen", "client_id": "kh", "tenant_ids": [2],
                           "since_rev": 0})
    await k.wait_for(lambda m: m["type"] == "replay_done")
    assert [m["payload"]["order_number"] for m in k.of_type("new_order")] == ["H-1", "H-3", "H-5"]
    connected = k.of_type("connected")[-1]["payload"]
    assert connected["client_id"] == "kh" and connected["tenant_ids"] == [2]
    await k.close()
    await pos.close()


async def test_screens_joining_mid_rush_see_every_order_exactly_once(
        hub_factory: Callable[..., Hub]) -> None:
    """The replay/live hand-over: orders committed while a screen's replay runs are neither
    lost nor shown twice, for since_id (seed) and since_rev resumes alike."""
    hub = hub_factory()
    pos = await WsClient.connect(hub.ws_url, client_type="pos")
    orders = [make_order(f"RUSH-{i}", 1) for i in range(400)]

    async def rush() -> None:
        ids = []
        for o in orders:
            ids.append(await pos.send("new_order", o))
            if len(ids) % 20 == 0:
                await asyncio.sleep(0.005)
        for msg_id in ids:
            assert (await pos.reply(msg_id, timeout=30))["type"] == "ack"

    writer = asyncio.create_task(rush())
    screens = []
    for i in range(6):
        await asyncio.sleep(0.03)
        resume = {"since_id": 0} if i % 2 else {"since_rev": 0}
        screens.append(await WsClient.connect(hub.ws_url, client_type="kitchen",
                                              client_id=f"late-{i}", **resume))
    await writer
    want = {o["uuid"] for o in orders}
    for s in screens:
        await s.wait_for(lambda m, s=s: len({x["payload"]["uuid"] for x in s.of_type("new_order")})
                         >= len(want), timeout=30)
        await asyncio.sleep(0.2)
        got = [m["payload"]["uuid"] for m in s.of_type("new_order")]
        assert set(got) == want
        assert len(got) == len(set(got)), "an order was shown twice"
        await s.close()
    assert not pos.of_type("new_order"), "a POS is not a kitchen"
    await pos.close()
