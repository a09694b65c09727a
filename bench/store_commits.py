"""CPU per commit of the store alone: one order per commit, awaited one by one.

    .venv/bin/python bench/store_commits.py [--orders 2000] [--out FILE]

No sockets, no fan-out, no generator: the hub's `OrderStore` on a fresh file in a temp dir,
its background checkpoint every second as the hub runs it, and `submit` awaited in a loop,
so every commit carries one order (the hub's case below ~1,000 orders/s). CPU (user and
system, all threads) is read per block of 200 commits; on a shared machine the blocks'
minimum and median say more than the mean. Also the WAL's size at the end: it should stay
near one second's worth of commits, not grow with every one (decision 1901, addendum).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.store import OrderStore, migrate  # noqa: E402

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


async def run(orders: int) -> dict[str, Any]:
    path = Path(tempfile.mkdtemp(prefix="store-commits-")) / "hub.sqlite3"
    migrate(path)
    store = OrderStore(path)
    store.start(asyncio.get_running_loop())
    task = asyncio.create_task(_checkpoints(store))
    total, system = [], []
    try:
        for i in range(BLOCK):                       # warm-up: caches, statement cache
            await store.submit(_order(i), "fp", NOW)
        for block in range(max(1, orders // BLOCK)):
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            for i in range(BLOCK):
                await store.submit(_order(BLOCK * (block + 1) + i), "fp", NOW)
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            sys_s = r1.ru_stime - r0.ru_stime
            total.append(1e6 * (r1.ru_utime - r0.ru_utime + sys_s) / BLOCK)
            system.append(1e6 * sys_s / BLOCK)
        wal_mb = Path(f"{path}-wal").stat().st_size / 1e6
    finally:
        task.cancel()
        await store.close()
    return {
        "orders": len(total) * BLOCK, "loadavg_before": list(os.getloadavg()),
        "cpu_us_per_commit": {"min": round(min(total)), "median": round(statistics.median(total))},
        "system_us_per_commit": {"min": round(min(system)),
                                 "median": round(statistics.median(system))},
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
