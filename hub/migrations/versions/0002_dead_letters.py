"""Dead letters: orders set aside for good, with the reason, until central has them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("reported_at", sa.String(32), nullable=True),
        sa.UniqueConstraint("source", "key", name="uq_dead_letters_source_key"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
