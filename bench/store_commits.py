"""CPU per commit of the store alone: one order per commit, awaited one by one.

    .venv/bin/python bench/store_commits.py [--orders 2000] [--out FILE]

No sockets, no fan-out, no generator: the hub's `OrderStore` on a fresh file in a temp dir,
its background checkpoint every second as the hub runs it, and `submit` awaited in a loop,
so every commit carries one order (the hub's case below ~1,000 orders/s). CPU (user and
system, all threads) is read per block of 200 commits; on a shared machine the blocks'
minimum and median say more than the mean. Also the WAL's size at the end: it should stay
near one second's worth of commits, not grow with every one (decision 1901, addendum).

Its peer in the same run is the floor: the same two INSERTs (the store's own SQL) and
COMMIT straight on `sqlite3` in one thread, same pragmas, same migrated schema, its own
checkpoint every second, no event loop and no hand-off between threads. Blocks of the two
alternate, so both see the same minutes of a shared host; `store_over_floor` is the
median of their per-block ratios: what the writer thread, its queue and the loop cost on
top of the durable commit itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.store import OrderStore, migrate  # noqa: E402
from hub.store.engine import _on_connect  # noqa: E402
from hub.store.orders import _RAW_INSERT_EVENT, _RAW_INSERT_ORDER  # noqa: E402

BLOCK = 200
NOW = "2026-12-01T10:00:00.000Z"


def _order(i: int) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "order_number": f"B-{i:05d}", "outlet_id": 1,
            "tenant_id": None, "source": "pos", "created_at": NOW,
            "items": [{"product_id": 1, "name": "Nasi goreng", "qty": 2, "price": 25000}],
            "total": 50000}


async def _checkpoints(store: OrderStore) -> None:
    while True:
        await asyncio.sleep(1.0)
        await store.checkpoint()


def _usage_us() -> tuple[float, float]:
    """(user + system, system) CPU of this process so far, in µs, from one getrusage."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return 1e6 * (r.ru_utime + r.ru_stime), 1e6 * r.ru_stime


class Floor:
    """The durable commit alone: raw sqlite3, one thread, the store's SQL and pragmas."""

    def __init__(self, directory: Path) -> None:
        path = directory / "hub.sqlite3"
        migrate(path)
        self.conn = sqlite3.connect(path, isolation_level=None)
        _on_connect(self.conn, None)
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.n, self.last_checkpoint = 0, time.monotonic()

    def commit_one(self) -> None:
        self.n += 1
        order = _order(self.n)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(_RAW_INSERT_ORDER, (
            self.n, order["uuid"], order["order_number"], 1, None, "pending", "pos",
            json.dumps(order), "fp", self.n, self.n, NOW, NOW, None, "[]"))
        self.conn.execute(_RAW_INSERT_EVENT, (self.n, self.n, "created", "pending", None, NOW,
                                              None, None))
        self.conn.execute("COMMIT")
        if time.monotonic() - self.last_checkpoint >= 1.0:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.last_checkpoint = time.monotonic()


async def run(orders: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="store-commits-") as tmp:   # removed at the end
        (Path(tmp) / "store").mkdir()
        (Path(tmp) / "floor").mkdir()
        return await _run(orders, Path(tmp) / "store" / "hub.sqlite3", Floor(Path(tmp) / "floor"))


async def _run(orders: int, path: Path, floor: Floor) -> dict[str, Any]:
    migrate(path)
    store = OrderStore(path)
    store.start(asyncio.get_running_loop())
    task = asyncio.create_task(_checkpoints(store))
    total, system, floor_total, ratios = [], [], [], []
    try:
        for i in range(BLOCK):                       # warm-up: caches, statement cache
            await store.submit(_order(i), "fp", NOW)
            floor.commit_one()
        for block in range(max(1, orders // BLOCK)):
            c0, s0 = _usage_us()
            for i in range(BLOCK):
                await store.submit(_order(BLOCK * (block + 1) + i), "fp", NOW)
            c1, s1 = _usage_us()
            total.append((c1 - c0) / BLOCK)
            system.append((s1 - s0) / BLOCK)
            for _ in range(BLOCK):
                floor.commit_one()
            floor_total.append((_usage_us()[0] - c1) / BLOCK)
            ratios.append(total[-1] / max(1.0, floor_total[-1]))
        wal_mb = Path(f"{path}-wal").stat().st_size / 1e6
    finally:
        task.cancel()
        await store.close()
        floor.conn.close()
    return {
        "orders": len(total) * BLOCK, "loadavg_before": list(os.getloadavg()),
        "cpu_us_per_commit": {"min": round(min(total)), "median": round(statistics.median(total))},
        "system_us_per_commit": {"min": round(min(system)),
                                 "median": round(statistics.median(system))},
        "floor_cpu_us_per_commit": {"min": round(min(floor_total)),
                                    "median": round(statistics.median(floor_total))},
        "store_over_floor": round(statistics.median(ratios), 2),
        "wal_mb_at_end": round(wal_mb, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=2000)
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    result = asyncio.run(run(args.orders))
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
