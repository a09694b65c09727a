"""The cached master data from central (menu, tenants, …), paged by version."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select, text

from hub.schema import menu
from hub.store.rows import Change
from hub.store.writer import GroupCommitWriter

_UPSERT_ITEM = text("INSERT INTO menu(kind, item_id, version, deleted, body) "
                    "VALUES (:kind, :item_id, :version, :deleted, :body) "
                    "ON CONFLICT(kind, item_id) DO UPDATE SET version = excluded.version, "
                    "deleted = excluded.deleted, body = excluded.body")


class MenuWrites:
    """Pages of master data written through the writer (rows built before queueing)."""

    def __init__(self, writer: GroupCommitWriter[Change]) -> None:
        self.writer = writer

    def apply_menu(self, kind: str, items: Iterable[dict[str, Any]],
                   deleted: Iterable[Any], version: int) -> asyncio.Future[None]:
        """Cache a page of master data from central at `version`."""
        rows = [{"kind": kind, "item_id": str(it["id"]), "deleted": 0,
                 "version": it["version"] if isinstance(it.get("version"), int) else version,
                 "body": json.dumps(it, separators=(",", ":"), ensure_ascii=False)}
                for it in items]
        gone = [{"kind": kind, "item_id": str(i), "version": version, "deleted": 1, "body": "{}"}
                for i in deleted]

        def op(conn: Connection, _changes: list[Change]) -> None:
            if rows or gone:
                conn.execute(_UPSERT_ITEM, rows + gone)

        return self.writer.submit(op)


def menu_since(conn: Connection, kind: str, since_version: int,
               limit: int) -> tuple[list[dict[str, Any]], list[Any], bool]:
    """(items, deleted ids, has_more) changed after `since_version` in the cached menu."""
    rows = list(conn.execute(select(menu).where(menu.c.kind == kind,
                                                menu.c.version > since_version)
                             .order_by(menu.c.version, menu.c.item_id).limit(limit + 1)))
    has_more = len(rows) > limit
    items, deleted = [], []
    for r in rows[:limit]:
        if r.deleted:
            deleted.append(int(r.item_id) if r.item_id.isdigit() else r.item_id)
        else:
            items.append(json.loads(r.body))
    return items, deleted, has_more
