"""A hub backed up while 200 orders/s arrive, killed, restored: its kitchen resumes with no gap
and no repeat, and central ends with every order exactly once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.central.conftest import CentralUnderTest
from tests.hub.test_backup import backup, send_orders
from tests.integration.conftest import eventually, hub_health
from tests.support.processes import Hub, http_json
from tests.support.wsclient import make_order


def poll_feed(hub: Hub, since_rev: int) -> tuple[list[dict[str, Any]], int]:
    """A polling kitchen: every change after `since_rev`, and the rev to resume from."""
    changes: list[dict[str, Any]] = []
    while True:
        url = f"{hub.base}/api/orders?since_rev={since_rev}&client_type=kitchen&limit=500"
        with urllib.request.urlopen(url, timeout=10) as resp:  # loopback only
            page = json.loads(resp.read())
            last = int(resp.headers["X-Last-Rev"])
        rows = page["orders"] if isinstance(page, dict) else page
        changes += rows
        if not rows or last == since_rev:
            return changes, last
        since_rev = last


def restore(hub: Hub, backup_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", "restore", str(backup_file)],
                          env=hub.env, capture_output=True, text=True, timeout=60, check=False)


def central_uuids(hq: CentralUnderTest, outlet_id: int) -> list[str]:
    rows: list[dict[str, Any]] = []
    while True:
        since = rows[-1]["id"] if rows else 0
        status, body = hq.call("GET", f"/api/orders/?outlet_id={outlet_id}&since_id={since}"
                               "&limit=1000", token=hq.admin)
        assert status == 200, body
        rows += body["orders"]
        if len(body["orders"]) < 1000:
            return [r["uuid"] for r in rows]


def test_restored_hub_continues_above_everything_central_and_kitchens_saw(
        hq: CentralUnderTest, enrolled_hub: Callable[..., tuple[Hub, int]],
        tmp_path: Path) -> None:
    hub, outlet_id = enrolled_hub()
    eventually(lambda: hub_health(hub)["central"] == "ok", timeout=60)
    stop, sent = threading.Event(), []
    sender = threading.Thread(
        target=lambda: asyncio.run(send_orders(hub.base, stop, sent, outlet_id)))
    sender.start()
    try:
        eventually(lambda: len(sent) >= 100, timeout=60)
        snapshot = backup(hub, tmp_path / "backups", keep=3)
        at_backup = len(sent)
        eventually(lambda: len(sent) >= at_backup + 200, timeout=60)
    finally:
        stop.set()
        sender.join(60)
    eventually(lambda: hub_health(hub)["outbox_pending"] == 0, timeout=90)
    seen_before, kitchen_rev = poll_feed(hub, 0)
    assert {o["uuid"] for o in seen_before} == set(sent)

    refused = restore(hub, snapshot)
    assert refused.returncode == 1 and "stop it first" in refused.stderr
    hub.kill()
    restored = restore(hub, snapshot)
    assert restored.returncode == 0, restored.stderr
    hub.start()

    after = [make_order(f"R{n}", outlet_id=outlet_id) for n in range(50)]
    for order in after:
        status, body = http_json(f"{hub.base}/api/orders", "POST", order)
        assert status == 201, body
        assert body["id"] > max(o["id"] for o in seen_before)
    changes, _ = poll_feed(hub, kitchen_rev)
    assert [c["uuid"] for c in changes] == [o["uuid"] for o in after], "no gap, no repeat"
    assert all(c["rev"] > kitchen_rev for c in changes)

    eventually(lambda: hub_health(hub)["outbox_pending"] == 0, timeout=90)
    uuids = central_uuids(hq, outlet_id)
    assert len(uuids) == len(set(uuids)), "an order twice at central"
    assert set(uuids) == set(sent) | {o["uuid"] for o in after}
