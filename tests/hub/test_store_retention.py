"""Retention deletes old, synced orders only — and ids/revs keep climbing afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.store import OrderStore
from outlet_protocol.orders import fingerprint, normalize_order
from tests.support.store import started_store
from tests.support.wsclient import make_order


async def _submit(store: OrderStore, number: str, received_at: str) -> dict:
    order = normalize_order(make_order(number, 1), 1, source="pos", now_iso=received_at)
    return (await store.submit(order, fingerprint(order), received_at)).order


async def test_purge_removes_only_old_confirmed_orders_and_never_reuses_ids(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    async with started_store(path) as store:
        old = [await _submit(store, f"OLD-{i}", "2026-01-01T10:00:00.000Z") for i in range(3)]
        fresh = await _submit(store, "NEW-1", "2026-11-20T10:00:00.000Z")
        await store.set_cursor("central", old[1]["rev"])       # central confirmed only 2 of 3
        removed = await store.purge("2026-06-01T00:00:00Z", ["central"])
        assert removed == 2
        left = await store.read(lambda c: OrderStore.orders_since_id(c, 0, frozenset(), 100))
        assert [o["order_number"] for o in left] == ["OLD-2", "NEW-1"]
        await store.set_cursor("central", fresh["rev"])
        assert await store.purge("2026-12-01T00:00:00Z", ["central"]) == 2
        after = await _submit(store, "NEW-2", "2026-11-21T10:00:00.000Z")
        assert after["id"] > fresh["id"] and after["rev"] > fresh["rev"]
    reopened = OrderStore(path)
    reopened.start(asyncio.get_running_loop())
    try:
        again = await _submit(reopened, "NEW-3", "2026-11-22T10:00:00.000Z")
        assert again["id"] == after["id"] + 1 and again["rev"] == after["rev"] + 1
    finally:
        await reopened.close()
