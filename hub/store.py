"""SQLite, the truth for orders: one writer thread doing group commits, readers on the side.

Why a single writer: SQLite serialises writers anyway, and committing a batch of orders
in one transaction costs one fsync instead of one per order (measured here: ~5.5k
commits/s one by one vs 29-65k orders/s grouped). A caller's future resolves only after
its batch is committed with `synchronous=FULL` — the "acknowledged means durable" rule.
Each operation runs inside its own SAVEPOINT, so one bad request never spoils the others
sharing its batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, func, select, text
from sqlalchemy.pool import QueuePool

from hub.schema import cursors, events, menu, meta, orders
from outlet_protocol.errors import ProtocolError
from outlet_protocol.orders import next_status

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 512
MIGRATIONS = Path(__file__).parent / "migrations"

# Hot-path statements built once: building a Core statement per call (.values(), .where())
# cost ~0.5 ms of CPU per order in cache-key generation; executing a prebuilt one is cheap.
_BY_UUID = select(orders).where(orders.c.uuid == bindparam("key"))
_BY_NUMBER = (select(orders).where(orders.c.order_number == bindparam("key"))
              .order_by(orders.c.id.desc()).limit(1))
_INSERT_ORDER = orders.insert()
_INSERT_EVENT = events.insert()
_SET_STATUS = (orders.update().where(orders.c.id == bindparam("oid"))
               .values(status=bindparam("new_status"), rev=bindparam("new_rev"),
                       updated_at=bindparam("at"), updated_by=bindparam("who")))
_SET_ACKED = (orders.update().where(orders.c.id == bindparam("oid"))
              .values(acknowledged_by=bindparam("acked")))
_TENANT_MATCH = orders.c.tenant_id.in_(bindparam("tenants", expanding=True)) | orders.c.tenant_id.is_(None)
_SINCE_REV = select(orders).where(orders.c.rev > bindparam("since")).order_by(orders.c.rev)
_SINCE_REV_T = _SINCE_REV.where(_TENANT_MATCH)
_SINCE_ID = select(orders).where(orders.c.id > bindparam("since")).order_by(orders.c.id)
_SINCE_ID_T = _SINCE_ID.where(_TENANT_MATCH)


class StoreUnavailable(Exception):
    """The database could not commit; the caller must not ack."""


@dataclass(frozen=True)
class Change:
    """One entry of the change feed, with the order's state right after it."""

    rev: int
    kind: str                    # "created" | "status"
    order: dict[str, Any]
    from_status: str | None
    by: str | None
    at: str


@dataclass(frozen=True)
class SubmitResult:
    order: dict[str, Any]
    duplicate: bool


@dataclass(frozen=True)
class UpdateResult:
    order: dict[str, Any]
    changed: bool
    from_status: str


@dataclass(frozen=True)
class AckResult:
    order: dict[str, Any]
    first: bool                  # this client had not acknowledged it before


