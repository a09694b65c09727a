"""Initial schema: fleet, master data with one global version, orders, admin accounts.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:15:35.522223
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('admin_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_users')),
    sa.UniqueConstraint('username', name=op.f('uq_admin_users_username'))
    )
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories'))
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_categories_version'), ['version'], unique=False)

    op.create_table('menu_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_menu_state'))
    )
    op.create_table('order_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=100), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=True),
    sa.Column('stored_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('incoming_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_conflicts'))
    )
    with op.batch_alter_table('order_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_conflicts_uuid'), ['uuid'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_uuid', sa.String(length=100), nullable=False),
    sa.Column('rev', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('hub_id', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events')),
    sa.UniqueConstraint('order_uuid', 'rev', name='uq_order_events_uuid_rev')
    )
    op.create_table('orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=100), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('order_number', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=True),
    sa.Column('hub_order_id', sa.BigInteger(), nullable=True),
    sa.Column('last_rev', sa.BigInteger(), nullable=True),
    sa.Column('total_amount', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('uuid', name=op.f('uq_orders_uuid'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_outlet_id_id', ['outlet_id', 'id'], unique=False)

    op.create_table('outlets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('websocket_url', sa.String(length=255), nullable=False),
    sa.Column('websocket_url_source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outlets'))
    )
    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price', sa.String(length=32), nullable=False),
    sa.Column('station', sa.String(length=50), nullable=True),
    sa.Column('image', sa.String(length=500), nullable=True),
    sa.Column('is_available', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_products_version'), ['version'], unique=False)

    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('discount_percent', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.String(length=40), nullable=True),
    sa.Column('end_date', sa.String(length=40), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_version'), ['version'], unique=False)

    op.create_table('server_secrets',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secrets'))
    )
    op.create_table('admin_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['admin_users.id'], name=op.f('fk_admin_sessions_user_id_admin_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_sessions')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_admin_sessions_token_digest'))
    )
    op.create_table('enrollment_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.Column('used_at', sa.Float(), nullable=True),
    sa.Column('used_by_hub', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlets.id'], name=op.f('fk_enrollment_tokens_outlet_id_outlets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_enrollment_tokens_token_digest'))
    )
    op.create_table('hubs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hub_id', sa.String(length=64), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('http_url', sa.String(length=255), nullable=True),
    sa.Column('websocket_url', sa.String(length=255), nullable=True),
    sa.Column('metrics_port', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.Float(), nullable=False),
    sa.Column('last_seen', sa.Float(), nullable=True),
    sa.Column('last_heartbeat', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlets.id'], name=op.f('fk_hubs_outlet_id_outlets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hubs')),
    sa.UniqueConstraint('hub_id', name=op.f('uq_hubs_hub_id')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_hubs_token_digest'))
    )
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hubs_outlet_id'), ['outlet_id'], unique=False)

    op.create_table('tenants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outlet_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('stations', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['outlet_id'], ['outlets.id'], name=op.f('fk_tenants_outlet_id_outlets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenants_outlet_id'), ['outlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenants_version'), ['version'], unique=False)
    # The one global menu version every admin write bumps.
    op.execute("INSERT INTO menu_state (id, version) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenants_version'))
        batch_op.drop_index(batch_op.f('ix_tenants_outlet_id'))

    op.drop_table('tenants')
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hubs_outlet_id'))

    op.drop_table('hubs')
    op.drop_table('enrollment_tokens')
    op.drop_table('admin_sessions')
    op.drop_table('server_secrets')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_version'))

    op.drop_table('promotions')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_version'))
        batch_op.drop_index(batch_op.f('ix_products_tenant_id'))

    op.drop_table('products')
    op.drop_table('outlets')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_outlet_id_id')

    op.drop_table('orders')
    op.drop_table('order_events')
    with op.batch_alter_table('order_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_conflicts_uuid'))

    op.drop_table('order_conflicts')
    op.drop_table('menu_state')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_categories_version'))

    op.drop_table('categories')
    op.drop_table('admin_users')
