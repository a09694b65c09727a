"""hub_dead_letters: orders a hub set aside for good, with the reason, for the admin.

Revision ID: 0630
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0630'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'hub_dead_letters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hub_id', sa.String(length=64), nullable=False),
        sa.Column('outlet_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('at', sa.String(length=40), nullable=False),
        sa.Column('received_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_dead_letters')),
        sa.UniqueConstraint('hub_id', 'source', 'key', name='uq_hub_dead_letters_hub_source_key'),
    )
    op.create_index(op.f('ix_hub_dead_letters_outlet_id'), 'hub_dead_letters', ['outlet_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_hub_dead_letters_outlet_id'), table_name='hub_dead_letters')
    op.drop_table('hub_dead_letters')
