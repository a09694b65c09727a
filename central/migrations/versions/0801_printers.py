"""printers: kitchen printers per outlet, versioned with the menu (issue 18, decision 0801).

Revision ID: 0801
Revises: 0630
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0801'
down_revision: str | None = '0630'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('printers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=24), nullable=False),
    sa.Column('url', sa.String(length=200), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('tenants', sa.JSON(), nullable=False),
    sa.Column('stations', sa.JSON(), nullable=False),
    sa.Column('prints', sa.JSON(), nullable=False),
    sa.Column('backup', sa.String(length=24), nullable=False),
    sa.Column('backup_after_seconds', sa.Float(), nullable=False),
    sa.Column('hold_after_minutes', sa.Float(), nullable=False),
    sa.Column('status_query', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlets.id'], name=op.f('fk_printers_outlet_id_outlets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_printers'))
    )
    with op.batch_alter_table('printers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_printers_outlet_id'), ['outlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_printers_version'), ['version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('printers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_printers_version'))
        batch_op.drop_index(batch_op.f('ix_printers_outlet_id'))
    op.drop_table('printers')
