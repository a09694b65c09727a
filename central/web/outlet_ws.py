"""`WS /ws/outlet/<id>/`: the seed's outlet channel, {"event", "data"} out, ping/pong in."""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import WSMsgType, web

from central.store.fleet import HubPrincipal
from central.web.context import BROADCASTER, require_outlet_reader
from outlet_protocol import fields

routes = web.RouteTableDef()
# Browsers cannot set headers on a WebSocket, so `?token=` is accepted here (and only here).
_HEARTBEAT = 30.0


@routes.get(r"/ws/outlet/{outlet_id:\d+}/")
@routes.get(r"/ws/outlet/{outlet_id:\d+}")
async def outlet_channel(request: web.Request) -> web.WebSocketResponse:
    """Subscribe an admin, the outlet's hub or a display to the outlet's realtime events."""
    outlet_id = fields.integer(request.match_info["outlet_id"], "outlet_id")
    who = await require_outlet_reader(request, outlet_id, allow_query=True)
    ws = web.WebSocketResponse(heartbeat=_HEARTBEAT, max_msg_size=64 * 1024)
    await ws.prepare(request)
    broadcaster = request.app[BROADCASTER]
    sub = broadcaster.subscribe(outlet_id, who.hub_id if isinstance(who, HubPrincipal) else None)

    async def pump() -> None:
        while True:
            text = await sub.queue.get()
            await ws.send_str(text)

    sender = asyncio.create_task(pump())
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                await ws.send_json({"type": "error", "error": {
                    "code": "invalid_json", "message": "message is not valid JSON"}})
                continue
            if isinstance(data, dict) and data.get("type") == "ping":
                await ws.send_json({"type": "pong", "timestamp": data.get("timestamp")})
            if sub.overflowed:
                break
    finally:
        broadcaster.unsubscribe(sub)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
    return ws
