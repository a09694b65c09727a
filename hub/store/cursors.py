"""Outbox cursors (how far each sink confirmed the change feed) and small meta facts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from sqlalchemy import Connection, func, select, text

from hub.schema import cursors, events, meta
from hub.store.rows import Change
from hub.store.writer import GroupCommitWriter

_UPSERT_META = text("INSERT INTO meta(key, value) VALUES (:k, :v) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value")


class CursorWrites:
    """Cursor moves and meta facts, each one operation of the writer (as durable as an order)."""

    def __init__(self, writer: GroupCommitWriter[Change]) -> None:
        self.writer = writer

    def set_cursor(self, sink: str, rev: int) -> asyncio.Future[None]:
        """Durably record that `sink` confirmed everything up to `rev` (never moves back)."""

        def op(conn: Connection, _changes: list[Change]) -> None:
            current = conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
            if current is None:
                conn.execute(cursors.insert().values(sink=sink, rev=rev))
            elif rev > current:
                conn.execute(cursors.update().where(cursors.c.sink == sink).values(rev=rev))

        return self.writer.submit(op)

    def set_meta(self, key: str, value: str) -> asyncio.Future[None]:
        """Store one meta fact (positions of the menu and online-order catch-up, …)."""
        return self.set_metas({key: value})

    def set_metas(self, facts: Mapping[str, str]) -> asyncio.Future[None]:
        """Store several meta facts in one write: all of them, or none."""
        rows = [{"k": k, "v": v} for k, v in facts.items()]

        def op(conn: Connection, _changes: list[Change]) -> None:
            for row in rows:
                conn.execute(_UPSERT_META, row)

        return self.writer.submit(op)


def cursor(conn: Connection, sink: str) -> int:
    """The rev `sink` confirmed up to (0 when it never confirmed anything)."""
    return int(conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar() or 0)


def backlog(conn: Connection, sink: str) -> tuple[int, str | None]:
    """(entries pending for `sink`, timestamp of the oldest one)."""
    cur = cursor(conn, sink)
    count = conn.execute(select(func.count()).select_from(events)
                         .where(events.c.rev > cur)).scalar()
    oldest = conn.execute(select(events.c.at).where(events.c.rev > cur)
                          .order_by(events.c.rev).limit(1)).scalar()
    return int(count or 0), oldest


def get_meta(conn: Connection, key: str) -> str | None:
    """One meta fact, or None."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return None if value is None else str(value)
