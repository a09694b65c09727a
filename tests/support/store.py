"""An `OrderStore` on a freshly migrated file, started on the running loop and closed after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from hub.store import OrderStore, migrate


@contextlib.asynccontextmanager
async def started_store(path: Path) -> AsyncIterator[OrderStore]:
    migrate(path)
    store = OrderStore(path)
    store.start(asyncio.get_running_loop())
    try:
        yield store
    finally:
        await store.close()
