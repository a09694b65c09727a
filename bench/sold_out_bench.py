"""Sold out at the hub (issue 14): how long from a POS's `PUT /api/sold-out/{id}` until every
connected kiosk has the `product_availability` push. Real hub process, real sockets; JSON out.

    .venv/bin/python bench/sold_out_bench.py --kiosks 20 --changes 100

The issue's target is "on every kiosk within 1 s"; this measures it, the tests never time it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.processes import Hub
from tests.support.wsclient import WsClient
from tests.ui.menu_fixture import seed_menu


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(kiosks: int, changes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(Path(tmp))
        hub.start()
        hub.terminate()
        seed_menu(hub.data_dir / "hub.sqlite3")
        hub.start()
        try:
            clients = [await WsClient.connect(hub.ws_url, client_type="pos") for _ in range(kiosks)]
            for c in clients:
                await c.wait_for(lambda m: m["type"] == "connected")
            last_all: list[float] = []
            answer: list[float] = []
            async with aiohttp.ClientSession() as http:
                for i in range(changes):
                    sold = i % 2 == 0
                    before = [{id(m) for m in c.messages} for c in clients]
                    start = time.perf_counter()
                    async with http.request("PUT" if sold else "DELETE",
                                            f"{hub.base}/api/sold-out/1",
                                            json={} if sold else None) as res:
                        assert res.status == 200, await res.text()
                    answer.append(time.perf_counter() - start)
                    for c, old in zip(clients, before, strict=True):
                        await c.wait_for(lambda m, s=sold, o=old: id(m) not in o
                                         and m["type"] == "product_availability"
                                         and m["payload"]["sold_out"] is s, timeout=10)
                    last_all.append(time.perf_counter() - start)
            for c in clients:
                await c.close()
        finally:
            hub.kill()
    ms = lambda xs: {"p50": round(statistics.median(xs) * 1000, 2),  # noqa: E731
                     "p99": round(_pct(xs, 0.99) * 1000, 2), "max": round(max(xs) * 1000, 2)}
    return {"bench": "sold_out_push", "kiosks": kiosks, "changes": changes,
            "machine": platform.platform(), "answer_ms": ms(answer),
            "every_kiosk_has_it_ms": ms(last_all)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=20)
    ap.add_argument("--changes", type=int, default=100)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args.kiosks, args.changes)), indent=2))


if __name__ == "__main__":
    main()
