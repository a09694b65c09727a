"""The central outbox never sleeps through a commit that landed while it was reading.

Found by two fresh-clone CI runs of 2026-12-02: a hub registered with a fake central at
once, acked five orders, and forwarded none of them in 30 s. The loop read the changes
after its cursor (a snapshot, in a thread), got none, and only then cleared its wake-up
event — clearing the very `set` of the commit its snapshot had missed — so it waited for
the next order, which at a quiet outlet may be hours away. Real store, real commits; the
link is a stand-in (central is not what is tested here).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hub.central_outbox import CentralOutbox
from hub.store import OrderStore, migrate
from outlet_protocol.orders import fingerprint, normalize_order
from tests.support.wsclient import make_order

NOW = "2026-12-02T05:00:00Z"


class Link(SimpleNamespace):
    """The parts of CentralLink the outbox uses, recording what it is sent."""

    def __init__(self, store: OrderStore) -> None:
        state = SimpleNamespace(set_problem=lambda *a: None, update=lambda **k: None)
        super().__init__(ctx=SimpleNamespace(store=store, state=state),
                         registered=asyncio.Event(), outbox_wake=asyncio.Event(),
                         dead_letters_wake=asyncio.Event(), sent=[])
        self.registered.set()
        store.listeners.append(lambda _changes: self.outbox_wake.set())

    async def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.sent.extend(o["uuid"] for o in body.get("orders", []))
        entries = body.get("orders") or body.get("events") or []
        return {"results": [{"result": "created" if "orders" in body else "applied"}
                            for _ in entries]}

    async def pause(self, attempt: int, wake: asyncio.Event | None = None) -> None:
        await asyncio.sleep(0.01)

    def _unreachable(self, exc: Exception, what: str) -> None:
        raise AssertionError(f"{what}: {exc}")


async def _submit(store: OrderStore, number: str) -> str:
    order = normalize_order(make_order(number, 1), 1, source="pos", now_iso=NOW)
    await store.submit(order, fingerprint(order), NOW)
    return str(order["uuid"])


async def test_a_commit_during_an_empty_read_is_forwarded_without_another_order(
        tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    migrate(path)
    store = OrderStore(path)
    store.start(asyncio.get_running_loop())
    link = Link(store)
    real_read = store.read
    landed: list[str] = []

    async def read_then_commit(fn: Any) -> Any:
        """The first empty read's snapshot misses an order committed before it returns."""
        result = await real_read(fn)
        if result == [] and not landed:
            landed.append(await _submit(store, "R-1"))
        return result

    store.read = read_then_commit  # type: ignore[method-assign]
    task = asyncio.create_task(CentralOutbox(link).run())   # type: ignore[arg-type]
    try:
        # The bug this guards against waits forever, so a generous deadline costs nothing
        # (3 s of 10-ms polls once ran short of a threaded read and an fsync'd commit).
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            if landed and link.sent == landed:
                break
            await asyncio.sleep(0.01)
        assert landed and link.sent == landed, (landed, link.sent)
    finally:
        task.cancel()
        await store.close()
