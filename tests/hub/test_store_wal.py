"""The WAL stays bounded under steady load: it rewinds even when commits land during the
background checkpoint (decision 1901, addendum "commit path").

SQLite starts the WAL over only when a write transaction begins with every frame already
copied into the database. The hub's checkpoint runs beside the writer, so under load a
commit always lands while it runs; the store's writer thread then folds in what is left
between batches. Here a reader pinned to an old snapshot stands in for "a commit landed
while the checkpoint ran": it stops the background checkpoint short of the newest frames.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from hub.store import OrderStore, migrate
from outlet_protocol.orders import fingerprint, normalize_order
from tests.support.wsclient import make_order

NOW = "2026-12-01T10:00:00.000Z"


async def _submit(store: OrderStore, number: str) -> dict:
    order = normalize_order(make_order(number, 1), 1, source="pos", now_iso=NOW)
    return (await store.submit(order, fingerprint(order), NOW)).order


def _wal_frames(path: Path) -> int:
    """Frames in the WAL file now (its size; SQLite never shrinks it on its own)."""
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    return (Path(f"{path}-wal").stat().st_size - 32) // (page + 24)


async def test_wal_rewinds_after_a_checkpoint_that_commits_overtook(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    migrate(path)
    store = OrderStore(path)
    store.start(asyncio.get_running_loop())
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        await _submit(store, "A-1")
        one_order = _wal_frames(path)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM orders").fetchone()   # snapshot after A-1
        await _submit(store, "A-2")
        await store.checkpoint()          # copies up to the reader's snapshot: A-2 is left
        reader.execute("COMMIT")
        await _submit(store, "A-3")       # appends; then the writer folds in what is left
        size_before = _wal_frames(path)
        assert size_before <= 3 * one_order + 2
        for i in (4, 5):
            await _submit(store, f"A-{i}")
        # Started over after A-3: two more orders fit in the space the first three used
        # (without the writer's part, each would append: 5 orders' worth).
        assert _wal_frames(path) == size_before
        # Nothing was lost by starting over: every order is in the file.
        numbers = [r[0] for r in reader.execute("SELECT order_number FROM orders ORDER BY id")]
        assert numbers == [f"A-{i}" for i in range(1, 6)]
    finally:
        reader.close()
        await store.close()