@dataclass
class CommitStats:
    seconds: float
    batch: int


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(path: Path) -> Engine:
    """An engine whose connections run WAL + synchronous=FULL and leave BEGIN/COMMIT to us."""
    engine = create_engine(f"sqlite:///{path}", isolation_level="AUTOCOMMIT",
                           poolclass=QueuePool, pool_size=4, max_overflow=4,
                           connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    return engine


def migrate(path: Path) -> None:
    """Bring the database at `path` to the newest schema (alembic upgrade head)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _on_connect)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()


def row_to_order(row: Any) -> dict[str, Any]:
    """Stored columns + canonical body → the order as clients see it."""
    order: dict[str, Any] = json.loads(row.body)
    order.update(id=row.id, rev=row.rev, created_rev=row.created_rev, status=row.status,
                 received_at=row.received_at, updated_at=row.updated_at,
                 acknowledged_by=json.loads(row.acknowledged_by))
    return order


def row_to_json(row: Any) -> str:
    """The same object as `row_to_order`, as JSON text, without decoding the stored body.

    Polling answers are mostly stored bodies; splicing the columns into the body's text
    instead of json.loads + json.dumps halves a poll's CPU. The body never holds these
    keys (`submit` strips `status`), so no key appears twice.
    """
    return (f'{row.body[:-1]},"id":{row.id},"rev":{row.rev},"created_rev":{row.created_rev},'
            f'"status":"{row.status}","received_at":"{row.received_at}",'
            f'"updated_at":"{row.updated_at}","acknowledged_by":{row.acknowledged_by}}}')


def _rows_after(conn: Connection, stmt: Any, since: int, tenant_ids: frozenset[int],
                limit: int) -> list[Any]:
    params: dict[str, Any] = {"since": since}
    if tenant_ids:
        params["tenants"] = sorted(tenant_ids)
    return list(conn.execute(stmt.limit(limit), params))


def _sequence(conn: Connection, table: str) -> int:
    seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table}).scalar()
    return int(seq or 0)


class _Op:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[Connection, list[Change]], Any],
                 future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.future = future


class OrderStore:
    """Orders, the change feed, outbox cursors, meta facts and the menu cache in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(path)
        self._queue: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hub-db-read")
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: Connection | None = None
        self._loop_reader: Connection | None = None
        self.listeners: list[Callable[[list[Change]], None]] = []
        self.commit_observers: list[Callable[[CommitStats], None]] = []
        self.last_rev = 0
        self.last_id = 0
        # Highest rev whose commit the loop has seen; `last_rev` runs ahead inside a batch.
        self.committed_rev = 0
        self._checkpointed_rev = -1
        self.healthy = True

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Open the writer connection and start the writer thread (schema must be migrated)."""
        self._loop = loop
        self._writer = self.engine.connect()
        # Checkpoints move off the commit path (see `checkpoint`): an automatic one inside
        # a commit copies and fsyncs the database file while a POS waits for its ack.
        self._writer.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        self._load_counters()
        self._thread = threading.Thread(target=self._run_writer, name="hub-db-writer", daemon=True)
        self._thread.start()

    def _load_counters(self) -> None:
        assert self._writer is not None
        self.last_rev = _sequence(self._writer, "events")
        self.last_id = _sequence(self._writer, "orders")
        self.committed_rev = max(self.committed_rev, self.last_rev)

    async def close(self) -> None:
        """Finish every queued write, then close connections."""
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join, 30)
            self._thread = None
        if self._writer is not None:
            try:
                self._writer.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # a failed final checkpoint loses nothing: the WAL is kept
                log.exception("final checkpoint failed")
            self._writer.close()
            self._writer = None
        if self._loop_reader is not None:
            self._loop_reader.close()
            self._loop_reader = None
        self._readers.shutdown(wait=True)
        self.engine.dispose()

    # -- the writer ------------------------------------------------------------------------
    def _run_writer(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Op]) -> None:
        conn = self._writer
        assert conn is not None and self._loop is not None
        results: list[tuple[_Op, Any, BaseException | None]] = []
        changes: list[Change] = []
        started = time.perf_counter()
        # Transaction control straight on the DB-API connection: through SQLAlchemy's
        # execution machinery these five statements cost more CPU than the order's own SQL.
        tx = conn.connection.driver_connection.execute  # type: ignore[union-attr]
        try:
            tx("BEGIN IMMEDIATE")
            for op in batch:
                tx("SAVEPOINT op")
                mark = len(changes)
                try:
                    results.append((op, op.fn(conn, changes), None))
                    tx("RELEASE op")
                except ProtocolError as exc:
                    tx("ROLLBACK TO op")
                    tx("RELEASE op")
                    del changes[mark:]
                    results.append((op, None, exc))
                except Exception as exc:  # a bug or a broken row must not poison the batch
                    log.exception("store operation failed; rolled back alone")
                    tx("ROLLBACK TO op")
                    tx("RELEASE op")
                    del changes[mark:]
                    self._load_counters_in_txn(conn)
                    results.append((op, None, StoreUnavailable(str(exc))))
            tx("COMMIT")
            self.healthy = True
        except Exception as exc:
            log.exception("commit failed; %d operations not acknowledged", len(batch))
            self.healthy = False
            try:
                conn.exec_driver_sql("ROLLBACK")
            except Exception:  # the connection itself may be gone
                log.exception("rollback failed")
            try:
                self._load_counters()
            except Exception:
                log.exception("could not reload counters")
            err = StoreUnavailable(f"database commit failed: {exc}")
            results = [(op, None, err) for op in batch]
            changes = []
        stats = CommitStats(time.perf_counter() - started, len(batch))
        self._loop.call_soon_threadsafe(self._deliver, results, changes, stats)

    def _load_counters_in_txn(self, conn: Connection) -> None:
        self.last_rev = max(self.last_rev, _sequence(conn, "events"))
        self.last_id = max(self.last_id, _sequence(conn, "orders"))

    def _deliver(self, results: list[tuple[_Op, Any, BaseException | None]],
                 changes: list[Change], stats: CommitStats) -> None:
        for observer in self.commit_observers:
            observer(stats)
        if changes:
            self.committed_rev = max(self.committed_rev, changes[-1].rev)
            for listener in self.listeners:
                try:
                    listener(changes)
                except Exception:  # a broken listener must not stop acks
                    log.exception("change listener failed")
        for op, result, err in results:
            if op.future.done():
                continue
            if err is not None:
                op.future.set_exception(err)
            else:
                op.future.set_result(result)

    def _submit_op(self, fn: Callable[[Connection, list[Change]], T]) -> asyncio.Future[T]:
        assert self._loop is not None, "store not started"
        if self._thread is None:
            raise StoreUnavailable("store is closed")
        fut: asyncio.Future[T] = self._loop.create_future()
        self._queue.put(_Op(fn, fut))
        return fut

    # -- writes ----------------------------------------------------------------------------
    @staticmethod
    def _find(conn: Connection, key: str) -> Any:
        row = conn.execute(_BY_UUID, {"key": key}).first()
        if row is None:
            row = conn.execute(_BY_NUMBER, {"key": key}).first()
        return row

    async def submit(self, order: dict[str, Any], fp: str, received_at: str) -> SubmitResult:
        """Store a validated order once; a retry gets the stored result, other content a conflict."""

        def op(conn: Connection, changes: list[Change]) -> SubmitResult:
            row = conn.execute(_BY_UUID, {"key": order["uuid"]}).first()
            if row is not None:
                if row.fingerprint == fp:
                    return SubmitResult(row_to_order(row), duplicate=True)
                raise ProtocolError("conflict", "this uuid was already used for a different order",
                                    "uuid")
            oid, rev = self.last_id + 1, self.last_rev + 1
            body = json.dumps({k: v for k, v in order.items() if k != "status"},
                              separators=(",", ":"), ensure_ascii=False)
            conn.execute(_INSERT_ORDER, {
                "id": oid, "uuid": order["uuid"], "order_number": order["order_number"],
                "outlet_id": order["outlet_id"], "tenant_id": order["tenant_id"],
                "status": "pending", "source": order["source"], "body": body, "fingerprint": fp,
                "created_rev": rev, "rev": rev, "received_at": received_at,
                "updated_at": received_at, "updated_by": None, "acknowledged_by": "[]"})
            conn.execute(_INSERT_EVENT, {"rev": rev, "order_id": oid, "kind": "created",
                                         "status": "pending", "from_status": None,
                                         "at": received_at, "by": None, "reason": None})
            self.last_id, self.last_rev = oid, rev
            stored = dict(order, id=oid, rev=rev, created_rev=rev, status="pending",
                          received_at=received_at, updated_at=received_at, acknowledged_by=[])
            changes.append(Change(rev, "created", stored, None, order["source"], received_at))
            return SubmitResult(stored, duplicate=False)

        return await self._submit_op(op)

    async def update_status(self, key: str, requested: str, *, reason: str | None,
                            by: str | None, now: str) -> UpdateResult:
        """Apply a status change through the status machine; unchanged status is a no-op."""

        def op(conn: Connection, changes: list[Change]) -> UpdateResult:
            row = self._find(conn, key)
            if row is None:
                raise ProtocolError("not_found", f"no order {key}", "uuid")
            new = next_status(row.status, requested)
            if new == row.status:
                return UpdateResult(row_to_order(row), changed=False, from_status=row.status)
            rev = self.last_rev + 1
            conn.execute(_SET_STATUS, {"oid": row.id, "new_status": new, "new_rev": rev,
                                       "at": now, "who": by})
            conn.execute(_INSERT_EVENT, {"rev": rev, "order_id": row.id, "kind": "status",
                                         "status": new, "from_status": row.status, "at": now,
                                         "by": by, "reason": reason})
            self.last_rev = rev
            order = row_to_order(row)
            order.update(status=new, rev=rev, updated_at=now)
            changes.append(Change(rev, "status", order, row.status, by, now))
            return UpdateResult(order, changed=True, from_status=row.status)

        return await self._submit_op(op)

    async def acknowledge(self, key: str, client_id: str) -> AckResult:
        """Record that a kitchen client saw an order (not a change-feed entry: no rev bump)."""

        def op(conn: Connection, _changes: list[Change]) -> AckResult:
            row = self._find(conn, key)
            if row is None:
                raise ProtocolError("not_found", f"no order {key}", "uuid")
            acked: list[str] = json.loads(row.acknowledged_by)
            first = client_id not in acked
            if first and len(acked) < 50:
                acked.append(client_id)
                conn.execute(_SET_ACKED, {"oid": row.id, "acked": json.dumps(acked)})
            order = row_to_order(row)
            order["acknowledged_by"] = acked
            return AckResult(order, first)

        return await self._submit_op(op)

    async def set_cursor(self, sink: str, rev: int) -> None:
        """Durably record that `sink` confirmed everything up to `rev` (never moves back)."""

        def op(conn: Connection, _changes: list[Change]) -> None:
            current = conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
            if current is None:
                conn.execute(cursors.insert().values(sink=sink, rev=rev))
            elif rev > current:
                conn.execute(cursors.update().where(cursors.c.sink == sink).values(rev=rev))

        await self._submit_op(op)

    async def set_meta(self, key: str, value: str) -> None:
        def op(conn: Connection, _changes: list[Change]) -> None:
            conn.execute(text("INSERT INTO meta(key, value) VALUES (:k, :v) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
                         {"k": key, "v": value})

        await self._submit_op(op)

    async def apply_menu(self, kind: str, items: Iterable[dict[str, Any]],
                         deleted: Iterable[Any], version: int) -> None:
        """Cache a page of master data from central at `version`."""
        rows = [{"kind": kind, "item_id": str(it["id"]), "deleted": 0,
                 "version": it["version"] if isinstance(it.get("version"), int) else version,
                 "body": json.dumps(it, separators=(",", ":"), ensure_ascii=False)}
                for it in items]
        gone = [{"kind": kind, "item_id": str(i), "version": version, "deleted": 1, "body": "{}"}
                for i in deleted]

        def op(conn: Connection, _changes: list[Change]) -> None:
            stmt = text("INSERT INTO menu(kind, item_id, version, deleted, body) "
                        "VALUES (:kind, :item_id, :version, :deleted, :body) "
                        "ON CONFLICT(kind, item_id) DO UPDATE SET version = excluded.version, "
                        "deleted = excluded.deleted, body = excluded.body")
            if rows or gone:
                conn.execute(stmt, rows + gone)

        await self._submit_op(op)

    async def purge(self, before_iso: str, sinks: Iterable[str]) -> int:
        """Delete orders last touched before `before_iso` that every active sink has confirmed."""
        sink_list = list(sinks)

        def op(conn: Connection, _changes: list[Change]) -> int:
            floor = self.last_rev
            for sink in sink_list:
                cur = conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar()
                floor = min(floor, int(cur or 0))
            ids = [r[0] for r in conn.execute(select(orders.c.id).where(
                orders.c.updated_at < before_iso, orders.c.rev <= floor))]
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                conn.execute(events.delete().where(events.c.order_id.in_(chunk)))
                conn.execute(orders.delete().where(orders.c.id.in_(chunk)))
            return len(ids)

        return await self._submit_op(op)

    async def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file, without blocking the writer."""
        if self.committed_rev == self._checkpointed_rev:
            return
        rev = self.committed_rev

        def run() -> None:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

        assert self._loop is not None
        await self._loop.run_in_executor(self._readers, run)
        self._checkpointed_rev = rev

    # -- reads (reader threads, WAL snapshot per call) -------------------------------------
    def read_now(self, fn: Callable[[Connection], T]) -> T:
        """Run a small read on the loop thread, on its own connection, in one snapshot.

        For reads that touch a handful of indexed rows (a kitchen's poll): handing them to
        a reader thread costs more than the query itself. Never for unbounded reads.
        """
        if self._loop_reader is None:
            self._loop_reader = self.engine.connect()
        conn = self._loop_reader
        conn.exec_driver_sql("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.exec_driver_sql("COMMIT")

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` with a reader connection inside one read transaction (a consistent snapshot)."""

        def run() -> T:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("BEGIN")
                try:
                    return fn(conn)
                finally:
                    conn.exec_driver_sql("COMMIT")

        assert self._loop is not None
        return await self._loop.run_in_executor(self._readers, run)

    @staticmethod
    def rows_since_rev(conn: Connection, since_rev: int, tenant_ids: frozenset[int],
                       limit: int) -> list[Any]:
        """Rows of orders changed after `since_rev`, ascending by rev."""
        return _rows_after(conn, _SINCE_REV_T if tenant_ids else _SINCE_REV, since_rev,
                           tenant_ids, limit)

    @staticmethod
    def rows_since_id(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                      limit: int) -> list[Any]:
        """Rows of orders with `id > since_id`, ascending (the seed clients' polling)."""
        return _rows_after(conn, _SINCE_ID_T if tenant_ids else _SINCE_ID, since_id,
                           tenant_ids, limit)

    @staticmethod
    def orders_since_rev(conn: Connection, since_rev: int, tenant_ids: frozenset[int],
                         limit: int) -> tuple[list[dict[str, Any]], int]:
        """Orders changed after `since_rev` (ascending rev) and the feed position to resume from."""
        rows = [row_to_order(r) for r in OrderStore.rows_since_rev(conn, since_rev, tenant_ids,
                                                                   limit)]
        if len(rows) == limit:
            return rows, rows[-1]["rev"]
        return rows, max(_sequence(conn, "events"), since_rev)

    @staticmethod
    def orders_since_id(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                        limit: int) -> list[dict[str, Any]]:
        """Orders with `id > since_id`, ascending (the seed clients' polling)."""
        return [row_to_order(r) for r in OrderStore.rows_since_id(conn, since_id, tenant_ids,
                                                                  limit)]

    @staticmethod
    def orders_since_id_at(conn: Connection, since_id: int, tenant_ids: frozenset[int],
                           limit: int) -> tuple[list[dict[str, Any]], int]:
        """`orders_since_id` plus the feed position of the same snapshot."""
        return (OrderStore.orders_since_id(conn, since_id, tenant_ids, limit),
                _sequence(conn, "events"))

    @staticmethod
    def order_by_key(conn: Connection, key: str) -> dict[str, Any] | None:
        row = OrderStore._find(conn, key)
        return None if row is None else row_to_order(row)

    @staticmethod
    def changes_after(conn: Connection, rev: int, limit: int) -> list[Change]:
        """Change-feed entries after `rev`, each with the order as it was at that entry."""
        stmt = (select(events, orders.c.id.label("oid"), orders.c.body, orders.c.created_rev,
                       orders.c.received_at, orders.c.acknowledged_by)
                .join(orders, orders.c.id == events.c.order_id)
                .where(events.c.rev > rev).order_by(events.c.rev).limit(limit))
        out = []
        for r in conn.execute(stmt):
            order: dict[str, Any] = json.loads(r.body)
            order.update(id=r.oid, rev=r.rev, created_rev=r.created_rev, status=r.status,
                         received_at=r.received_at, updated_at=r.at,
                         acknowledged_by=json.loads(r.acknowledged_by))
            out.append(Change(r.rev, r.kind, order, r.from_status, r.by, r.at))
        return out

    @staticmethod
    def cursor(conn: Connection, sink: str) -> int:
        return int(conn.execute(select(cursors.c.rev).where(cursors.c.sink == sink)).scalar() or 0)

    @staticmethod
    def backlog(conn: Connection, sink: str) -> tuple[int, str | None]:
        """(entries pending for `sink`, timestamp of the oldest one)."""
        cur = OrderStore.cursor(conn, sink)
        count = conn.execute(select(func.count()).select_from(events)
                             .where(events.c.rev > cur)).scalar()
        oldest = conn.execute(select(events.c.at).where(events.c.rev > cur)
                              .order_by(events.c.rev).limit(1)).scalar()
        return int(count or 0), oldest

    @staticmethod
    def get_meta(conn: Connection, key: str) -> str | None:
        value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return None if value is None else str(value)

    @staticmethod
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
