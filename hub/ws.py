"""WebSocket adapter (docs/protocol.md §2): identity, hello and the message handlers (replay: ws_replay).

Handlers are registered in a table with their message type, not an if/elif ladder; every
refusal is an `error` message built in one place, and the connection stays open unless
the client abuses it (flood, oversize frame, wrong token).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from hub.context import CTX, HubContext
from hub.core.messages import Envelope, build, parse
from hub.core.pairing import ACK, ANONYMOUS, SUBMIT, UPDATE_STATUS, Principal
from hub.core.ratelimit import TokenBucket
from hub.fanout import Client
from hub.intake import PendingOrder, token_matches
from hub.security import MAX_FRAME, origin_allowed, presented_token
from hub.ws_identity import identity, int_param, ref_of, safe_label
from hub.ws_replay import replay
from outlet_protocol.errors import ProtocolError
from outlet_protocol.feed import NEW_ORDER, ClientFilter
from outlet_protocol.fields import iso

log = logging.getLogger(__name__)

# A POS draining 50 queued orders bursts; a kitchen acks each ticket. 1,000 messages at
# once and 200/s sustained is far above any honest client and far below a flood.
RATE, BURST = 200.0, 1000.0
MAX_REFUSALS = 2000          # refused messages before the connection is closed (1008)
MAX_IN_FLIGHT = 256          # concurrent writes per connection
HELLO_DEADLINE = 10.0        # pairing=required: seconds to present a token in `hello`

Handler = Callable[["Session", Envelope], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}
KNOWN_TYPES = frozenset({"hello", "ping", "new_order", "order_update", "ack_order"})


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


class Session:
    """One WebSocket connection: its client record, limits and in-flight writes."""

    def __init__(self, ctx: HubContext, ws: web.WebSocketResponse, client: Client) -> None:
        self.ctx = ctx
        self.ws = ws
        self.client = client
        self.bucket = TokenBucket(RATE, BURST)
        self.inflight: set[asyncio.Future[Any]] = set()
        # Handler tasks created but not yet started: while any is waiting, a new order takes
        # the task path too, so the store still sees this socket's writes in sending order.
        self.unstarted = 0
        self.replay_task: asyncio.Task[None] | None = None
        self.who: Principal = ANONYMOUS
        self.awaiting_token = False     # pairing=required, no token yet: silent until `hello`
        self.token_key: str | None = None     # digest of the token presented, for FloodGuard
        # Decided once per socket: the bench sends thousands of frames a second from loopback.
        self.exempt = ctx.flood is None or ctx.flood.exempts(client.remote)

    def allow(self, action: str) -> bool:
        """Raise unless pairing lets this socket `action`; True when writes count as authorised."""
        self.ctx.devices.authorize(self.who, action)
        return self.client.authorized or self.ctx.cfg.pairing_required

    def revoked(self, reason: bytes = b"device revoked") -> None:
        """The device's token was revoked: stop sending and close with 4001 at once."""
        self.client.closed = True
        asyncio.get_running_loop().create_task(self.ws.close(code=4001, message=reason))

    def adopt(self, who: Principal) -> None:
        """Bind this socket to a device (or the legacy token): its role is the client type."""
        self.who = who
        self.client.authorized = True
        if who.device_id is not None and not self.ctx.devices.attach(who.device_id, self.revoked):
            self.revoked()

    async def refuse_token(self, ref: str | None) -> None:
        self.error(ProtocolError("unauthorized", "unknown or revoked token; pair again"), ref)
        await asyncio.sleep(0.05)        # let the error frame leave before closing
        await self.ws.close(code=4001, message=b"unauthorized")

    def send(self, kind: str, payload: Any, ref: str | None = None, **extra: Any) -> None:
        self.ctx.fanout.send(self.client, build(kind, payload, ref=ref, **extra))

    def error(self, exc: ProtocolError, ref: str | None = None) -> None:
        self.send("error", exc.to_payload(ref), ref=ref)

    def connected(self, ref: str | None = None) -> None:
        c, ctx = self.client, self.ctx
        self.send("connected", {
            "client_id": c.id, "client_type": c.client_type, "hub_id": ctx.cfg.effective_hub_id,
            "outlet_id": ctx.cfg.outlet_id, "last_id": ctx.store.last_id,
            "last_rev": ctx.store.last_rev, "server_time": iso(), "protocol": 1,
            "tenant_ids": sorted(c.filter.tenant_ids), "hub_status": ctx.state.snapshot(),
            "pairing": ctx.cfg.pairing}
            | ({"device_id": self.who.device_id} if self.who.device_id else {}), ref)

    # -- replay ----------------------------------------------------------------------------
    def start_replay(self, since_rev: int | None, since_id: int | None) -> None:
        """Hold live changes, send what the client missed, then release the held ones."""
        if self.replay_task is not None and not self.replay_task.done():
            self.replay_task.cancel()
        self.client.replaying = True
        self.client.held = []
        self.replay_task = asyncio.create_task(replay(self, since_rev, since_id))

    # -- the read loop ---------------------------------------------------------------------
    async def run(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                if not self.bucket.allow(time.monotonic()):
                    self.error(ProtocolError("rate_limited", "too many messages; slow down"),
                               ref_of(msg.data))
                    if self.bucket.refused > MAX_REFUSALS:
                        await self.ws.close(code=1008, message=b"flood")
                        break
                    continue
                if not self._within_shared_limits():
                    self.error(ProtocolError("rate_limited", "too many messages from your "
                                             "address or token; slow down"), ref_of(msg.data))
                    continue
                self.dispatch(msg.data)
                if len(self.inflight) >= MAX_IN_FLIGHT:
                    # Backpressure: stop reading this socket until its writes settle.
                    await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
            elif msg.type == WSMsgType.BINARY:
                self.error(ProtocolError("invalid_message", "binary frames are not supported"))
            elif msg.type == WSMsgType.ERROR:
                log.info("websocket %s closed with error: %s", self.client.id, self.ws.exception())
                break

    def _within_shared_limits(self) -> bool:
        """Every socket of one address (or token) spends from the same bucket as its HTTP."""
        flood = self.ctx.flood
        if flood is None or self.exempt:
            return True
        scope = flood.check(self.client.remote, self.token_key)
        if scope is None:
            return True
        self.ctx.metrics.requests_refused.labels(f"rate_{scope}").inc()
        return False

    def dispatch(self, text: str) -> None:
        try:
            env = parse(text)
        except ProtocolError as exc:
            self.ctx.metrics.ws_messages.labels("invalid").inc()
            self.error(exc)
            return
        if self.awaiting_token and env.type not in ("hello", "ping"):
            task = asyncio.create_task(self.refuse_token(env.id))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
            return
        handler = HANDLERS.get(env.type)
        self.ctx.metrics.count_ws_message(env.type if env.type in KNOWN_TYPES else "unknown")
        if handler is None:
            self.error(ProtocolError("unknown_type", f"unknown message type {env.type!r}", "type"),
                       env.id)
            return
        if env.type == NEW_ORDER and not self.unstarted:
            self._submit_now(env)
            return
        # Other writes run as tasks so one POS's queue drains through group commit; tasks
        # start in arrival order and enqueue their store operation before yielding, so the
        # store sees a client's messages in the order it sent them.
        task = asyncio.create_task(self._run_handler(handler, env))
        self.unstarted += 1
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    def _submit_now(self, env: Envelope) -> None:
        """A new order without a task: validated and queued for the writer in this turn of
        the loop, acknowledged from its commit's future (the common message, so the cheap
        path: no task, no coroutine chain, one loop turn less before the writer has it)."""
        try:
            pending = begin_order(self, env)
        except ProtocolError as exc:
            self.error(exc, env.id)
            return
        except Exception:
            log.exception("handler for %s failed", env.type)
            self.error(ProtocolError("unavailable", "internal error; retry"), env.id)
            return
        self.inflight.add(pending.stored)
        pending.stored.add_done_callback(partial(self._acknowledge, pending, env.id))

    def _acknowledge(self, pending: PendingOrder, ref: str | None, stored: asyncio.Future[Any]
                     ) -> None:
        self.inflight.discard(stored)
        try:
            ack = self.ctx.intake.finish_submit(pending)
        except ProtocolError as exc:
            self.error(exc, ref)
            return
        except (Exception, asyncio.CancelledError):
            log.exception("handler for %s failed", NEW_ORDER)
            self.error(ProtocolError("unavailable", "internal error; retry"), ref)
            return
        self.send("ack", ack, ref)

    async def _run_handler(self, handler: Handler, env: Envelope) -> None:
        self.unstarted -= 1
        try:
            await handler(self, env)
        except ProtocolError as exc:
            self.error(exc, env.id)
        except Exception:
            log.exception("handler for %s failed", env.type)
            self.error(ProtocolError("unavailable", "internal error; retry"), env.id)


def _unpaired_timeout(session: Session) -> None:
    """A socket that never presented a token under pairing=required is closed (4001)."""
    if session.awaiting_token and not session.client.closed:
        session.revoked(b"no device token")


def _check_token(session: Session, token: Any) -> None:
    expected = session.ctx.cfg.client_token
    if token is None or not expected:
        return
    if not isinstance(token, str) or not token_matches(token, expected):
        raise ProtocolError("unauthorized", "wrong client token", "token")
    session.client.authorized = True
    if session.ctx.flood is not None:
        session.token_key = session.ctx.flood.token_key(token)


@handles("hello")
async def on_hello(s: Session, env: Envelope) -> None:
    fields = env.payload if isinstance(env.payload, dict) else None
    if fields is None:
        raise ProtocolError("invalid_message", "hello payload must be an object", "payload")
    if s.ctx.cfg.pairing_required:
        token = fields.get("token")
        if token is not None or s.awaiting_token:
            who = s.ctx.devices.principal(token if isinstance(token, str) else None)
            if who.kind not in ("device", "legacy"):
                await s.refuse_token(env.id)
                return
            if who != s.who:
                if s.who.device_id is not None:
                    s.ctx.devices.detach(s.who.device_id, s.revoked)
                s.adopt(who)
                s.token_key = s.ctx.flood.token_key(token) if s.ctx.flood else s.token_key
    else:
        try:
            _check_token(s, fields.get("token"))
        except ProtocolError as exc:
            s.error(exc, env.id)
            await asyncio.sleep(0.05)        # let the error frame leave before closing
            await s.ws.close(code=1008, message=b"unauthorized")
            return
    flt = identity(s.ctx, fields, s.client.filter, s.who)
    since_rev = int_param(fields.get("since_rev"), "since_rev")
    since_id = int_param(fields.get("since_id"), "since_id")
    client_id = fields.get("client_id")
    if isinstance(client_id, str) and 0 < len(client_id) <= 100 and safe_label(client_id):
        s.client.id = client_id
    if s.awaiting_token:
        s.awaiting_token = False
        s.client.filter = flt
        s.ctx.fanout.add(s.client)
    s.ctx.fanout.refilter(s.client, flt)
    s.connected(env.id)
    if since_rev is not None or since_id is not None:
        s.start_replay(since_rev, since_id)


@handles("ping")
async def on_ping(s: Session, env: Envelope) -> None:
    stamp = env.payload.get("timestamp") if isinstance(env.payload, dict) else None
    s.send("pong", {"timestamp": stamp, "server_time": iso()}, env.id)


def begin_order(s: Session, env: Envelope) -> PendingOrder:
    """Validate a `new_order` and queue it for the writer (raises ProtocolError if refused)."""
    raw = env.payload
    if isinstance(raw, dict) and isinstance(raw.get("order"), dict):
        raw = raw["order"]
    source = "pos" if s.client.client_type == "pos" else "kiosk"
    authorized = s.allow(SUBMIT)
    return s.ctx.intake.begin_submit(raw, transport="ws", source=source, authorized=authorized)


@handles("new_order")
async def on_new_order(s: Session, env: Envelope) -> None:
    """The task path, taken while an earlier message of the socket has not started yet."""
    ack = await s.ctx.intake.settle(begin_order(s, env))
    s.send("ack", ack, env.id)


@handles("order_update")
async def on_order_update(s: Session, env: Envelope) -> None:
    authorized = s.allow(UPDATE_STATUS)
    ack = await s.ctx.intake.update(env.payload, by=s.client.id, authorized=authorized)
    ack.pop("order", None)
    s.send("ack", ack, env.id)


@handles("ack_order")
async def on_ack_order(s: Session, env: Envelope) -> None:
    authorized = s.allow(ACK)
    note = await s.ctx.intake.acknowledge(env.payload, client_id=s.client.id,
                                          authorized=authorized)
    s.send("ack", {"uuid": note["uuid"], "order_number": note["order_number"],
                   "acknowledged": True}, env.id)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """Upgrade, identify, replay if asked, then serve messages until the client leaves."""
    ctx = request.app[CTX]
    if not origin_allowed(request.headers.get("Origin"), request.headers.get("Host"), ctx.cfg,
                          request.scheme):
        log.warning("refused websocket from %s: foreign Origin %s", request.remote,
                    request.headers.get("Origin"))
        return web.json_response({"error": {"code": "forbidden", "message": "origin not allowed"}},
                                 status=403)
    if ctx.ws_refused():
        return web.json_response({"error": {"code": "unavailable",
                                            "message": "websocket disabled; poll /api/orders"}},
                                 status=503)
    q = request.query
    token = presented_token(request)
    who = ctx.devices.principal(token) if ctx.cfg.pairing_required else ANONYMOUS
    if ctx.cfg.pairing_required and token and who.kind not in ("device", "legacy"):
        return web.json_response({"error": {"code": "unauthorized",
                                            "message": "unknown or revoked device token"}},
                                 status=401)
    if token is not None and ctx.cfg.client_token and not token_matches(token, ctx.cfg.client_token):
        if not ctx.cfg.pairing_required:
            return web.json_response({"error": {"code": "unauthorized",
                                                "message": "wrong token"}}, status=401)
    fields: dict[str, Any] = {
        "client_type": q.get("client_type") or request.headers.get("client-type"),
        "outlet_id": q.get("outlet_id"),
    }
    if "tenant_id" in q or "tenant_ids" in q:
        fields["tenant_ids"] = q.getall("tenant_id", []) + q.getall("tenant_ids", [])
    try:
        flt = identity(ctx, fields, ClientFilter(), who)
        since_rev = int_param(q.get("since_rev"), "since_rev")
        since_id = int_param(q.get("since_id"), "since_id")
    except ProtocolError as exc:
        return web.json_response({"error": exc.to_payload()}, status=exc.http_status)
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30.0, compress=False)
    await ws.prepare(request)
    client_id = (q.get("client_id") or request.headers.get("client-id") or "")[:100]
    if not client_id or not safe_label(client_id):
        client_id = f"{flt.client_type}-{uuidlib.uuid4().hex[:8]}"
    if request.transport is None:           # the peer left during the handshake
        return ws
    client = Client(client_id, flt, ws, request.transport, request.remote or "?")
    client.authorized = bool(token) and token_matches(token, ctx.cfg.client_token)
    session = Session(ctx, ws, client)
    if ctx.flood is not None:
        session.token_key = ctx.flood.token_key(token)
    if who.kind in ("device", "legacy"):
        session.adopt(who)
    session.awaiting_token = ctx.cfg.pairing_required and who.kind == "anonymous"
    if not session.awaiting_token:
        ctx.fanout.add(client)
    timer = asyncio.get_running_loop().call_later(HELLO_DEADLINE, _unpaired_timeout, session)
    try:
        if not session.awaiting_token:
            session.connected()
            if since_rev is not None or since_id is not None:
                session.start_replay(since_rev, since_id)
        await session.run()
    finally:
        timer.cancel()
        if session.who.device_id is not None:
            ctx.devices.detach(session.who.device_id, session.revoked)
        for task in list(session.inflight):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), 5)
        if session.replay_task is not None:
            session.replay_task.cancel()
        await ctx.fanout.remove(client)
    return ws
