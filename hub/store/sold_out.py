"""Rows of `sold_out`: which products this outlet has run out of (issue 14)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, text

from hub.schema import menu, sold_out

MARK = text("INSERT INTO sold_out(product_id, at, by) VALUES (:product_id, :at, :by) "
             "ON CONFLICT(product_id) DO NOTHING")


def listed(conn: Connection) -> list[dict[str, Any]]:
    """Every product marked sold out, oldest mark first."""
    return [{"product_id": r.product_id, "at": r.at, "by": r.by}
            for r in conn.execute(select(sold_out).order_by(sold_out.c.at, sold_out.c.product_id))]


def product_ids(conn: Connection) -> list[int]:
    """The ids alone, for the heartbeat to central."""
    return [int(r) for r in conn.execute(select(sold_out.c.product_id)
                                         .order_by(sold_out.c.product_id)).scalars()]


def known(conn: Connection, product_id: int) -> bool:
    """Whether the cached menu has this product (only those can be marked)."""
    return conn.execute(select(menu.c.item_id).where(
        menu.c.kind == "products", menu.c.item_id == str(product_id),
        menu.c.deleted == 0)).first() is not None
