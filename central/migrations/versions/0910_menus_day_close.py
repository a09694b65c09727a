"""Products get modifier groups and allow_notes; outlets get their trading day (issue 14, decision 0910).

Revision ID: 0910
Revises: 0601
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0910'
down_revision: str | None = '0601'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('modifier_groups', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.add_column(sa.Column('allow_notes', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('outlets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('day_starts_at', sa.String(length=5), nullable=False,
                                      server_default='04:00'))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=False,
                                      server_default='Asia/Jakarta'))


def downgrade() -> None:
    with op.batch_alter_table('outlets', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('day_starts_at')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('allow_notes')
        batch_op.drop_column('modifier_groups')
