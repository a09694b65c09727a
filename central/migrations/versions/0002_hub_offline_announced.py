"""hubs.offline_announced_at: when central last told an outlet channel its hub went offline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

The offline sweep claims a hub with one conditional UPDATE, so with several central
processes exactly one of them announces each offline episode. Existing hubs start as
"announced at their last heartbeat": hubs long gone are not announced in a burst at upgrade.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline_announced_at', sa.Float(), nullable=True))
    op.execute("UPDATE hubs SET offline_announced_at = last_seen")


def downgrade() -> None:
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_column('offline_announced_at')
