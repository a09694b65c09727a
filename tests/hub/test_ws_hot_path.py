"""The WebSocket hot path (decision 1901, addendum "loop side"): a `new_order` is queued for
the writer without a task, and that shortcut keeps the socket's sending order.

Frames are written to the hub's socket in one TCP write by a minimal RFC 6455 client, so
the hub reads them in one chunk: the case where a task-per-message hub and the shortcut
could disagree about which write reaches the store first.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

from hub.app import freeze_startup_objects
from tests.support.processes import Hub
from tests.support.wsclient import make_order


def _masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    head = bytes((0x81, 0x80 | n)) if n < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawSocket:
    """A blocking WebSocket client that can put several frames into one `sendall`."""

    def __init__(self, port: int, query: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        assert chunk, "hub closed the socket"
        return chunk

    def send_all(self, messages: list[dict[str, Any]]) -> None:
        self.sock.sendall(b"".join(_masked_text(json.dumps(m)) for m in messages))

    def next_message(self) -> dict[str, Any]:
        while True:
            frame = self._frame()
            if frame is None:
                self.buf += self._recv()
            elif frame[0] == 0x1:
                return dict(json.loads(frame[1]))

    def _frame(self) -> tuple[int, bytes] | None:
        """One whole server frame off the buffer (opcode, payload), None if not all here."""
        if len(self.buf) < 2:
            return None
        n, start = self.buf[1] & 0x7F, 2
        if n == 126:
            n, start = int.from_bytes(self.buf[2:4]), 4
        elif n == 127:
            n, start = int.from_bytes(self.buf[2:10]), 10
        if len(self.buf) < start + n or len(self.buf) < start:
            return None
        opcode, data = self.buf[0] & 0x0F, self.buf[start:start + n]
        self.buf = self.buf[start + n:]
        return opcode, data

    def replies(self, refs: set[str]) -> dict[str, dict[str, Any]]:
        """Read until every message id in `refs` has its answer (ack or error)."""
        got: dict[str, dict[str, Any]] = {}
        while refs - got.keys():
            msg = self.next_message()
            if msg.get("ref") in refs:
                got[msg["ref"]] = msg
        return got

    def close(self) -> None:
        self.sock.close()


def test_a_burst_of_writes_reaches_the_store_in_sending_order(
        hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    pos = RawSocket(hub.ws_port, "client_type=pos&client_id=pos-burst")
    try:
        assert pos.next_message()["type"] == "connected"
        early = make_order("B-0", 1)
        # A status change for an order sent *after* it, in the same TCP write: the store must
        # see the change first (not_found), exactly as the socket sent them.
        pos.send_all([
            {"type": "order_update", "id": "u", "payload": {"uuid": early["uuid"],
                                                            "status": "completed"}},
            {"type": "new_order", "id": "o0", "payload": early},
        ])
        got = pos.replies({"u", "o0"})
        assert got["u"]["type"] == "error" and got["u"]["payload"]["code"] == "not_found", got
        assert got["o0"]["type"] == "ack" and got["o0"]["payload"]["status"] == "pending", got

        # Many orders in one write (the shortcut, no task each): revs follow sending order,
        # a refused one in the middle is answered by its id and does not disturb the rest.
        orders = [make_order(f"B-{i}", 1) for i in range(1, 31)]
        burst: list[dict[str, Any]] = [{"type": "new_order", "id": f"o{i}", "payload": o}
                                       for i, o in enumerate(orders, start=1)]
        burst.insert(15, {"type": "new_order", "id": "bad", "payload": {"uuid": "x"}})
        burst.append({"type": "new_order", "id": "again", "payload": early})
        pos.send_all(burst)
        got = pos.replies({m["id"] for m in burst})
        assert got["bad"]["type"] == "error", got["bad"]
        assert got["again"]["type"] == "ack" and got["again"]["payload"]["duplicate"] is True
        revs = [got[f"o{i}"]["payload"]["rev"] for i in range(1, 31)]
        assert revs == sorted(revs) and len(set(revs)) == 30, revs
        assert all(got[f"o{i}"]["payload"]["uuid"] == o["uuid"]
                   for i, o in enumerate(orders, start=1))
        # Pushed back behind a slow start: a ping sent first (a task) sends the new order
        # down the task path too, and it still gets its ack.
        late = make_order("B-late", 1)
        pos.send_all([{"type": "ping", "id": "p", "payload": {"timestamp": 1}},
                      {"type": "new_order", "id": "late", "payload": late}])
        got = pos.replies({"p", "late"})
        assert got["late"]["type"] == "ack" and got["late"]["payload"]["rev"] > revs[-1]
    finally:
        pos.close()


def test_start_up_objects_are_frozen_out_of_the_collector() -> None:
    gc.unfreeze()
    try:
        tracked = len(gc.get_objects())
        freeze_startup_objects()
        # What a full collection walks from now on: only what was made after start.
        assert gc.get_freeze_count() >= tracked > 10_000
        assert len(gc.get_objects()) < tracked // 100
    finally:
        gc.unfreeze()
