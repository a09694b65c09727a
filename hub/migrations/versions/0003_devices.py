"""Paired screens: pairing requests (a code waiting for approval) and devices (a token's owner).

Revision ID: 0003
Revises: 0801
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0801"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pairing_requests",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("client_type", sa.String(16), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("tenant_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        # pending → approved → collected (token handed out) | rejected
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(40), nullable=True),
        sa.Column("decided_by", sa.String(16), nullable=True),
        sa.Column("remote", sa.String(64), nullable=False),
    )
    op.create_index("ix_pairing_requests_code", "pairing_requests", ["code"])
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("client_type", sa.String(16), nullable=False),
        sa.Column("tenant_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("paired_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=True),
        sa.Column("remote", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("devices")
    op.drop_index("ix_pairing_requests_code", "pairing_requests")
    op.drop_table("pairing_requests")
