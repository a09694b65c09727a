"""One writer thread doing group commits: what makes "acknowledged means durable" cheap.

Why a single writer: SQLite serialises writers anyway, and committing a batch of writes in
one transaction costs one fsync instead of one per write (measured here: ~5.5k commits/s
one by one vs 29-65k orders/s grouped). A caller's future resolves only after its batch is
committed with `synchronous=FULL` (see `engine.py`). Each operation runs inside its own
SAVEPOINT (alone in its batch: inside the transaction, rolled back with it), so one bad
request never spoils the others sharing its batch.

The writer knows nothing about orders. An operation is `fn(conn, effects) -> result`: it
writes through `conn` and may append *effects* (for the store: change-feed entries) that
are handed, after COMMIT and on the event loop, to `on_commit` before any future resolves.
An operation rolled back alone takes its effects with it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)
T = TypeVar("T")
E = TypeVar("E")

MAX_BATCH = 512              # bounds one transaction (and the latency of its last member)
CLOSE_WAIT_SECONDS = 30.0    # close() waits this long for queued work before failing the rest

# SQLite primary result codes that mean the *database* failed, not the operation: after
# one of these SQLite may already have rolled the transaction back ("If any of these errors
# occur, SQLite may automatically roll back the whole transaction" — SQLite docs on
# BUSY/FULL/IOERR/NOMEM), so the batch fails as a whole and the connection is reopened.
_DATABASE_FAILURES = frozenset({
    5,    # SQLITE_BUSY: another process held the lock past busy_timeout
    6,    # SQLITE_LOCKED
    7,    # SQLITE_NOMEM
    8,    # SQLITE_READONLY: the file (or the descriptor SQLite opened) is read-only
    10,   # SQLITE_IOERR
    11,   # SQLITE_CORRUPT
    13,   # SQLITE_FULL: disk (or max_page_count) full
    14,   # SQLITE_CANTOPEN
    15,   # SQLITE_PROTOCOL
    26,   # SQLITE_NOTADB
})


class StoreUnavailable(Exception):
    """The database could not commit; the caller must not ack."""


@dataclass
class CommitStats:
    """How long one batch took from BEGIN to COMMIT (or failure), and how many operations."""

    seconds: float
    batch: int


def is_database_failure(exc: BaseException) -> bool:
    """True when `exc` is SQLite saying the file or the connection failed (I/O, full, read-only…)."""
    orig = getattr(exc, "orig", None) or exc        # SQLAlchemy wraps the sqlite3 error
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and (code & 0xFF) in _DATABASE_FAILURES


def describe(exc: BaseException) -> str:
    """SQLite's own words, one bounded line (without SQLAlchemy's statement and parameters)."""
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:200] or type(orig).__name__


class _Op:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[Connection, list[Any]], Any],
                 future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.future = future


_Result = tuple[_Op, Any, BaseException | None]


class GroupCommitWriter(Generic[E]):
    """Queued writes committed by one thread, one transaction per batch, one SAVEPOINT per op
    (a batch of one: the transaction is the op's savepoint).

    Hooks (all optional): `on_open(conn)` runs on every new writer connection (at start and
    after a failure), `on_rollback(conn)` after an operation failed unexpectedly and was
    rolled back alone (inside the transaction; after it, for a batch of one),
    `on_commit(effects, stats)` on the loop after each batch, before its futures resolve,
    `after_batch(conn)` in the thread, outside any transaction, after each batch (upkeep
    that must not interleave with commits; it must be cheap when it has nothing to do; its
    failure is logged and fails nobody).
    `expected` are the exception types an operation raises to refuse a request (passed to
    the caller as they are, not logged).
    """

    def __init__(self, engine: Engine, *, expected: tuple[type[Exception], ...] = (),
                 on_open: Callable[[Connection], None] | None = None,
                 on_rollback: Callable[[Connection], None] | None = None,
                 on_commit: Callable[[list[E], CommitStats], None] | None = None,
                 after_batch: Callable[[Connection], None] | None = None,
                 max_batch: int = MAX_BATCH, name: str = "hub-db-writer") -> None:
        self.engine = engine
        self.expected = expected
        self.on_open = on_open
        self.on_rollback = on_rollback
        self.on_commit = on_commit
        self.after_batch = after_batch
        self.max_batch = max_batch
        self.name = name
        self.healthy = True
        self.last_error: str | None = None   # why the last batch failed, for /health
        self.reopened = 0                    # connections opened after a failure
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._conn: Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open the connection now (a database that cannot open fails the start) and start the thread."""
        self._loop = loop
        self._conn = self._open()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    async def close(self) -> None:
        """Commit everything queued so far, fail what could not be, then close the connection.

        No future is left pending: operations queued before `close` are committed (or fail
        as their batch does); any still queued after the thread stopped fail with
        StoreUnavailable; `submit` after `close` raises StoreUnavailable.
        """
        self._closing = True
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join, CLOSE_WAIT_SECONDS)
            if self._thread.is_alive():
                log.error("writer still busy after %.0f s; failing what is queued",
                          CLOSE_WAIT_SECONDS)
            else:
                self._thread = None
        await asyncio.sleep(0)               # let the last batch's deliveries run first
        self._fail_queued(StoreUnavailable("store is closed"))
        if self._thread is None and self._conn is not None:
            try:
                # A cleanly stopped hub leaves no WAL behind.
                self._conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # a failed final checkpoint loses nothing: the WAL is kept
                log.exception("final checkpoint failed")
            self._conn.close()
            self._conn = None

    def _fail_queued(self, err: StoreUnavailable) -> None:
        while True:
            try:
                op = self._queue.get_nowait()
            except queue.Empty:
                return
            if op is not None and not op.future.done():
                op.future.set_exception(err)

    def submit(self, fn: Callable[[Connection, list[E]], T]) -> asyncio.Future[T]:
        """Queue `fn(conn, effects)`; the future resolves on the loop after its batch's COMMIT."""
        if self._loop is None:
            raise RuntimeError("writer not started")
        if self._closing:
            raise StoreUnavailable("store is closed")
        fut: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Op(fn, fut))
        return fut

    # -- the thread ------------------------------------------------------------------------
    def _open(self) -> Connection:
        conn = self.engine.connect()
        try:
            if self.on_open is not None:
                self.on_open(conn)
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        return conn

    def _discard_connection(self) -> None:
        """Drop the connection so the next batch opens a fresh one.

        SQLite keeps the descriptor it opened: one opened while the file was read-only stays
        read-only after the file is writable again, and one that hit an I/O error may hold
        a stale view. A new connection per failure (never per batch) costs nothing on the
        hot path and lets the hub recover without a restart.
        """
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.invalidate()     # closes the DB-API connection (rolling back) and unpools it
            conn.close()
        except Exception:
            log.exception("could not close the failed writer connection")

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit_batch(batch)
            if self.after_batch is not None and self._conn is not None:
                try:
                    self.after_batch(self._conn)
                except Exception:  # upkeep only: the next batch decides whether the file failed
                    log.exception("writer upkeep failed")

    def _commit_batch(self, batch: list[_Op]) -> None:
        started = time.perf_counter()
        effects: list[E] = []
        try:
            if self._conn is None:
                self._conn = self._open()
                self.reopened += 1
                log.warning("writer connection reopened after a failure")
            results = self._run_transaction(self._conn, batch, effects)
            self.healthy, self.last_error = True, None
        except Exception as exc:  # the whole batch: never acked, the thread carries on
            log.exception("commit failed; %d operations not acknowledged", len(batch))
            self.healthy, self.last_error = False, describe(exc)
            self._discard_connection()
            err = StoreUnavailable(f"database commit failed: {self.last_error}")
            results = [(op, None, err) for op in batch]
            effects = []
        stats = CommitStats(time.perf_counter() - started, len(batch))
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._deliver, results, effects, stats)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.error("event loop closed; %d results not delivered", len(results))

    def _run_transaction(self, conn: Connection, batch: list[_Op],
                         effects: list[E]) -> list[_Result]:
        # Transaction control straight on the DB-API connection: through SQLAlchemy's
        # execution machinery these statements cost more CPU than the order's own SQL.
        tx = conn.connection.driver_connection.execute  # type: ignore[union-attr]
        tx("BEGIN IMMEDIATE")
        if len(batch) == 1:
            # Most commits below ~1,000 orders/s carry one operation: its transaction is
            # its savepoint, two statements (and two GIL hand-offs) fewer per commit.
            result = self._run_op(conn, batch[0], effects, lambda: tx("ROLLBACK"))
            if result[2] is None:
                tx("COMMIT")
            return [result]

        def undo() -> None:
            tx("ROLLBACK TO op")
            tx("RELEASE op")

        results: list[_Result] = []
        for op in batch:
            tx("SAVEPOINT op")
            results.append(self._run_op(conn, op, effects, undo))
            if results[-1][2] is None:
                tx("RELEASE op")
        tx("COMMIT")
        return results

    def _run_op(self, conn: Connection, op: _Op, effects: list[E],
                undo: Callable[[], object]) -> _Result:
        """Run one operation; on refusal or failure `undo` its writes and drop its effects."""
        mark = len(effects)
        try:
            return (op, op.fn(conn, effects), None)
        except self.expected as exc:
            undo()
            del effects[mark:]
            return (op, None, exc)
        except Exception as exc:
            if is_database_failure(exc):
                raise                         # the file failed, not this op: the batch fails
            log.exception("store operation failed; rolled back alone")
            undo()                            # a bug or a broken row must not poison the batch
            del effects[mark:]
            if self.on_rollback is not None:
                self.on_rollback(conn)
            return (op, None, StoreUnavailable(str(exc)))

    # -- back on the loop ------------------------------------------------------------------
    def _deliver(self, results: list[_Result], effects: list[E], stats: CommitStats) -> None:
        if self.on_commit is not None:
            try:
                self.on_commit(effects, stats)
            except Exception:  # a broken observer must not stop acks
                log.exception("commit hook failed")
        for op, result, err in results:
            if op.future.done():
                continue
            if err is not None:
                op.future.set_exception(err)
            else:
                op.future.set_result(result)
