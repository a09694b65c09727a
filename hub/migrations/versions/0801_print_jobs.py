"""Print jobs: held tickets waiting for a reprint decision, reprints and test pages (issue 18).

Revision ID: 0801
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0801"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("printer", sa.String(24), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("order_uuid", sa.String(100), nullable=True),
        sa.Column("order_number", sa.String(64), nullable=True),
        sa.Column("tenant_id", sa.Integer, nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_print_jobs_printer_state", "print_jobs", ["printer", "state"])


def downgrade() -> None:
    op.drop_index("ix_print_jobs_printer_state", "print_jobs")
    op.drop_table("print_jobs")
