"""Screens at HQ: pairing codes hubs report as pending (with HQ's answer) and paired devices.

Revision ID: 0601
Revises: 0801
Create Date: 2026-12-01 08:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0601'
down_revision: str | None = '0801'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pairing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('tenant_ids', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('remote', sa.String(length=64), nullable=False),
    sa.Column('reported_at', sa.Float(), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_requests')),
    sa.UniqueConstraint('outlet_id', 'code', name='uq_pairing_requests_outlet_code')
    )
    op.create_table('paired_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('tenant_ids', sa.JSON(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('last_seen', sa.Float(), nullable=True),
    sa.Column('reported_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paired_devices')),
    sa.UniqueConstraint('outlet_id', 'device_id', name='uq_paired_devices_outlet_device')
    )


def downgrade() -> None:
    op.drop_table('paired_devices')
    op.drop_table('pairing_requests')
