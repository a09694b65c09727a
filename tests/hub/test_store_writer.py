"""The group-commit writer on its own, with fake operations on a real SQLite file.

It knows nothing about orders: an operation here inserts a row into a scratch table. What
is checked is the contract the hub's "acknowledged means durable" rests on: one commit per
batch, a failing operation fails alone, a failing database fails the batch (never acked)
and the writer carries on, and close leaves no future pending.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Connection, text

from hub.store import GroupCommitWriter, StoreUnavailable
from hub.store.engine import make_engine
from hub.store.writer import CommitStats
from outlet_protocol.errors import ProtocolError

Op = Callable[[Connection, list[str]], Any]


class Harness:
    """A writer over `scratch(v TEXT UNIQUE)` that records each commit as the loop sees it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = make_engine(path)
        with self.engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (v TEXT PRIMARY KEY)")
        self.commits: list[tuple[int, list[str], list[str]]] = []  # batch, effects, rows then
        self.writer: GroupCommitWriter[str] = GroupCommitWriter(
            self.engine, expected=(ProtocolError,), on_commit=self._committed)
        self.gate = threading.Event()
        self.holding = threading.Event()

    def _committed(self, effects: list[str], stats: CommitStats) -> None:
        self.commits.append((stats.batch, list(effects), self.rows()))

    def rows(self) -> list[str]:
        """What another process would read from the file now (committed rows only)."""
        conn = sqlite3.connect(self.path)
        try:
            return sorted(r[0] for r in conn.execute("SELECT v FROM scratch"))
        finally:
            conn.close()

    async def hold(self) -> asyncio.Future[None]:
        """Keep the writer busy (inside a batch of its own) until `gate` is set, so the next
        operations queue up behind it."""

        def op(_conn: Connection, _effects: list[str]) -> None:
            self.holding.set()
            assert self.gate.wait(30), "test never released the writer"

        fut = self.writer.submit(op)
        assert await asyncio.to_thread(self.holding.wait, 30)
        return fut


def insert(value: str) -> Op:
    def op(conn: Connection, effects: list[str]) -> str:
        conn.execute(text("INSERT INTO scratch(v) VALUES (:v)"), {"v": value})
        effects.append(value)
        return value
    return op


def refuse(value: str) -> Op:
    """Writes, then refuses the request (the store's `conflict`): must leave no trace."""
    def op(conn: Connection, effects: list[str]) -> None:
        insert(value)(conn, effects)
        raise ProtocolError("conflict", "refused on purpose", "v")
    return op


def crash(value: str) -> Op:
    """Writes, then hits a bug: must leave no trace and spoil nothing else."""
    def op(conn: Connection, effects: list[str]) -> None:
        insert(value)(conn, effects)
        raise ValueError("a bug in one operation")
    return op


@pytest_asyncio.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path / "writer.sqlite3")
    h.writer.start(asyncio.get_running_loop())
    yield h
    h.gate.set()
    await h.writer.close()
    h.engine.dispose()


async def test_ops_queued_together_commit_in_one_transaction_and_resolve_after_commit(
        harness: Harness) -> None:
    held = await harness.hold()
    futures = [harness.writer.submit(insert(f"v{i}")) for i in range(20)]
    await asyncio.sleep(0.05)
    assert not any(f.done() for f in futures)
    assert harness.rows() == []
    harness.gate.set()
    assert await asyncio.gather(*futures) == [f"v{i}" for i in range(20)]
    await held
    # One commit for the 20 (after the one that held the writer), and the hook saw them in the
    # file already: answers and fan-out come only after COMMIT.
    assert [batch for batch, _, _ in harness.commits] == [1, 20]
    _, effects, rows_at_commit = harness.commits[1]
    assert effects == [f"v{i}" for i in range(20)]
    assert rows_at_commit == sorted(f"v{i}" for i in range(20))


async def test_a_failing_op_fails_alone_and_the_rest_of_its_batch_commits(
        harness: Harness) -> None:
    held = await harness.hold()
    ok_before = harness.writer.submit(insert("a"))
    refused = harness.writer.submit(refuse("b"))
    broken = harness.writer.submit(crash("c"))
    ok_after = harness.writer.submit(insert("d"))
    harness.gate.set()
    await held
    assert await ok_before == "a" and await ok_after == "d"
    with pytest.raises(ProtocolError):
        await refused                                # a refusal reaches the caller as it is
    with pytest.raises(StoreUnavailable):
        await broken                                 # a bug is "could not store", not an ack
    assert harness.rows() == ["a", "d"]              # the failed ops' rows rolled back
    assert harness.commits[-1][:2] == (4, ["a", "d"])  # one batch; their effects dropped too
    assert harness.writer.healthy


