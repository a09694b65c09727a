"""Initial hub schema: orders, change-feed events, outbox cursors, meta, menu cache.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(100), nullable=False, unique=True),
        sa.Column("order_number", sa.String(64), nullable=False),
        sa.Column("outlet_id", sa.Integer, nullable=False),
        sa.Column("tenant_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_rev", sa.Integer, nullable=False),
        sa.Column("rev", sa.Integer, nullable=False, unique=True),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=True),
        sa.Column("acknowledged_by", sa.Text, nullable=False, server_default="[]"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_orders_order_number", "orders", ["order_number"])
    op.create_index("ix_orders_received_at", "orders", ["received_at"])
    op.create_table(
        "events",
        sa.Column("rev", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("by", sa.String(100), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_order_id", "events", ["order_id"])
    op.create_table(
        "cursors",
        sa.Column("sink", sa.String(32), primary_key=True),
        sa.Column("rev", sa.Integer, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "menu",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_menu_kind_version", "menu", ["kind", "version"])


def downgrade() -> None:
    for name in ("menu", "meta", "cursors", "events", "orders"):
        op.drop_table(name)
