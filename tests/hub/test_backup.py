"""`outlet-hub backup` while orders arrive: every copy is a consistent snapshot, N are kept."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.processes import Hub
from tests.support.wsclient import make_order

RATE = 200  # orders per second, as the issue asks


async def send_orders(base: str, stop: threading.Event, sent: list[str],
                      outlet_id: int = 1) -> None:
    """POST orders at about RATE per second until `stop`; each 201 is recorded."""
    async with aiohttp.ClientSession() as session:
        n = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not stop.is_set():
            n += 1
            order = make_order(f"B{n}", outlet_id=outlet_id)
            async with session.post(f"{base}/api/orders", json=order) as resp:
                assert resp.status == 201, await resp.text()
                sent.append(order["uuid"])
            delay = start + n / RATE - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)


def rows(db: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def backup(hub: Hub, dest: Path, keep: int) -> Path:
    out = subprocess.run([sys.executable, "-m", "hub", "backup", "--dest", str(dest),
                          "--keep", str(keep)], env=hub.env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip())


def test_backups_taken_while_orders_arrive_are_consistent_snapshots(
        hub_factory: Callable[..., Hub], tmp_path: Path) -> None:
    hub = hub_factory()
    stop, sent = threading.Event(), []
    sender = threading.Thread(target=lambda: asyncio.run(send_orders(hub.base, stop, sent)))
    sender.start()
    dest = tmp_path / "backups"
    copies = []
    try:
        while len(sent) < 100:
            stop.wait(0.05)
        for _ in range(3):
            copies.append(backup(hub, dest, keep=2))
            # More orders acknowledged after each backup, so the next one (and the live
            # database at the end) must hold more: waited for, not assumed from a 0.3 s
            # pause that a stalled sender on a slow host could spend doing nothing.
            acked = len(sent)
            deadline = time.monotonic() + 30
            while len(sent) < acked + 5 and time.monotonic() < deadline:
                stop.wait(0.05)
    finally:
        stop.set()
        sender.join(60)
    assert not sender.is_alive()
    live = {uuid: oid for oid, uuid in rows(hub.data_dir / "hub.sqlite3",
                                            "SELECT id, uuid FROM orders")}
    assert set(sent) <= set(live)

    counts = []
    for copy in copies[1:]:  # keep=2: the first was pruned by the third
        assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
        orders = rows(copy, "SELECT id, uuid, created_rev FROM orders ORDER BY id")
        # A snapshot: ids 1..N with no hole, each the live database's order of that id...
        assert [oid for oid, _, _ in orders] == list(range(1, len(orders) + 1))
        assert all(live[uuid] == oid for oid, uuid, _ in orders)
        # ...each with its `created` change-feed entry, and the sequences at the last row.
        created = dict(rows(copy, "SELECT order_id, rev FROM events WHERE kind = 'created'"))
        assert created == {oid: rev for oid, _, rev in orders}
        sequences = dict(rows(copy, "SELECT name, seq FROM sqlite_sequence"))
        assert sequences["orders"] == len(orders)
        assert sequences["events"] == rows(copy, "SELECT max(rev) FROM events")[0][0]
        counts.append(len(orders))
    assert 100 <= counts[0] < counts[1] < len(live), "backups were taken while orders arrived"
    assert sorted(dest.iterdir()) == sorted(copies[1:]), "only the 2 newest are kept"
    assert not copies[0].exists()
