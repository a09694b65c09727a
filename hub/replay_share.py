"""Replays read and encoded once for every screen asking the same question (issue 19).

Why: after a hub restart every kitchen comes back within ~150 ms with the same `since_rev`
(the last rev it processed) and the same filter. Each replay used to read the rows, decode
their JSON, pick what the filter wants and encode a frame per order — per kitchen: 100
kitchens x 200 missed orders were 20,000 row decodes and 20,000 frame encodes, and the
kitchens' handshakes waited behind them (profile: `bench/run.py --only restart --profile`).

Now the first screen asking (`generation`, key) starts one read; the others asking while
it runs or after it, before anything else is committed, await the same result: the frames
of the whole replay and its `replay_done`, as one block of bytes, and the feed position
it covers. `generation` is the store's commit count (`OrderStore.commits`, bumped on the
loop with each publish), read when the screen asks: a result started at that generation
was read from a snapshot that holds every change published to the loop before the screen
joined the fan-out, so no change falls between the replay and the live feed, and a change
in the snapshot but published later is held and skipped as covered (`Fanout.finish_replay`).

Pure bookkeeping: the adapter (`hub/ws.py`) supplies the key and the coroutine that reads;
nothing here touches the store or sockets. Only single-page replays are shared (the adapter
returns None for longer ones and pages per screen as before); kept results are bounded in
count and bytes and dropped at the next commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

MAX_ENTRIES = 64                 # distinct questions kept per commit
MAX_BYTES = 16 * 1024 * 1024     # bytes of finished replays kept per commit

# (frames of the replay followed by its replay_done, the feed position it covers),
# or None: too long to share, page it per screen.
Replay = tuple[bytes, int] | None
Reader = Callable[[], Coroutine[Any, Any, Replay]]


class ReplayShare:
    """(generation, key) → the task reading that replay, valid for one commit generation."""

    __slots__ = ("_bytes", "_entries", "_generation", "_running", "hits", "misses")

    def __init__(self) -> None:
        self._generation = -1
        self._entries: dict[Hashable, asyncio.Task[Replay]] = {}
        self._bytes = 0
        # Reads still running, also those of a generation already left behind: a screen
        # that went away must not cancel the read the others wait for.
        self._running: set[asyncio.Task[Replay]] = set()
        self.hits = 0
        self.misses = 0

    async def get(self, generation: int, key: Hashable, read: Reader) -> Replay:
        """The replay for `key` read at `generation` or later; `read` runs once per pair."""
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation
        task = self._entries.get(key)
        if task is None:
            self.misses += 1
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
                self._bytes = 0
            task = asyncio.get_running_loop().create_task(read(), name="replay-read")
            self._entries[key] = task
            self._running.add(task)
            task.add_done_callback(lambda t: self._done(generation, key, t))
        else:
            self.hits += 1
        # shield: a screen leaving cancels its own wait, not the read the others share.
        return await asyncio.shield(task)

    def _done(self, generation: int, key: Hashable, task: asyncio.Task[Replay]) -> None:
        self._running.discard(task)
        if task.cancelled():
            self._forget(generation, key, task)
            return
        if task.exception() is not None:      # retrieved here; every waiter gets it raised
            self._forget(generation, key, task)     # the next screen asking reads again
            return
        result = task.result()
        if result is None:                      # too long to share: kept, so others page at once
            return
        if self._bytes + len(result[0]) > MAX_BYTES:
            self._forget(generation, key, task)       # its waiters have it; later ones read
        elif generation == self._generation and self._entries.get(key) is task:
            self._bytes += len(result[0])

    def _forget(self, generation: int, key: Hashable, task: asyncio.Task[Replay]) -> None:
        if generation == self._generation and self._entries.get(key) is task:
            del self._entries[key]

