"""Realtime outlet channels (`/ws/outlet/<id>/`), across processes via PostgreSQL LISTEN/NOTIFY.

On PostgreSQL every event is NOTIFYed and every central process — the publisher included —
delivers what it hears to its own subscribers, so one path serves one process or ten. On
SQLite (one process by nature) events go straight to local subscribers.

Realtime is a fast path, not the record: a hub that missed an event while disconnected
catches up with `GET /api/orders/?origin=central&since_id=…`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import psycopg

log = logging.getLogger("central.realtime")
CHANNEL = "central_events"
# NOTIFY payloads are limited to 8000 bytes; larger orders travel by reference.
_MAX_PAYLOAD = 7000
_QUEUE = 1000

Loader = Callable[[str], Awaitable[dict[str, Any]]]
# Starts a named long-lived task under a supervisor (restarted after an unexpected error).
Spawn = Callable[[str, Callable[[], Coroutine[Any, Any, None]]], "asyncio.Task[None]"]


@dataclass(eq=False)
class Subscription:
    """One WebSocket's view of an outlet channel; `hub_id` set when a hub is listening."""

    outlet_id: int
    hub_id: str | None
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(_QUEUE))
    overflowed: bool = False


class Broadcaster:
    """Fan-out of outlet events to local subscribers, fed locally or by LISTEN."""

    def __init__(self, listen_url: str | None, load_order: Loader,
                 spawn: Spawn | None = None) -> None:
        self.listen_url = listen_url
        self.spawn = spawn
        self.load_order = load_order
        self.subscribers: dict[int, set[Subscription]] = {}
        self._publisher: psycopg.AsyncConnection[Any] | None = None
        self._publish_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.delivered = 0

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self, outlet_id: int, hub_id: str | None) -> Subscription:
        """Start receiving an outlet's events."""
        sub = Subscription(outlet_id, hub_id)
        self.subscribers.setdefault(outlet_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop receiving."""
        subs = self.subscribers.get(sub.outlet_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.outlet_id]

    def count(self) -> int:
        """Subscribers connected to this process."""
        return sum(len(s) for s in self.subscribers.values())

    def deliver(self, event: dict[str, Any]) -> None:
        """Hand one event to this process's subscribers of its outlet (never echoed to the hub
        that reported it). A subscriber too slow to keep 1000 messages is cut off."""
        subs = self.subscribers.get(int(event["outlet_id"]))
        if not subs:
            return
        text = json.dumps({"event": event["event"], "data": event["data"]}, separators=(",", ":"))
        for sub in list(subs):
            if sub.hub_id is not None and sub.hub_id == event.get("origin_hub"):
                continue
            try:
                sub.queue.put_nowait(text)
                self.delivered += 1
            except asyncio.QueueFull:
                sub.overflowed = True
                self.unsubscribe(sub)

    # -- publishing --------------------------------------------------------------------------

    async def publish(self, events: list[dict[str, Any]]) -> None:
        """Send events to every subscriber of every central process."""
        if not events:
            return
        if self.listen_url is None:
            for ev in events:
                self.deliver(ev)
            return
        payloads = [self._encode(ev) for ev in events]
        async with self._publish_lock:
            for attempt in (1, 2):
                try:
                    if self._publisher is None or self._publisher.closed:
                        self._publisher = await psycopg.AsyncConnection.connect(
                            self.listen_url, autocommit=True)
                    async with self._publisher.cursor() as cur:
                        await cur.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p",
                                          (CHANNEL, payloads))
                    return
                except psycopg.OperationalError:
                    self._publisher = None
                    if attempt == 2:
                        raise

    @staticmethod
    def _encode(event: dict[str, Any]) -> str:
        text = json.dumps(event, separators=(",", ":"))
        if len(text.encode()) <= _MAX_PAYLOAD:
            return text
        return json.dumps({"outlet_id": event["outlet_id"], "event": event["event"],
                           "origin_hub": event.get("origin_hub"),
                           "ref": event["data"]["uuid"]}, separators=(",", ":"))

    async def _decode(self, payload: str) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(payload)
        if "ref" in event:
            event["data"] = await self.load_order(event.pop("ref"))
        return event

    # -- listening ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Begin LISTENing (PostgreSQL only); returns once the first LISTEN is in place."""
        if self.listen_url is None:
            self.listening.set()
            return
        if self.spawn is not None:
            self._listener = self.spawn("central-listen", self._listen_forever)
        else:
            self._listener = asyncio.create_task(self._listen_forever(), name="central-listen")
        await asyncio.wait_for(self.listening.wait(), 15)

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._publisher is not None:
            await self._publisher.close()

    async def _listen_forever(self) -> None:
        assert self.listen_url is not None
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.listen_url,
                                                                 autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        try:
                            self.deliver(await self._decode(note.payload))
                        except (ValueError, KeyError, LookupError) as exc:
                            log.error("dropping malformed realtime event: %s", exc)
            except psycopg.OperationalError as exc:
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
