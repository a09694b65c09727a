"""The hub's SQLite tables (SQLAlchemy Core), shared by the store and the migrations.

`events` is the change feed: one row per insert or status change, `rev` its key.
AUTOINCREMENT (sqlite_sequence) guarantees `id` and `rev` are never reused, even after
retention deletes the newest rows' predecessors or every row.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

orders = Table(
    "orders", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(100), nullable=False, unique=True),
    Column("order_number", String(64), nullable=False),
    Column("outlet_id", Integer, nullable=False),
    Column("tenant_id", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("body", Text, nullable=False),          # canonical order JSON as submitted
    Column("fingerprint", String(64), nullable=False),
    Column("created_rev", Integer, nullable=False),
    Column("rev", Integer, nullable=False, unique=True),
    Column("received_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(100), nullable=True),
    Column("acknowledged_by", Text, nullable=False, default="[]"),
    Index("ix_orders_order_number", "order_number"),
    Index("ix_orders_received_at", "received_at"),
    sqlite_autoincrement=True,
)

events = Table(
    "events", metadata,
    Column("rev", Integer, primary_key=True),
    Column("order_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),     # created | status
    Column("status", String(16), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("at", String(32), nullable=False),
    Column("by", String(100), nullable=True),
    Column("reason", String(200), nullable=True),
    Index("ix_events_order_id", "order_id"),
    sqlite_autoincrement=True,
)

# One row per outbox sink (mqtt, central): everything up to `rev` is confirmed.
cursors = Table(
    "cursors", metadata,
    Column("sink", String(32), primary_key=True),
    Column("rev", Integer, nullable=False),
)

# Small facts that must survive restarts: hub token, menu version, enrollment state.
meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Master data cached from central so kiosks sell with the internet down.
menu = Table(
    "menu", metadata,
    Column("kind", String(16), primary_key=True),    # products | categories | promotions | tenants
    Column("item_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("deleted", Integer, nullable=False, default=0),
    Column("body", Text, nullable=False),
    Index("ix_menu_kind_version", "kind", "version"),
)

# Orders set aside for good (issue 13): refused by central, or an online order the hub
# refused. Nothing is deleted; `reported_at` is set once central has the row.
dead_letters = Table(
    "dead_letters", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(16), nullable=False),    # outbox | online
    Column("key", String(100), nullable=False),      # order uuid (or uuid@rev for an event)
    Column("code", String(32), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("body", Text, nullable=False),            # the order as JSON, at most 64 KiB
    Column("at", String(32), nullable=False),
    Column("reported_at", String(32), nullable=True),
    UniqueConstraint("source", "key", name="uq_dead_letters_source_key"),
    sqlite_autoincrement=True,
)

# Products marked sold out at this outlet (issue 14): set from a kitchen or POS, pushed to
# every screen at once and reported to central on each heartbeat. A row means sold out.
sold_out = Table(
    "sold_out", metadata,
    Column("product_id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("by", String(100), nullable=False),
)
