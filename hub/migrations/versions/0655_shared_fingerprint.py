"""Fingerprints recomputed with outlet_protocol's one rule (decision 0655).

The hub used to digest every field but uuid/status/source/created_at; hub and central now
share central's content-only digest. Without this, a client retrying an order stored
before the upgrade would be told `conflict` for its own order.

Revision ID: 0655
Revises: 0003
"""

import json

import sqlalchemy as sa
from alembic import op

from outlet_protocol.orders import fingerprint

revision = "0655"
down_revision = "0003"
branch_labels = None
depends_on = None

_PAGE = 1000


def upgrade() -> None:
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(sa.text("SELECT id, body FROM orders WHERE id > :after ORDER BY id "
                                    "LIMIT :n"), {"after": after, "n": _PAGE}).all()
        if not rows:
            break
        conn.execute(sa.text("UPDATE orders SET fingerprint = :fp WHERE id = :id"),
                     [{"id": r.id, "fp": fingerprint(json.loads(r.body))} for r in rows])
        after = rows[-1].id


def downgrade() -> None:
    """Old digests cannot be rebuilt without the old code; leave the new ones."""
