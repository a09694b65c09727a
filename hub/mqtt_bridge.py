"""MQTT adapter (docs/protocol.md §5): publish the change feed, ingest device orders, hub state.

The broker is transport, SQLite is the truth. Publishing is an outbox over the change
feed: a durable cursor moves only past revs the broker PUBACKed, in order, so after a
broker restart or a hub crash everything after the cursor is published again (consumers
deduplicate by uuid). A dead broker degrades the hub; it never stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections import deque
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from hub.background import cancel_and_wait
from hub.central_errors import STORE_FAULTS
from hub.context import HubContext
from hub.core.errors import ProtocolError
from hub.core.feed import status_update_payload
from hub.core.messages import build, dumps
from hub.core.outbox import contiguous_acked
from hub.health import health_body
from hub.intake import token_matches
from hub.store import Change, OrderStore

log = logging.getLogger(__name__)

SINK = "mqtt"
WINDOW = 1000               # unacked publishes in flight before we wait for PUBACKs
READ_BATCH = 200
HEALTH_EVERY = 30.0
MAX_PAYLOAD = 64 * 1024
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class MqttBridge:
    """One paho client (its own network thread) driven from the hub's event loop."""

    def __init__(self, ctx: HubContext) -> None:
        self.ctx = ctx
        cfg = ctx.cfg
        self.root = f"kitchen-sync/{cfg.outlet_id}/"
        self.loop = asyncio.get_running_loop()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"outlet-hub-{cfg.effective_hub_id}"[:64],
                                  protocol=mqtt.MQTTv311, clean_session=True)
        if cfg.mqtt_username:
            self.client.username_pw_set(cfg.mqtt_username, cfg.mqtt_password or None)
        self.client.will_set(self.root + "hub/state", "offline", qos=1, retain=True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.max_inflight_messages_set(WINDOW)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.connected = False
        self.acked = 0              # durable: broker confirmed everything up to here
        self.sent = 0               # published up to here in this connection
        self.mid_rev: dict[int, int] = {}
        self.sent_order: deque[int] = deque()
        self.acked_revs: set[int] = set()
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self._persist_handle: asyncio.TimerHandle | None = None
        self._submit_tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self.acked = self.sent = await self.ctx.store.read(lambda c: OrderStore.cursor(c, SINK))
        await self.ctx.store.set_cursor(SINK, self.acked)
        parts = urlsplit(self.ctx.cfg.mqtt_url)
        self.ctx.state.update(mqtt="disconnected")
        self.client.connect_async(parts.hostname or "127.0.0.1", parts.port or 1883, keepalive=15)
        self.client.loop_start()
        self.ctx.store.listeners.append(lambda _changes: self.wake.set())
        spawn = self.ctx.supervisor.spawn
        self.tasks = [spawn("mqtt-publisher", self._publisher),
                      spawn("mqtt-health", self._health_loop)]

    async def stop(self) -> None:
        await cancel_and_wait(self.tasks)
        await self._persist()
        if self.connected:
            info = self.client.publish(self.root + "hub/state", "offline", qos=1, retain=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.to_thread(info.wait_for_publish, 2.0), 3.0)
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)

    # -- paho callbacks (paho's thread → hop onto the loop) --------------------------------
    def _on_connect(self, client: mqtt.Client, _ud: Any, _flags: Any, reason: Any,
                    _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("mqtt connect refused: %s", reason)
            return
        client.subscribe(self.root + "orders/submit", qos=1)
        client.publish(self.root + "hub/state", "online", qos=1, retain=True)
        self.loop.call_soon_threadsafe(self._set_connected, True)

    def _on_disconnect(self, _client: mqtt.Client, _ud: Any, _flags: Any, reason: Any,
                       _props: Any) -> None:
        self.loop.call_soon_threadsafe(self._set_connected, False)

    def _on_message(self, _client: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self.root + "orders/submit":
            self.loop.call_soon_threadsafe(self._spawn_submit, bytes(msg.payload))

    def _on_publish(self, _client: mqtt.Client, _ud: Any, mid: int, _reason: Any,
                    _props: Any) -> None:
        self.loop.call_soon_threadsafe(self._acked, mid)

    # -- on the loop -----------------------------------------------------------------------
    def _set_connected(self, up: bool) -> None:
        if up == self.connected:
            return
        self.connected = up
        if not up:
            # Whatever was in flight is published again after the reconnect.
            self.mid_rev.clear()
            self.sent_order.clear()
            self.acked_revs.clear()
            self.sent = self.acked
        log.info("mqtt %s", "connected" if up else "disconnected")
        self.ctx.state.update(mqtt="connected" if up else "disconnected")
        if up:
            self._publish_health()
        self.wake.set()

    def _acked(self, mid: int) -> None:
        rev = self.mid_rev.pop(mid, None)
        if rev is None:
            return
        self.acked_revs.add(rev)
        new = contiguous_acked(self.acked, self.acked_revs, list(self.sent_order))
        if new > self.acked:
            while self.sent_order and self.sent_order[0] <= new:
                self.acked_revs.discard(self.sent_order.popleft())
            self.acked = new
            if self._persist_handle is None:
                self._persist_handle = self.loop.call_later(
                    0.2, lambda: asyncio.ensure_future(self._persist()))
            self.wake.set()

    async def _persist(self) -> None:
        self._persist_handle = None
        try:
            await self.ctx.store.set_cursor(SINK, self.acked)
            self.ctx.state.set_problem("mqtt outbox", "")
        except STORE_FAULTS as exc:
            # The broker has these; only the durable position lags (a restart republishes
            # them, at least once). Try again in a second.
            self.ctx.state.set_problem("mqtt outbox", f"cannot record what the broker took: {exc}")
            if self._persist_handle is None:
                self._persist_handle = self.loop.call_later(
                    1.0, lambda: asyncio.ensure_future(self._persist()))

    def _topic_payload(self, ch: Change) -> tuple[str, str]:
        if ch.kind == "created":
            return self.root + "orders/new", dumps(ch.order)
        return self.root + "orders/status", dumps(status_update_payload(ch.order, ch.by))

    async def _publisher(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.connected and self.sent - self.acked < WINDOW:
                sent_from = self.sent
                changes = await self.ctx.store.read(
                    partial(OrderStore.changes_after, rev=sent_from, limit=READ_BATCH))
                if not changes or not self.connected or self.sent != sent_from:
                    break
                for ch in changes:
                    topic, payload = self._topic_payload(ch)
                    info = self.client.publish(topic, payload, qos=1)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        break
                    self.mid_rev[info.mid] = ch.rev
                    self.sent_order.append(ch.rev)
                    self.sent = ch.rev

    def _publish_health(self) -> None:
        self.client.publish(self.root + "hub/health", dumps(health_body(self.ctx)), qos=0,
                            retain=True)

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_EVERY)
            if self.connected:
                self._publish_health()

    def _spawn_submit(self, payload: bytes) -> None:
        task = asyncio.create_task(self._submit(payload))
        self._submit_tasks.add(task)
        task.add_done_callback(self._submit_tasks.discard)

    async def _submit(self, payload: bytes) -> None:
        """A device order from `orders/submit`, answered on `orders/ack/<client_id>`."""
        try:
            if len(payload) > MAX_PAYLOAD:
                raise ProtocolError("too_large", "MQTT payload over 64 KiB")
            data = json.loads(payload)
        except (ValueError, RecursionError):
            self.ctx.metrics.orders_rejected.labels("invalid_json").inc()
            log.warning("mqtt submit: not JSON; no client_id to answer")
            return
        except ProtocolError:
            self.ctx.metrics.orders_rejected.labels("too_large").inc()
            return
        client_id = data.get("client_id") if isinstance(data, dict) else None
        if not isinstance(client_id, str) or not _CLIENT_ID_RE.match(client_id):
            self.ctx.metrics.orders_rejected.labels("validation_failed").inc()
            log.warning("mqtt submit without a valid client_id; cannot answer")
            return
        ref = data.get("id") if isinstance(data.get("id"), str) else None
        token = data.get("token")
        authorized = isinstance(token, str) and token_matches(token, self.ctx.cfg.client_token)
        try:
            ack = await self.ctx.intake.submit(data.get("order"), transport="mqtt", source="mqtt",
                                               authorized=authorized)
            reply = build("ack", ack, ref=ref)
        except ProtocolError as exc:
            reply = build("error", exc.to_payload(ref), ref=ref)
        self.client.publish(self.root + f"orders/ack/{client_id}", dumps(reply), qos=1)
