"""The heartbeat writer over a real FleetStore (SQLite): answered only after the commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from central.core import credentials, fleet
from central.core.heartbeats import Beat, BeatQueue, Outcome
from central.heartbeat_writer import HeartbeatWriter
from central.store import database
from central.store.fleet import FleetStore
from central.store.schema import hubs
from outlet_protocol.errors import ProtocolError


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[FleetStore, str]:
    engine = database.make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    database.migrate(engine)
    store = FleetStore(engine, offline_after=45.0)
    outlet = store.create_outlet({"name": "Stall"}, None, 1.0)["id"]
    enrollment, _ = store.create_enrollment_token(outlet, 1.0, 600)
    token, _ = store.register(fleet.parse_registration(
        {"hub_id": "hub-w", "outlet_id": outlet}), enrollment, None, 1.0)
    assert token is not None
    return store, token


def last_seen(store: FleetStore) -> float | None:
    with store.engine.connect() as conn:
        value = conn.execute(select(hubs.c.last_seen).where(hubs.c.hub_id == "hub-w")).scalar()
    return None if value is None else float(value)


async def test_heartbeat_is_answered_only_after_its_batch_commits(
        enrolled: tuple[FleetStore, str]) -> None:
    store, token = enrolled
    gate = threading.Event()

    def gated(beats: Sequence[Beat]) -> list[Outcome]:
        gate.wait(10)
        return store.write_heartbeats(beats)

    writer = HeartbeatWriter(gated, lambda: 7)
    task = asyncio.create_task(writer.run())
    answers = [asyncio.create_task(writer.submit(
        Beat(credentials.digest(token), fleet.parse_heartbeat({"kitchens_connected": n}), 500.0 + n)))
        for n in range(3)]
    await asyncio.sleep(0.05)
    assert not any(a.done() for a in answers)
    assert last_seen(store) != 502.0
    gate.set()
    results = await asyncio.gather(*answers)
    assert last_seen(store) == 502.0            # committed before the first answer resolved
    assert [(o.hub_id, v) for o, v in results] == [("hub-w", 7)] * 3
    task.cancel()


async def test_failed_write_answers_unavailable_and_raises_for_the_supervisor(
        enrolled: tuple[FleetStore, str]) -> None:
    store, token = enrolled
    store.engine.dispose()

    def broken(beats: Sequence[Beat]) -> list[Outcome]:
        raise OSError("disk on fire")

    writer = HeartbeatWriter(broken, lambda: 1)
    task = asyncio.create_task(writer.run())
    with pytest.raises(ProtocolError) as refused:
        await writer.submit(Beat(credentials.digest(token), fleet.parse_heartbeat({}), 1.0))
    assert refused.value.code == "unavailable"
    with pytest.raises(OSError):
        await task


async def test_full_queue_refuses_instead_of_holding_more(
        enrolled: tuple[FleetStore, str]) -> None:
    _, token = enrolled
    queue: BeatQueue[asyncio.Future[tuple[Outcome, int]]] = BeatQueue(max_pending=1)
    writer = HeartbeatWriter(lambda beats: [], lambda: 1, queue=queue)
    first = asyncio.create_task(writer.submit(
        Beat(credentials.digest(token), fleet.parse_heartbeat({}), 1.0)))
    while not len(queue):
        await asyncio.sleep(0.001)
    with pytest.raises(ProtocolError) as refused:
        await asyncio.wait_for(writer.submit(
            Beat(credentials.digest(token), fleet.parse_heartbeat({}), 2.0)), 5)
    assert refused.value.code == "unavailable"
    writer.fail_pending()
    with pytest.raises(ProtocolError):
        await first
