"""Migration 0655: orders stored under the hub's old digest are re-digested with the shared one,
so a client retrying an order stored before the upgrade gets its ack, not `conflict`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hub.store import migrate
from outlet_protocol.orders import fingerprint, normalize_order


def test_upgrade_re_digests_stored_orders_with_the_shared_fingerprint(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    migrate(db)
    order = normalize_order({"uuid": "k1-1", "order_number": "K1-0001", "tenant_name": "Warung",
                             "items": [{"name": "Teh", "qty": 1, "price": "5000"}]},
                            1, source="kiosk", now_iso="2026-12-01T08:00:00.000Z")
    body = json.dumps({k: v for k, v in order.items() if k != "status"})
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO orders (id, uuid, order_number, outlet_id, status, source, body,"
                     " fingerprint, created_rev, rev, received_at, updated_at, acknowledged_by)"
                     " VALUES (1, 'k1-1', 'K1-0001', 1, 'pending', 'kiosk', ?, ?, 1, 1, 'x', 'x', '[]')",
                     (body, "0" * 64))      # what the old digest was does not matter: it differs
        # As the database stood before this upgrade: schema 0003 (devices), the old digest stored.
        conn.execute("UPDATE alembic_version SET version_num = '0003'")
        # …migrated by an older release's scripts, so not carrying this release's stamp.
        conn.execute("PRAGMA user_version = 0")
        # …so without the tables of later revisions either (0910: sold_out).
        conn.execute("DROP TABLE sold_out")
    migrate(db)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT fingerprint FROM orders WHERE id = 1").fetchone()[0]
    # The retry arrives through central, without tenant_name: still the same order.
    retry = normalize_order({"uuid": "k1-1", "order_number": "K1-0001",
                             "items": [{"name": "Teh", "qty": 1, "price": "5000"}]},
                            1, source="central", now_iso="2026-12-01T08:01:00.000Z")
    assert stored == fingerprint(retry)
