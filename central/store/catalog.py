"""Versioned master data: tenants, categories, products, promotions.

Every write takes the next value of ONE global counter (`menu_state.version`), one value
per changed row, so `?since_version=N` paging is exact even after a 10,000-row import.
Writers serialise on the counter row, so versions become visible in order; a reader
takes the counter first and never returns a version above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, or_, select, update

from central.core.errors import ApiError, invalid
from central.core.fields import iso
from central.store.schema import (
    categories,
    menu_state,
    outlets,
    printers,
    products,
    promotions,
    tenants,
)

KINDS: dict[str, Table] = {
    "tenants": tenants, "categories": categories, "products": products,
    "promotions": promotions, "printers": printers,
}
_SINGULAR = {"tenants": "tenant", "categories": "category", "products": "product",
             "promotions": "promotion", "printers": "printer"}


def _take_versions(conn: Connection, n: int) -> list[int]:
    top = conn.execute(update(menu_state).where(menu_state.c.id == 1)
                       .values(version=menu_state.c.version + n)
                       .returning(menu_state.c.version)).scalar_one()
    return list(range(top - n + 1, top + 1))


def _row_json(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k != "deleted"}
    out["updated_at"] = iso(out["updated_at"])
    return out


class CatalogStore:
    """Queries for the versioned master data."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current_version(self) -> int:
        """The global master-data version."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(menu_state.c.version)).scalar_one())

    def _check_refs(self, conn: Connection, kind: str, values: dict[str, Any]) -> None:
        def live(table: Table, ident: int | None) -> bool:
            if ident is None:
                return True
            q = select(table.c.id).where(table.c.id == ident)
            if table is not outlets:
                q = q.where(table.c.deleted.is_(False))
            return conn.execute(q).first() is not None

        if "outlet_id" in values and not live(outlets, values["outlet_id"]):
            raise invalid("outlet_id", f"outlet {values['outlet_id']} does not exist")
        if kind != "tenants" and "tenant_id" in values and not live(tenants, values["tenant_id"]):
            raise invalid("tenant_id", f"tenant {values['tenant_id']} does not exist")
        if "category_id" in values and not live(categories, values["category_id"]):
            raise invalid("category_id", f"category {values['category_id']} does not exist")
        if kind == "promotions" and not live(products, values.get("product_id")):
            raise invalid("product_id", f"product {values['product_id']} does not exist")

    def create_many(self, kind: str, rows: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
        """Insert rows, each with its own new version; returns them as served."""
        table = KINDS[kind]
        with self.engine.begin() as conn:
            checked: set[tuple[Any, ...]] = set()
            for values in rows:
                refs = tuple(values.get(k) for k in ("outlet_id", "tenant_id", "category_id",
                                                     "product_id"))
                if refs not in checked:  # a 10,000-row import names a handful of parents
                    self._check_refs(conn, kind, values)
                    checked.add(refs)
            versions = _take_versions(conn, len(rows))
            payload = [dict(v, version=ver, deleted=False, updated_at=now)
                       for v, ver in zip(rows, versions, strict=True)]
            ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               payload).scalars().all()
            found = conn.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
            return [_row_json(r) for r in found]

    def get(self, kind: str, ident: int) -> dict[str, Any]:
        """One live row or ApiError not_found."""
        table = KINDS[kind]
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.id == ident,
                                                   table.c.deleted.is_(False))).first()
        if row is None:
            raise ApiError("not_found", f"{_SINGULAR[kind]} {ident} does not exist")
        return _row_json(row)

    def update(self, kind: str, ident: int, values: dict[str, Any], now: float) -> dict[str, Any]:
        """Change a live row; it takes a new version."""
        table = KINDS[kind]
        with self.engine.begin() as conn:
            self._check_refs(conn, kind, values)
            (ver,) = _take_versions(conn, 1)
            done = conn.execute(update(table).where(table.c.id == ident, table.c.deleted.is_(False))
                                .values(**values, version=ver, updated_at=now))
            if done.rowcount == 0:
                # Rolls back the version bump with the transaction.
                raise ApiError("not_found", f"{_SINGULAR[kind]} {ident} does not exist")
            return _row_json(conn.execute(select(table).where(table.c.id == ident)).one())

    def delete(self, kind: str, ident: int, now: float) -> None:
        """Tombstone a row: it arrives in `deleted` for anyone syncing past this version."""
        table = KINDS[kind]
        with self.engine.begin() as conn:
            (ver,) = _take_versions(conn, 1)
            done = conn.execute(update(table).where(table.c.id == ident, table.c.deleted.is_(False))
                                .values(deleted=True, version=ver, updated_at=now))
            if done.rowcount == 0:
                raise ApiError("not_found", f"{_SINGULAR[kind]} {ident} does not exist")

    def changes(self, kind: str, since: int, limit: int,
                outlet_id: int | None = None) -> dict[str, Any]:
        """Rows changed after `since`: {kind: [...], deleted: [ids], current_version, has_more}.

        When has_more is true, current_version is the cursor to pass as the next
        since_version (everything up to it has been returned); otherwise it is the global
        version.
        """
        table = KINDS[kind]
        with self.engine.connect() as conn:
            top = int(conn.execute(select(menu_state.c.version)).scalar_one())
            q = (select(table).where(table.c.version > since, table.c.version <= top)
                 .order_by(table.c.version).limit(limit + 1))
            for cond in self._outlet_filter(table, outlet_id):
                q = q.where(cond)
            rows = list(conn.execute(q))
        has_more = len(rows) > limit
        rows = rows[:limit]
        live = [_row_json(r) for r in rows if not r.deleted]
        gone = [r.id for r in rows if r.deleted]
        return {kind: live, "deleted": gone,
                "current_version": rows[-1].version if has_more else top, "has_more": has_more}

    @staticmethod
    def _outlet_filter(table: Table, outlet_id: int | None) -> Iterable[Any]:
        if outlet_id is None:
            return []
        if table is tenants or table is printers:
            return [table.c.outlet_id == outlet_id]
        own = select(tenants.c.id).where(tenants.c.outlet_id == outlet_id).scalar_subquery()
        if table is products:
            return [products.c.tenant_id.in_(own)]
        return [or_(table.c.tenant_id.is_(None), table.c.tenant_id.in_(own))]

    def priced(self, product_ids: list[int]) -> tuple[dict[int, dict[str, Any]],
                                                      dict[int, dict[str, Any]]]:
        """(products by id, tenants by id) for pricing a cart, live rows only."""
        with self.engine.connect() as conn:
            prods = {r.id: dict(r._mapping) for r in conn.execute(
                select(products).where(products.c.id.in_(product_ids),
                                       products.c.deleted.is_(False)))}
            tenant_ids = {p["tenant_id"] for p in prods.values()}
            tens = {r.id: dict(r._mapping) for r in conn.execute(
                select(tenants).where(tenants.c.id.in_(tenant_ids),
                                      tenants.c.deleted.is_(False)))}
        return prods, tens

    def cart_promotions(self, product_ids: list[int], tenant_ids: list[int]) -> list[dict[str, Any]]:
        """Live, switched-on promotions that could cover these products, ascending by id
        (order decides only which promotion_id a tie reports, never the price). Dates are
        checked by the caller at the order's time."""
        scope_product = or_(promotions.c.product_id.is_(None),
                            promotions.c.product_id.in_(product_ids))
        scope_tenant = or_(promotions.c.tenant_id.is_(None), promotions.c.tenant_id.in_(tenant_ids))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(promotions.c.id, promotions.c.discount_percent, promotions.c.product_id,
                       promotions.c.tenant_id, promotions.c.start_date, promotions.c.end_date,
                       promotions.c.is_active)
                .where(promotions.c.deleted.is_(False), promotions.c.is_active.is_(True),
                       scope_product, scope_tenant)
                .order_by(promotions.c.id))]
