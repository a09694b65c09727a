"""The asyncio shell around `central.core.heartbeats`: one writer, one transaction per batch.

A handler queues its heartbeat with a future and waits; the writer (a supervised task)
takes everything queued, writes it in one transaction in a worker thread, and resolves
each future only after the commit — so a 200 to a hub means its `last_seen` is durable.
Whatever arrives during a write goes into the next batch (group commit, as the hub's order
writer does): batches grow with load instead of waiting on a timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from central.core.heartbeats import Beat, BeatQueue, Outcome
from outlet_protocol.errors import ProtocolError

log = logging.getLogger(__name__)

WriteBatch = Callable[[Sequence[Beat]], list[Outcome]]
Result = tuple[Outcome, int]


class HeartbeatWriter:
    """Queue heartbeats from handlers; write them in batches from `run()`."""

    def __init__(self, write: WriteBatch, menu_version: Callable[[], int],
                 queue: BeatQueue[asyncio.Future[Result]] | None = None,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self._write = write
        self._menu_version = menu_version
        self._queue: BeatQueue[asyncio.Future[Result]] = (
            queue if queue is not None else BeatQueue())
        self._wake = asyncio.Event()
        self._on_batch = on_batch

    async def submit(self, beat: Beat) -> Result:
        """(outcome, menu version) once the heartbeat's batch has committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        if not self._queue.offer(beat, future):
            raise ProtocolError("unavailable", "central is behind on heartbeats; retry later")
        self._wake.set()
        return await future

    def _write_and_version(self, beats: Sequence[Beat]) -> tuple[list[Outcome], int]:
        # The menu version rides along: one read per batch instead of one per heartbeat.
        return self._write(beats), self._menu_version()

    async def run(self) -> None:
        """Write batches for ever; a failed write fails its heartbeats (503) and raises so
        the supervisor logs it, degrades /health and restarts the loop."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while len(self._queue):
                batch = self._queue.take()
                try:
                    outcomes, version = await asyncio.to_thread(
                        self._write_and_version, [beat for beat, _ in batch])
                except asyncio.CancelledError:
                    _fail(batch, ProtocolError("unavailable", "central is shutting down"))
                    raise
                except Exception:
                    _fail(batch, ProtocolError("unavailable", "heartbeat not stored; retry"))
                    raise
                if self._on_batch is not None:
                    self._on_batch(len(batch))
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result((outcome, version))

    def fail_pending(self) -> None:
        """Answer everything still queued with 503 (shutdown)."""
        _fail(self._queue.take_all(), ProtocolError("unavailable", "central is shutting down"))


def _fail(batch: Sequence[tuple[Beat, asyncio.Future[Any]]], error: ProtocolError) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
