"""Products marked sold out at the hub (issue 14, decision 0910).

Revision ID: 0910
Revises: 0655
"""

import sqlalchemy as sa
from alembic import op

revision = "0910"
down_revision = "0655"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sold_out",
        sa.Column("product_id", sa.Integer, primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sold_out")
