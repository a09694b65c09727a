"""Hub releases: published bundles (in chunks) and the rollout in force (decision 1101).

Revision ID: 1101
Revises: 1001
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1101'
down_revision: str | None = '1001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hub_releases',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('chunk_size', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_hub_releases'))
    )
    op.create_table('hub_release_chunks',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['hub_releases.version'],
                            name=op.f('fk_hub_release_chunks_version_hub_releases')),
    sa.PrimaryKeyConstraint('version', 'seq', name=op.f('pk_hub_release_chunks'))
    )
    op.create_table('release_rollout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('ring', sa.String(length=10), nullable=False),
    sa.Column('canary_outlets', sa.JSON(), nullable=False),
    sa.Column('percentage', sa.Integer(), nullable=False),
    sa.Column('force', sa.Boolean(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['hub_releases.version'],
                            name=op.f('fk_release_rollout_version_hub_releases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_rollout'))
    )


def downgrade() -> None:
    op.drop_table('release_rollout')
    op.drop_table('hub_release_chunks')
    op.drop_table('hub_releases')
