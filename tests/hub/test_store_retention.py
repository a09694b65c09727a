"""Retention deletes old, synced orders only — and ids/revs keep climbing afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.store import OrderStore
from outlet_protocol.errors import ProtocolError
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
    async with started_store(path) as reopened:
        again = await _submit(reopened, "NEW-3", "2026-11-22T10:00:00.000Z")
        assert again["id"] == after["id"] + 1 and again["rev"] == after["rev"] + 1


async def test_a_retry_and_a_conflict_store_nothing_and_ids_never_go_back(tmp_path: Path) -> None:
    """A new order is one INSERT that does nothing when its uuid is stored: the retry gets
    the stored order, other content a conflict, and neither takes an id or rev from the
    next order — before or after a restart."""
    path = tmp_path / "hub.sqlite3"
    order = normalize_order(make_order("R-1", 1), 1, source="pos", now_iso="2026-11-20T10:00:00Z")
    async with started_store(path) as store:
        first = (await store.submit(order, fingerprint(order), "2026-11-20T10:00:00Z")).order
        again = await store.submit(order, fingerprint(order), "2026-11-20T10:00:05Z")
        assert again.duplicate and again.order == first
        other = dict(order, order_number="R-other")
        with pytest.raises(ProtocolError, match="different order"):
            await store.submit(other, fingerprint(other), "2026-11-20T10:00:06Z")
        nxt = await _submit(store, "R-2", "2026-11-20T10:00:07Z")
        assert (nxt["id"], nxt["rev"]) == (first["id"] + 1, first["rev"] + 1)
        stored = await store.read(lambda c: OrderStore.orders_since_id(c, 0, frozenset(), 100))
        assert [o["order_number"] for o in stored] == ["R-1", "R-2"]
    async with started_store(path) as reopened:
        later = await _submit(reopened, "R-3", "2026-11-20T10:00:08Z")
        assert later["id"] > nxt["id"] and later["rev"] == nxt["rev"] + 1
