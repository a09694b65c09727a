"""A small misbehaving central for fault tests: every endpoint the hub calls, each with a fault switch.

Central is the thing under fault here, so a fake is right: it answers like central when
`ok` (idempotent by uuid, like the real one) and otherwise 500, garbage, a wrong schema,
a 60 s hang, or a dropped connection halfway through storing a batch. It runs its own
event loop in a thread, so tests stay synchronous and can poll the hub with blocking calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.processes import free_port

MODES = ("ok", "500", "garbage", "schema", "hang")
ENDPOINTS = ("register", "heartbeat", "orders", "order-events", "menu", "online-orders", "ws",
             "dead-letters")
# A well-formed answer of the wrong shape, per endpoint.
WRONG_SHAPE: dict[str, Any] = {
    "register": {"hub_token": 12345}, "heartbeat": ["ok"],
    "orders": {"results": [{"uuid": "somebody-else"}]}, "order-events": {"results": "applied"},
    "menu": {"products": "all of them", "current_version": "v9"},
    "online-orders": {"orders": "none today"}, "dead-letters": {"ok": True},
}
HANG_SECONDS = 60.0


class FakeCentral:
    """The fake's state (read by the test between phases) and its aiohttp app."""

    def __init__(self, outlet_id: int = 1) -> None:
        self.outlet_id = outlet_id
        # The outlet settings heartbeats answer with ({locale, currency, day_starts_at}).
        self.outlet: dict[str, str] = {}
        self.heartbeats = 0                 # heartbeats answered
        self.port = free_port()
        self.faults: dict[str, str] = dict.fromkeys(ENDPOINTS, "ok")
        self.orders: dict[str, dict[str, Any]] = {}
        self.created: Counter[str] = Counter()
        self.events: set[tuple[str, int]] = set()
        self.dead_letters: dict[tuple[str, str], dict[str, Any]] = {}
        self.online: list[dict[str, Any]] = []
        self.menu_version = 1
        self.calls: Counter[str] = Counter()
        self.invalid_uuids: set[str] = set()
        self.too_large_marker = ""
        self.midbatch = False
        self.orders_delay = 0.0
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle (from the test's thread) --------------------------------------------------
    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-central", daemon=True)
        self._thread.start()
        assert ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def set_fault(self, endpoint: str, mode: str) -> None:
        """Switch one endpoint's behaviour; a WebSocket fault also drops open channels."""
        assert endpoint in ENDPOINTS and mode in MODES
        self.faults[endpoint] = mode
        if endpoint in ("ws", "online-orders") and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._drop_sockets(), self._loop).result(5)

    def add_online_order(self, order: dict[str, Any]) -> None:
        """An order paid for online: caught up by the hub, and pushed if a channel is open."""
        with self._lock:
            row = dict(order, id=len(self.online) + 1, origin="central")
            self.online.append(row)
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._push(row), self._loop).result(5)

    async def _drop_sockets(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    async def _push(self, row: dict[str, Any]) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps({"event": "new_order", "data": row}))

    # -- the app -----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/hubs/register", self._handler("register", self.register))
        app.router.add_post("/api/hubs/heartbeat", self._handler("heartbeat", self.heartbeat))
        app.router.add_post("/api/hubs/orders", self._handler("orders", self.take_orders))
        app.router.add_post("/api/hubs/order-events", self._handler("order-events", self.events_in))
        app.router.add_post("/api/hubs/dead-letters", self._handler("dead-letters", self.dead_in))
        for kind in ("tenants", "categories", "products", "promotions"):
            app.router.add_get(f"/api/{kind}/", self._handler("menu", self._menu(kind)))
        app.router.add_get("/api/orders/", self._handler("online-orders", self.online_page))
        app.router.add_get(r"/ws/outlet/{outlet:\d+}/", self.channel)
        return app

    def _handler(self, endpoint: str, ok: Any) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.calls[endpoint] += 1
            mode = self.faults[endpoint]
            if mode == "500":
                return web.Response(status=500, text="internal server error")
            if mode == "garbage":
                return web.Response(status=200, text="<html>502 Bad Gateway</html>",
                                    content_type="text/html")
            if mode == "schema":
                return web.json_response(WRONG_SHAPE[endpoint])
            if mode == "hang":
                await asyncio.sleep(HANG_SECONDS)
                return web.Response(status=500, text="hung")
            answer: web.StreamResponse = await ok(request)
            return answer
        return handle

    async def register(self, request: web.Request) -> web.Response:
        body = await request.json()
        answer: dict[str, Any] = {"hub_id": body.get("hub_id"), "menu_version": self.menu_version}
        if body.get("enrollment_token"):
            answer["hub_token"] = "fake-hub-token"
        return web.json_response(answer)

    async def heartbeat(self, _request: web.Request) -> web.Response:
        self.heartbeats += 1
        answer: dict[str, Any] = {"server_time": "2026-12-01T00:00:00Z",
                                  "menu_version": self.menu_version}
        if self.outlet:
            answer["outlet"] = self.outlet
        return web.json_response(answer)

    async def take_orders(self, request: web.Request) -> web.StreamResponse:
        if self.orders_delay:
            await asyncio.sleep(self.orders_delay)
        raw = await request.read()
        orders = json.loads(raw)["orders"]
        if self.too_large_marker and self.too_large_marker.encode() in raw:
            return web.Response(status=413, text="request body too large")
        results = []
        for i, order in enumerate(orders):
            if self.midbatch and i == len(orders) // 2:
                # Central stored half the batch, then the connection died before it answered.
                assert request.transport is not None
                request.transport.close()
                raise ConnectionResetError("central went away mid-batch")
            uuid = order["uuid"]
            if uuid in self.invalid_uuids:
                results.append({"uuid": uuid, "result": "invalid", "error": {"code": "x"}})
                continue
            if uuid in self.orders:
                results.append({"uuid": uuid, "result": "duplicate"})
                continue
            self.orders[uuid] = order
            self.created[uuid] += 1
            results.append({"uuid": uuid, "result": "created"})
        return web.json_response({"results": results})

    async def events_in(self, request: web.Request) -> web.Response:
        events = (await request.json())["events"]
        results = []
        for ev in events:
            key = (ev["uuid"], ev["rev"])
            known = ev["uuid"] in self.orders
            results.append({"uuid": ev["uuid"], "rev": ev["rev"],
                            "result": "duplicate" if key in self.events else
                            ("applied" if known else "unknown_order")})
            if known:
                self.events.add(key)
        return web.json_response({"results": results})

    async def dead_in(self, request: web.Request) -> web.Response:
        items = (await request.json())["dead_letters"]
        stored = 0
        for item in items:
            key = (item["source"], item["key"])
            if key not in self.dead_letters:
                self.dead_letters[key] = item
                stored += 1
        return web.json_response({"stored": stored, "received": len(items)})

    def _menu(self, kind: str) -> Any:
        async def page(request: web.Request) -> web.Response:
            since = int(request.query.get("since_version", "0"))
            items = []
            if kind == "products" and since < self.menu_version:
                items = [{"id": 1, "name": f"Nasi Goreng v{self.menu_version}", "price": "25000",
                          "version": self.menu_version}]
            return web.json_response({kind: items, "deleted": [], "has_more": False,
                                      "current_version": self.menu_version})
        return page

    async def online_page(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since_id", "0"))
        limit = int(request.query.get("limit", "500"))
        with self._lock:
            rows = [o for o in self.online if o["id"] > since][:limit]
        return web.json_response({"orders": rows})

    async def channel(self, request: web.Request) -> web.StreamResponse:
        self.calls["ws"] += 1
        mode = self.faults["ws"]
        if mode == "500":
            return web.Response(status=500, text="internal server error")
        if mode == "garbage":
            return web.Response(status=200, text="<html>not a websocket</html>",
                                content_type="text/html")
        if mode == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return web.Response(status=500, text="hung")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if mode == "schema":
            await ws.send_str("this is not JSON {")
            await ws.close()
            return ws
        self._sockets.add(ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
        finally:
            self._sockets.discard(ws)
        return ws
