"""The live client registry: who is connected, what they follow, and one bounded queue each.

A committed change is serialised and framed once per message kind (`core.wsframe`) and
the same bytes are queued to every client whose filter wants it. Each client has its own
sender task that writes everything pending in one `transport.write`, and a bounded queue:
a slow screen is disconnected (it resumes from its last rev) instead of growing the hub's
memory or delaying the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.core.messages import build, dumps_bytes
from hub.core.wsframe import text_frame
from hub.store import Change
from outlet_protocol.feed import (
    NEW_ORDER,
    STATUS_UPDATE,
    ClientFilter,
    status_update_payload,
    still_to_send,
)

log = logging.getLogger(__name__)

# Enough for a long lunch-rush replay burst, small enough that 200 clients stay < 100 MB.
MAX_QUEUE = 5000
# Kernel + transport buffer a screen may leave unread before we wait for it to drain,
# and how long it may take to drain before it counts as stuck.
HIGH_WATER = 512 * 1024
LOW_WATER = 128 * 1024
DRAIN_TIMEOUT = 10.0


class Socket(Protocol):
    """What the registry needs from a WebSocket (aiohttp's WebSocketResponse fits)."""

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class Transport(Protocol):
    """The connection under the WebSocket: frames are written to it directly."""

    def write(self, data: bytes) -> None: ...

    def get_write_buffer_size(self) -> int: ...

    def is_closing(self) -> bool: ...


@dataclass(eq=False)
class Client:
    """One connected screen, POS or device."""

    id: str
    filter: ClientFilter
    socket: Socket
    conn: Transport
    remote: str
    transport: str = "ws"
    connected_at: float = field(default_factory=time.time)
    authorized: bool = False
    queue: deque[tuple[bytes, float | None]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    replaying: bool = False
    held: list[tuple[int, bytes, float | None]] = field(default_factory=list)
    # The feed position a replay covered: its snapshot can hold a commit whose change is
    # published to the loop only after the replay ended, and must not reach the client twice.
    covered_rev: int = 0
    closed: bool = False
    task: asyncio.Task[None] | None = None

    @property
    def client_type(self) -> str:
        return self.filter.client_type

    def push_many(self, frames: list[bytes], stamp: float | None) -> bool:
        """Several frames at once: one write when the socket is keeping up, else queued."""
        if len(frames) == 1:
            return self.push(frames[0], stamp)
        if self.closed:
            return False
        if (not self.queue and self.conn.get_write_buffer_size() <= HIGH_WATER
                and not self.conn.is_closing()):
            self.conn.write(b"".join(frames))
            return True
        return all(self.push(f, stamp) for f in frames)

    def push(self, frame: bytes, stamp: float | None = None) -> bool:
        """Write a frame now, or queue it behind earlier ones; False if the client is too far
        behind and must be dropped.

        The direct write is the common case (nothing queued, socket keeping up): it costs
        one `transport.write` instead of waking this client's sender task, which at 20
        screens was most of the hub's CPU per order at lunch-time rates.
        """
        if self.closed:
            return False
        if (not self.queue and self.conn.get_write_buffer_size() <= HIGH_WATER
                and not self.conn.is_closing()):
            self.conn.write(frame)
            return True
        if len(self.queue) >= MAX_QUEUE:
            return False
        self.queue.append((frame, stamp))
        self.wake.set()
        return True

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "type": self.client_type,
            "connectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.connected_at)),
            "remote": self.remote, "tenant_ids": sorted(self.filter.tenant_ids),
            "transport": self.transport,
        }


class Fanout:
    """Registry of live clients and delivery of committed changes to them, in rev order."""

    def __init__(self, on_delivered: Callable[[str, int, float | None], None] | None = None
                 ) -> None:
        self.clients: set[Client] = set()
        self._on_delivered = on_delivered
        self.on_change: list[Callable[[], None]] = []

    # -- membership ------------------------------------------------------------------------
    def add(self, client: Client) -> None:
        self.clients.add(client)
        client.task = asyncio.create_task(self._sender(client), name=f"send-{client.id}")
        self._changed()

    async def remove(self, client: Client) -> None:
        client.closed = True
        self.clients.discard(client)
        if client.task is not None and client.task is not asyncio.current_task():
            client.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.task
        self._changed()

    def refilter(self, client: Client, flt: ClientFilter) -> None:
        client.filter = flt
        self._changed()

    def _changed(self) -> None:
        for cb in self.on_change:
            cb()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.clients:
            out[c.client_type] = out.get(c.client_type, 0) + 1
        return out

    # -- delivery --------------------------------------------------------------------------
    def send(self, client: Client, message: dict[str, Any]) -> None:
        """Queue one message for one client (replies, errors, hello answers)."""
        if not client.push(text_frame(dumps_bytes(message))):
            self._overflow(client)

    def send_frames(self, client: Client, frames: bytes) -> None:
        """Queue whole frames already encoded (a shared replay) as one write."""
        if not client.push(frames):
            self._overflow(client)

    def publish(self, changes: list[Change]) -> None:
        """Called once per commit, on the loop, with the batch's changes in rev order."""
        stamp = time.perf_counter()
        # A commit batch grows when the hub is busy; writing each screen its whole share of
        # the batch at once makes the cost per order fall as the load rises.
        outgoing: dict[Client, list[bytes]] = {}
        for ch in changes:
            tenant = ch.order.get("tenant_id")
            frames: dict[str, bytes] = {}
            for client in tuple(self.clients):
                kind = NEW_ORDER if ch.kind == "created" else STATUS_UPDATE
                if ch.rev <= client.covered_rev or not client.filter.wants(kind, tenant):
                    continue
                frame = frames.get(kind)
                if frame is None:
                    payload = ch.order if kind == NEW_ORDER else status_update_payload(ch.order,
                                                                                       ch.by)
                    frame = frames[kind] = text_frame(dumps_bytes(build(kind, payload)))
                if client.replaying:
                    client.held.append((ch.rev, frame, stamp))
                else:
                    outgoing.setdefault(client, []).append(frame)
        delivered: dict[str, int] = {}
        for client, batch in outgoing.items():
            if client.push_many(batch, stamp):
                delivered[client.client_type] = delivered.get(client.client_type, 0) + len(batch)
            else:
                self._overflow(client)
        # Frames that went straight to sockets are counted here; queued ones by the sender.
        if self._on_delivered is not None:
            for client_type, count in delivered.items():
                self._on_delivered(client_type, count, stamp)

    def broadcast(self, message: dict[str, Any], *, types: frozenset[str] | None = None) -> None:
        """Send one message to every client (optionally only some client types)."""
        frame = text_frame(dumps_bytes(message))
        for client in tuple(self.clients):
            if (types is None or client.client_type in types) and not client.push(frame):
                self._overflow(client)

    def finish_replay(self, client: Client, upto_rev: int) -> None:
        """Release changes held during a replay, skipping those the replay already covered."""
        held, client.held = client.held, []
        client.replaying = False
        client.covered_rev = max(client.covered_rev, upto_rev)
        for rev, frame, stamp in held:
            if still_to_send(rev, upto_rev) and not client.push(frame, stamp):
                self._overflow(client)
                return

    def _overflow(self, client: Client) -> None:
        if client.closed:
            return
        log.warning("client %s fell %d messages behind; disconnecting so it resumes by rev",
                    client.id, MAX_QUEUE)
        client.closed = True
        client.queue.clear()
        asyncio.get_running_loop().create_task(self._close(client, 1013, b"too far behind"))

    async def _close(self, client: Client, code: int, reason: bytes) -> None:
        with contextlib.suppress(Exception):
            await client.socket.close(code=code, message=reason)
        await self.remove(client)

    async def _sender(self, client: Client) -> None:
        try:
            while True:
                await client.wake.wait()
                client.wake.clear()
                if client.conn.is_closing():
                    break
                sent, oldest = 0, None
                chunk: list[bytes] = []
                while client.queue:
                    frame, stamp = client.queue.popleft()
                    chunk.append(frame)
                    if stamp is not None:
                        sent += 1
                        oldest = stamp if oldest is None else min(oldest, stamp)
                # Whole frames only, from the loop thread: aiohttp's own writes (pong,
                # close) are whole frames too, so the byte stream stays well formed.
                client.conn.write(b"".join(chunk))
                if client.conn.get_write_buffer_size() > HIGH_WATER:
                    await self._drain(client)
                # Metrics once per drain, not per frame: at 1,000 orders/s to 20 screens,
                # per-frame counter+histogram updates cost more CPU than the sends.
                if sent and self._on_delivered is not None:
                    self._on_delivered(client.client_type, sent, oldest)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket died under us; the reader side cleans up
            log.info("send to %s failed: %s", client.id, exc)
            client.closed = True

    async def _drain(self, client: Client) -> None:
        """Wait for a slow reader; one that stays stuck is closed and resumes by rev later."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while client.conn.get_write_buffer_size() > LOW_WATER:
            if client.conn.is_closing() or time.monotonic() > deadline:
                self._overflow(client)
                return
            await asyncio.sleep(0.01)

    async def close_all(self, code: int = 1001, reason: bytes = b"hub shutting down") -> None:
        """Flush what is queued (briefly) and close every socket — used on SIGTERM."""
        clients = tuple(self.clients)
        deadline = time.monotonic() + 2.0
        while any(c.queue for c in clients) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        await asyncio.gather(*(self._close(c, code, reason) for c in clients),
                             return_exceptions=True)


