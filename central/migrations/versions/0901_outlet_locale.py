"""outlets.locale and outlets.currency: the apps' language and money per outlet (issue 14, decision 0901).

Revision ID: 0901
Revises: 1101 (main's menus migration; re-chained on the merge)
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0901'
down_revision: str | None = '1101'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outlets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), server_default='id-ID',
                                      nullable=False))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='IDR',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outlets', schema=None) as batch_op:
        batch_op.drop_column('currency')
        batch_op.drop_column('locale')
