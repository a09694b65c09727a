"""A WAL checkpoint must not leave its connection busy for the next reader.

Found by the restart bench (issue 19): one kitchen in two runs got `connected` after a hub
restart and then nothing — its replay read failed with "cannot commit transaction - SQL
statements in progress". The checkpoint's `PRAGMA wal_checkpoint` returns a row; its
result went back with the future while the connection was already back in the pool, so
the next reader on that connection could not COMMIT until the loop dropped the result.
"""

from __future__ import annotations

import asyncio
import time
from functools import partial
from pathlib import Path

from hub.store import OrderStore
from tests.support.store import started_store


async def test_a_read_right_after_a_checkpoint_on_a_busy_loop_succeeds(tmp_path: Path) -> None:
    async with started_store(tmp_path / "hub.sqlite3") as store:
        checkpoint = asyncio.create_task(store.checkpoint())
        await asyncio.sleep(0)              # handed to a reader thread
        time.sleep(0.3)                     # the loop is busy (100 handshakes) meanwhile
        read = asyncio.create_task(store.read(partial(
            OrderStore.orders_since_rev, since_rev=0, tenant_ids=frozenset(), limit=10)))
        await asyncio.sleep(0)
        time.sleep(0.3)                     # the read runs before the loop saw the checkpoint
        await checkpoint
        rows, upto = await read
        assert rows == [] and upto == 0
