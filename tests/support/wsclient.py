"""A small real WebSocket client for tests: speaks docs/protocol.md §2 to a running hub."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid as uuidlib
from typing import Any

import aiohttp

_ids = itertools.count(1)


def make_order(number: str, tenant_id: int | None = None, *, uuid: str | None = None,
               outlet_id: int = 1, qty: int = 1, **extra: Any) -> dict[str, Any]:
    """A valid order payload as a kiosk would send it."""
    order = {"uuid": uuid or str(uuidlib.uuid4()), "order_number": number, "outlet_id": outlet_id,
             "tenant_id": tenant_id, "items": [{"product_id": 7, "name": "Nasi Goreng", "qty": qty,
                                                "price": "25000", "modifiers": [], "notes": ""}],
             "total_amount": str(25000 * qty), "order_type": "dine_in", "source": "kiosk"}
    order.update(extra)
    return order


def error_code(msg: dict[str, Any]) -> str | None:
    """The `code` of an `error` envelope; None for any other message."""
    return msg["payload"].get("code") if msg.get("type") == "error" else None


class WsClient:
    """Connects, records every message, and answers request/reply by `id`/`ref`."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self.close_code: int | None = None

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str] | None = None,
                      **query: Any) -> WsClient:
        session = aiohttp.ClientSession()
        params: list[tuple[str, str]] = []
        for key, value in query.items():
            for v in value if isinstance(value, list) else [value]:
                params.append((key, str(v)))
        try:
            ws = await session.ws_connect(url, params=params, headers=headers or {},
                                          max_msg_size=0, autoping=True)
        except BaseException:
            await session.close()
            raise
        return cls(session, ws)

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))
                self._new.set()
        self.close_code = self.ws.close_code
        self._new.set()

    @property
    def closed(self) -> bool:
        return self._reader.done()

    async def send(self, kind: str, payload: Any = None, msg_id: str | None = None) -> str:
        msg_id = msg_id or f"m{next(_ids)}"
        await self.ws.send_str(json.dumps({"type": kind, "payload": payload, "id": msg_id}))
        return msg_id

    async def send_raw(self, text: str) -> None:
        await self.ws.send_str(text)

    async def wait_for(self, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first recorded message matching `pred` (waiting for it if needed)."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while True:
            for m in self.messages[seen:]:
                if pred(m):
                    return m
            seen = len(self.messages)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self.closed:
                raise TimeoutError(f"no matching message; last: {self.messages[-5:]}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass

    async def flood_pings(self, most: int = 20_000, chunk: int = 500) -> dict[str, Any]:
        """Send pings until the hub refuses one as `rate_limited`; that refusal.

        Sends in chunks and stops at the first refusal, so the test does not depend on how
        fast this host sends: a slow sender refills the hub's bucket (200/s) while it sends,
        and a fixed count just past the burst (1,000) came back all pongs on a slow hour.
        """
        def refused(m: dict[str, Any]) -> bool:
            return error_code(m) == "rate_limited"
        for start in range(0, most, chunk):
            for i in range(start, start + chunk):
                await self.ws.send_str(f'{{"type": "ping", "id": "p{i}"}}')
            try:
                return await self.wait_for(refused, timeout=0.05)
            except TimeoutError:
                if self.closed:
                    raise
        return await self.wait_for(refused)

    async def reply(self, msg_id: str, timeout: float = 10.0) -> dict[str, Any]:
        return await self.wait_for(lambda m: m.get("ref") == msg_id, timeout)

    async def request(self, kind: str, payload: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        return await self.reply(await self.send(kind, payload), timeout)

    async def submit(self, order: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Send a new_order and return the ack (or error) payload's envelope."""
        return await self.request("new_order", order, timeout)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await self.session.close()