async def test_an_op_alone_in_its_batch_fails_alone_too(harness: Harness) -> None:
    """A batch of one runs without a savepoint: its transaction is the op's, and a refusal
    or a bug must still leave no trace and the writer ready for the next one."""
    rolled_back: list[int] = []
    harness.writer.on_rollback = lambda conn: rolled_back.append(
        conn.exec_driver_sql("SELECT count(*) FROM scratch").scalar())
    assert await harness.writer.submit(insert("a")) == "a"
    with pytest.raises(ProtocolError):
        await harness.writer.submit(refuse("b"))
    with pytest.raises(StoreUnavailable):
        await harness.writer.submit(crash("c"))
    assert rolled_back == [1]                        # the hook saw c's row gone, a's kept
    assert await harness.writer.submit(insert("d")) == "d"
    assert harness.rows() == ["a", "d"]
    assert [(batch, effects) for batch, effects, _ in harness.commits] == [
        (1, ["a"]), (1, []), (1, []), (1, ["d"])]    # refused and broken: no effects
    assert harness.writer.healthy

    statements: list[str] = []

    def trace(conn: Connection, _effects: list[str]) -> None:
        conn.connection.driver_connection.set_trace_callback(statements.append)  # type: ignore[union-attr]

    await harness.writer.submit(trace)
    await harness.writer.submit(insert("e"))
    # What a commit of one op costs in statements: BEGIN, the op's own, COMMIT.
    assert [s.split()[0] for s in statements[:4]] == ["COMMIT", "BEGIN", "INSERT", "COMMIT"]


async def test_a_database_failure_fails_the_whole_batch_and_the_writer_carries_on(
        harness: Harness) -> None:
    def fill_up(conn: Connection, _effects: list[str]) -> None:
        # A real SQLITE_FULL: cap the file at its size, then write a page more.
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages}")
        conn.execute(text("INSERT INTO scratch(v) VALUES (:v)"), {"v": "x" * 100_000})

    held = await harness.hold()
    before = harness.writer.submit(insert("before"))
    full = harness.writer.submit(fill_up)
    after = harness.writer.submit(insert("after"))
    harness.gate.set()
    await held
    for fut in (before, full, after):               # nobody in the batch is acked
        with pytest.raises(StoreUnavailable, match="full"):
            await fut
    assert harness.rows() == []
    assert not harness.writer.healthy and "full" in (harness.writer.last_error or "")
    assert await harness.writer.submit(insert("later")) == "later"
    assert harness.rows() == ["later"] and harness.writer.healthy
    assert harness.writer.last_error is None


async def test_a_connection_that_cannot_write_is_replaced_before_the_next_batch(
        harness: Harness) -> None:
    """SQLite keeps the descriptor it opened: a connection opened while the file was
    read-only answers "attempt to write a readonly database" for ever. The writer must drop
    it after the failure, so writes work again once the file is writable, with no restart."""

    def lose_write_access(conn: Connection, _effects: list[str]) -> None:
        conn.exec_driver_sql("PRAGMA query_only=1")  # this connection can no longer write

    await harness.writer.submit(lose_write_access)
    with pytest.raises(StoreUnavailable, match="readonly"):
        await harness.writer.submit(insert("first"))    # refused, never acked
    assert not harness.writer.healthy and harness.writer.reopened == 0
    assert await harness.writer.submit(insert("second")) == "second"
    assert harness.writer.reopened == 1
    assert harness.rows() == ["second"] and harness.writer.healthy


async def test_close_with_work_queued_resolves_every_future(tmp_path: Path) -> None:
    h = Harness(tmp_path / "writer.sqlite3")
    h.writer.start(asyncio.get_running_loop())
    held = await h.hold()
    queued = [h.writer.submit(insert(f"q{i}")) for i in range(50)]
    queued.append(h.writer.submit(refuse("refused")))
    closing = asyncio.create_task(h.writer.close())
    await asyncio.sleep(0.05)
    with pytest.raises(StoreUnavailable, match="closed"):
        h.writer.submit(insert("too late"))         # refused at once, never left pending
    h.gate.set()
    await asyncio.wait_for(closing, 30)
    assert held.done() and all(f.done() for f in queued)
    assert [f.result() for f in queued[:50]] == [f"q{i}" for i in range(50)]
    assert isinstance(queued[50].exception(), ProtocolError)
    assert h.rows() == sorted(f"q{i}" for i in range(50))
    h.engine.dispose()


async def test_close_fails_what_the_writer_never_took(tmp_path: Path) -> None:
    """Work queued behind a stopped writer (it died or never ran) fails; nothing hangs."""
    h = Harness(tmp_path / "writer.sqlite3")
    h.writer.start(asyncio.get_running_loop())
    h.writer._queue.put(None)                       # the thread stops before the next ops
    await asyncio.sleep(0.05)
    stranded = [h.writer.submit(insert(f"s{i}")) for i in range(3)]
    await asyncio.wait_for(h.writer.close(), 30)
    for fut in stranded:
        with pytest.raises(StoreUnavailable, match="closed"):
            await asyncio.wait_for(fut, 10)          # resolved, not left hanging
    assert h.rows() == []
    h.engine.dispose()
