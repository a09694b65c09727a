"""HQ's private CA for outlet LANs: authorities (key sealed) and the certificates issued.

Revision ID: 1001
Revises: 0910
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1001'
down_revision: str | None = '0910'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pki_authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('cert_pem', sa.Text(), nullable=False),
    sa.Column('sealed_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('not_after', sa.Float(), nullable=False),
    sa.Column('retired_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_authorities')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_pki_authorities_fingerprint'))
    )
    op.create_table('pki_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=False),
    sa.Column('authority_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.Float(), nullable=False),
    sa.Column('not_after', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_pki_certificates_serial'))
    )
    op.create_index(op.f('ix_pki_certificates_hub_id'), 'pki_certificates', ['hub_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pki_certificates_hub_id'), table_name='pki_certificates')
    op.drop_table('pki_certificates')
    op.drop_table('pki_authorities')
