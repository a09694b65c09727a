"""SIGKILL the hub at random moments while POS clients submit and retry: nothing acked is lost."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from typing import Any

from tests.support.processes import Hub, http_json
from tests.support.wsclient import WsClient, make_order

KILLS = 22
POS_CLIENTS = 3


async def _until_acked(hub: Hub, pos_id: str, kind: str, payload: dict[str, Any],
                       stop: asyncio.Event) -> dict[str, Any]:
    """What a kiosk does: same payload, same uuid, again and again until the hub acks."""
    while True:
        try:
            client = await WsClient.connect(hub.ws_url, client_type="pos", client_id=pos_id)
        except Exception:
            await asyncio.sleep(0.05)
            continue
        try:
            reply = await client.request(kind, payload, timeout=3)
            if reply["type"] == "ack":
                return reply["payload"]
            raise AssertionError(f"hub refused a valid {kind}: {reply}")
        except (TimeoutError, ConnectionError, Exception) as exc:
            if isinstance(exc, AssertionError):
                raise
            await asyncio.sleep(0.02)
        finally:
            await client.close()


async def test_every_acked_order_survives_repeated_sigkill(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    rng = random.Random(20261123)
    acked: dict[str, dict[str, Any]] = {}
    acked_status: dict[str, int] = {}
    high_water = {"id": 0, "rev": 0}
    violations: list[str] = []
    stop = asyncio.Event()

    def check_forward(ack: dict[str, Any]) -> None:
        if not ack.get("duplicate") and ack["id"] <= high_water["id"] and ack["uuid"] not in acked:
            violations.append(f"id went backwards: {ack} after {high_water}")

    async def pos_worker(n: int) -> None:
        i = 0
        while not stop.is_set():
            order = make_order(f"P{n}-{i}", 1 + i % 3)
            ack = await _until_acked(hub, f"pos{n}", "new_order", order, stop)
            check_forward(ack)
            acked[order["uuid"]] = ack
            if i % 4 == 0:
                upd = await _until_acked(hub, f"pos{n}", "order_update",
                                         {"uuid": order["uuid"], "status": "preparing"}, stop)
                acked_status[order["uuid"]] = upd["rev"]
            i += 1

    async def killer() -> None:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.05, 0.5))
            if acked:
                high_water["id"] = max(a["id"] for a in acked.values())
                high_water["rev"] = max(a["rev"] for a in acked.values())
            hub.kill()
            await asyncio.sleep(rng.uniform(0.0, 0.2))
            await asyncio.to_thread(hub.start)
        stop.set()

    workers = [asyncio.create_task(pos_worker(n)) for n in range(POS_CLIENTS)]
    await killer()
    await asyncio.wait_for(asyncio.gather(*workers), 60)

    assert not violations, violations
    assert len(acked) >= 30, "the test should have taken a meaningful number of orders"
    rows: list[dict[str, Any]] = []
    while True:
        status, page = http_json(f"{hub.base}/api/orders?since_id={rows[-1]['id'] if rows else 0}"
                                 "&limit=1000")
        assert status == 200
        rows += page
        if len(page) < 1000:
            break
    by_uuid: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_uuid.setdefault(row["uuid"], []).append(row)
    for uuid, ack in acked.items():
        assert len(by_uuid.get(uuid, [])) == 1, f"acked order {uuid} present {len(by_uuid.get(uuid, []))}x"
        assert by_uuid[uuid][0]["id"] == ack["id"]
    for uuid in acked_status:
        assert by_uuid[uuid][0]["status"] == "preparing"
    ordered = sorted(rows, key=lambda r: r["id"])
    created = [r["created_rev"] for r in ordered]
    assert created == sorted(created) and len(set(created)) == len(created)
    hub.terminate()
    with sqlite3.connect(hub.data_dir / "hub.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in db.execute("SELECT id FROM orders ORDER BY rowid")]
        assert ids == sorted(ids)
