"""SQLite, the truth for orders: one writer thread doing group commits, readers on the side.

The package, one job per module: `engine` (pragmas, engine, migrations), `writer` (the
generic `GroupCommitWriter`: batches, savepoints, commit-then-answer, reconnect after a
failure), `rows` (row → order/JSON and the result types), and small repositories over the
writer: `orders`, `cursors` (outbox cursors and meta), `menu`, `retention`.

`OrderStore` composes them so callers keep one object; new persistence modules write
through `OrderStore.write(fn)` (`fn(conn, changes) -> result`, committed by the same writer,
so as durable as an order) and read through `OrderStore.read(fn)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection

from hub.store import cursors as _cursors
from hub.store import menu as _menu
from hub.store import orders as _orders
from hub.store.cursors import CursorWrites
from hub.store.engine import MIGRATIONS, make_engine, migrate
from hub.store.menu import MenuWrites
from hub.store.orders import FeedCounters, OrderWrites, Rehearsed
from hub.store.retention import Retention
from hub.store.rows import (
    AckResult,
    Change,
    SubmitResult,
    UpdateResult,
    row_to_json,
    row_to_order,
)
from hub.store.writer import (
    MAX_BATCH,
    CommitStats,
    GroupCommitWriter,
    StoreUnavailable,
    is_database_failure,
)
from outlet_protocol.errors import ProtocolError

__all__ = [
    "MAX_BATCH", "MIGRATIONS", "AckResult", "Change", "CommitStats", "GroupCommitWriter",
    "OrderStore", "Rehearsed", "StoreUnavailable", "SubmitResult", "UpdateResult", "make_engine", "migrate",
    "row_to_json", "row_to_order",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class OrderStore:
    """Orders, the change feed, outbox cursors, meta facts and the menu cache in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(path)
        self.counters = FeedCounters()
        self.listeners: list[Callable[[list[Change]], None]] = []
        self.commit_observers: list[Callable[[CommitStats], None]] = []
        self.writer_engine = make_engine(path, pooled=False)
        self.writer: GroupCommitWriter[Change] = GroupCommitWriter(
            self.writer_engine, expected=(ProtocolError, Rehearsed), on_open=self._on_writer_open,
            on_rollback=self.counters.catch_up, on_commit=self._on_commit,
            after_batch=self._finish_checkpoint)
        self.orders = OrderWrites(self.writer, self.counters)
        self.cursors = CursorWrites(self.writer)
        self.menu = MenuWrites(self.writer)
        self.retention = Retention(self.writer, self.counters)
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hub-db-read")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_reader: Connection | None = None
        self._checkpointed_rev = -1
        self._checkpoint_behind = False   # set by `checkpoint`, cleared by the writer thread
        # Batches the loop has seen committed (or failed): answers read before the count
        # moved may be stale, answers read since may not (hub/poll_cache.py).
        self.commits = 0

    # -- counters and health, as callers have always read them -----------------------------
    @property
    def last_rev(self) -> int:
        """Newest rev handed out (runs ahead of `committed_rev` inside a batch)."""
        return self.counters.last_rev

    @property
    def last_id(self) -> int:
        return self.counters.last_id

    @property
    def committed_rev(self) -> int:
        """Highest rev whose commit the loop has seen."""
        return self.counters.committed_rev

    @property
    def healthy(self) -> bool:
        """False after a batch failed to commit, until one commits again."""
        return self.writer.healthy

    @property
    def last_error(self) -> str | None:
        """Why the last batch failed (for /health), None when it committed."""
        return self.writer.last_error

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open the writer connection and start the writer thread (schema must be migrated)."""
        self._loop = loop
        self.writer.start(loop)

    def _on_writer_open(self, conn: Connection) -> None:
        # Checkpoints move off the commit path (see `checkpoint`): an automatic one inside
        # a commit copies and fsyncs the database file while a POS waits for its ack.
        conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        self.counters.load(conn)

    def _on_commit(self, changes: list[Change], stats: CommitStats) -> None:
        self.commits += 1
        for observer in self.commit_observers:
            observer(stats)
        if changes:
            self.counters.committed_rev = max(self.counters.committed_rev, changes[-1].rev)
            for listener in self.listeners:
                try:
                    listener(changes)
                except Exception:  # a broken listener must not stop acks
                    log.exception("change listener failed")

    async def close(self) -> None:
        """Finish every queued write, then close connections."""
        await self.writer.close()
        if self._loop_reader is not None:
            self._loop_reader.close()
            self._loop_reader = None
        self._readers.shutdown(wait=True)
        self.engine.dispose()
        self.writer_engine.dispose()

    # -- writes ----------------------------------------------------------------------------
    def write(self, fn: Callable[[Connection, list[Change]], T]) -> asyncio.Future[T]:
        """Run `fn(conn, changes)` in the writer's next batch; resolves after its COMMIT.

        For persistence modules beside the orders (dead letters, devices, print jobs): their
        rows commit with the same durability as an order. Raise `ProtocolError` to refuse
        (rolled back alone); append to `changes` only for change-feed entries.
        """
        return self.writer.submit(fn)

    _submit_op = write       # the name modules written before the split use

    def submit(self, order: dict[str, Any], fp: str,
               received_at: str) -> asyncio.Future[SubmitResult]:
        """Store a validated order once; a retry gets the stored result, other content a conflict.

        Queued for the writer at once (no coroutine): the intake queues an order in the
        caller's turn of the loop and awaits, or chains on, the future.
        """
        return self.orders.submit(order, fp, received_at)

    async def rehearse(self, order: dict[str, Any], fp: str, received_at: str) -> SubmitResult:
        """`submit`'s insert, read back and rolled back: nothing committed, nothing fanned out."""
        try:
            await self.orders.rehearse(order, fp, received_at)
        except Rehearsed as done:
            return done.result
        raise RuntimeError("rehearsal committed")  # pragma: no cover - rehearse always raises

    async def update_status(self, key: str, requested: str, *, reason: str | None,
                            by: str | None, now: str) -> UpdateResult:
        """Apply a status change through the status machine; unchanged status is a no-op."""
        return await self.orders.update_status(key, requested, reason=reason, by=by, now=now)

    async def acknowledge(self, key: str, client_id: str) -> AckResult:
        """Record that a kitchen client saw an order (not a change-feed entry: no rev bump)."""
        return await self.orders.acknowledge(key, client_id)

    async def set_cursor(self, sink: str, rev: int) -> None:
        """Durably record that `sink` confirmed everything up to `rev` (never moves back)."""
        await self.cursors.set_cursor(sink, rev)

    async def set_meta(self, key: str, value: str) -> None:
        """Store one meta fact."""
        await self.cursors.set_meta(key, value)

    async def set_metas(self, facts: Mapping[str, str]) -> None:
        """Store several meta facts in one write: all of them, or none."""
        await self.cursors.set_metas(facts)

    async def apply_menu(self, kind: str, items: Iterable[dict[str, Any]],
                         deleted: Iterable[Any], version: int) -> None:
        """Cache a page of master data from central at `version`."""
        await self.menu.apply_menu(kind, items, deleted, version)

    async def purge(self, before_iso: str, sinks: Iterable[str]) -> int:
        """Delete orders last touched before `before_iso` that every active sink has confirmed."""
        return await self.retention.purge(before_iso, sinks)

    async def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file, without blocking the writer."""
        if self.committed_rev == self._checkpointed_rev:
            return
        rev = self.committed_rev
        # The PRAGMA answers a row: fetch it before the connection goes back to the pool, or
        # its open statement stops the next reader's COMMIT until the loop drops the result.
        await self._run_reader(
            lambda conn: conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all())
        self._checkpointed_rev = rev
        self._checkpoint_behind = True

    def _finish_checkpoint(self, conn: Connection) -> None:
        """In the writer thread between batches: fold in the frames committed while the
        background checkpoint ran, so the next commit starts the WAL over from its start.

        SQLite rewinds the WAL only when a write transaction begins with every frame
        already copied; under steady load a commit always lands while the background
        checkpoint runs, so the WAL never rewound and grew by every commit's pages (69 MB
        after 2,000 orders): each commit then wrote to newly allocated blocks and its
        fdatasync also wrote the inode. Here no commit can interleave; the bulk of the
        copying stays in the background checkpoint, this one copies what is left (its two
        fsyncs, once per background checkpoint, delay at most the batch queued behind it).
        The flag is a plain bool shared with the loop: a set that races the clear only
        moves this work to the next batch.
        """
        if self._checkpoint_behind:
            self._checkpoint_behind = False
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    # -- reads (reader threads, WAL snapshot per call) -------------------------------------
    def read_now(self, fn: Callable[[Connection], T]) -> T:
        """Run a small read on the loop thread, on its own connection, in one snapshot.

        For reads that touch a handful of indexed rows (a kitchen's poll): handing them to
        a reader thread costs more than the query itself. Never for unbounded reads.
        """
        if self._loop_reader is None:
            self._loop_reader = self.engine.connect()
        conn = self._loop_reader
        try:
            return _in_snapshot(conn, fn)
        except Exception as exc:
            if is_database_failure(exc):     # reopened next time, like the writer's
                self._loop_reader = None
                conn.invalidate()
                conn.close()
            raise

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` with a reader connection inside one read transaction (a consistent snapshot)."""
        return await self._run_reader(partial(_in_snapshot, fn=fn))

    async def _run_reader(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.engine.connect() as conn:
                try:
                    return fn(conn)
                except Exception as exc:
                    # A pooled connection opened while the file was read-only stays so:
                    # drop it rather than let a checkpoint fail on it for ever.
                    if is_database_failure(exc):
                        conn.invalidate()
                    raise

        assert self._loop is not None
        return await self._loop.run_in_executor(self._readers, run)

    # -- queries, kept here so `OrderStore.cursor` etc. keep working -----------------------
    _find = staticmethod(_orders.find)
    rows_since_rev = staticmethod(_orders.rows_since_rev)
    rows_since_id = staticmethod(_orders.rows_since_id)
    orders_since_rev = staticmethod(_orders.orders_since_rev)
    orders_since_id = staticmethod(_orders.orders_since_id)
    orders_since_id_at = staticmethod(_orders.orders_since_id_at)
    order_by_key = staticmethod(_orders.order_by_key)
    changes_after = staticmethod(_orders.changes_after)
    cursor = staticmethod(_cursors.cursor)
    backlog = staticmethod(_cursors.backlog)
    get_meta = staticmethod(_cursors.get_meta)
    menu_since = staticmethod(_menu.menu_since)


def _in_snapshot(conn: Connection, fn: Callable[[Connection], T]) -> T:
    conn.exec_driver_sql("BEGIN")
    try:
        return fn(conn)
    finally:
        conn.exec_driver_sql("COMMIT")
