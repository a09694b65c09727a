"""One chaos engine for the SIGKILL test in `make test` and for `make soak`.

Real parts only: Mosquitto, a central subprocess (SQLite), and a hub enrolled with it.
Around them run the clients the hub serves in a restaurant, each retrying the way the
real one does:

- WebSocket kiosks and HTTP kiosks: submit an order, and on any failure (refused
  connection, timeout, 5xx) send the *same* order (same uuid) again until it is acked —
  the browser's offline queue;
- MQTT devices: publish on `orders/submit` and wait for `orders/ack/<client_id>`; no ack
  within a few seconds → publish the same order again;
- kitchens: a WebSocket that resumes with `since_rev` = the highest rev it has seen.

A driver SIGKILLs the hub's process group at `kills` random points (seeded; the seed is
printed) and restarts it; sometimes during start-up, mostly while it serves.

What "exactly once" means here (decision record 0640): the hub may be killed after it
committed an order but before the ack left, so a client can legitimately send an order
twice and get `duplicate: true` the second time — clients retry, the hub de-duplicates
by uuid. What must hold at the end, for every order any client had *acknowledged*:

- the hub stores it exactly once and central holds it exactly once (by uuid);
- every kitchen received it as `new_order` exactly once over all its connections. The
  protocol promises this without any de-duplication on the kitchen's side: a commit
  is durable before the change is fanned out, revs only grow, and a resume with
  `since_rev = R` replays as `new_order` only orders created after R. A second
  `new_order` for one uuid on one kitchen is counted as a duplicate, not forgiven.

"Unexpected" is an order present somewhere that no client ever submitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.central.conftest import start_central
from tests.support.processes import Central, Hub, Mosquitto, Process, http_json
from tests.support.wsclient import make_order

SUBMIT_TIMEOUT = 3.0
WS_TIMEOUT = aiohttp.ClientWSTimeout(ws_close=3.0)


@dataclass
class ChaosConfig:
    """Everything that shapes one run; the defaults are the 5-minute run of issue 13."""

    kills: int = 200
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    ws_kiosks: int = 2
    http_kiosks: int = 2
    mqtt_devices: int = 2
    kitchens: int = 2
    up_seconds: tuple[float, float] = (0.05, 0.9)     # time the hub serves before a kill
    down_seconds: tuple[float, float] = (0.0, 0.2)   # time it stays dead
    early_kill_share: float = 0.2                    # kills during start-up, before /health
    settle_timeout: float = 180.0                    # after the last restart, to converge
    think_seconds: float = 0.02                      # a client's pause between orders


@dataclass
class Outcome:
    """What every place holds, and the verdict."""

    seed: int
    kills: int
    seconds: float
    submitted: set[str]
    acked: dict[str, str]                            # uuid → transport that got the ack
    places: dict[str, Counter[str]]                  # place → uuid → times present/received
    notes: list[str] = field(default_factory=list)

    def row(self, place: str) -> tuple[int, int, int, int]:
        seen = self.places[place]
        lost = sum(1 for u in self.acked if seen[u] == 0)
        duplicated = sum(1 for _u, n in seen.items() if n > 1)
        unexpected = sum(1 for u in seen if u not in self.submitted)
        return len(self.acked), lost, duplicated, unexpected

    @property
    def ok(self) -> bool:
        return all(self.row(p)[1:] == (0, 0, 0) for p in self.places) and not self.notes

    def table(self) -> str:
        by = Counter(self.acked.values())
        head = (f"seed {self.seed}: {self.kills} SIGKILLs in {self.seconds:.0f} s; "
                f"acked {len(self.acked)} ({', '.join(f'{k} {v}' for k, v in sorted(by.items()))})")
        lines = [head, f"{'place':<12} {'acked':>7} {'lost':>6} {'duplicated':>11} {'unexpected':>11}"]
        for place in self.places:
            acked, lost, dup, unexp = self.row(place)
            lines.append(f"{place:<12} {acked:>7} {lost:>6} {dup:>11} {unexp:>11}")
        lines += [f"note: {n}" for n in self.notes]
        lines.append("verdict: " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)


class MqttDevice:
    """An MQTT device: paho on its own thread, acks handed to the loop by uuid."""

    def __init__(self, port: int, root: str, client_id: str,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.root, self.client_id, self.loop = root, client_id, loop
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311, clean_session=True)
        self.client.on_connect = lambda c, *_a: c.subscribe(f"{root}orders/ack/{client_id}", 1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with contextlib.suppress(ValueError):
            reply = json.loads(msg.payload)
            self.loop.call_soon_threadsafe(self._resolve, reply)

    def _resolve(self, reply: dict[str, Any]) -> None:
        uuid = (reply.get("payload") or {}).get("uuid")
        fut = self.waiters.get(str(uuid))
        if fut is not None and not fut.done():
            fut.set_result(reply)

    async def submit(self, order: dict[str, Any]) -> dict[str, Any]:
        fut: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self.waiters[order["uuid"]] = fut
        try:
            self.client.publish(f"{self.root}orders/submit", json.dumps(
                {"client_id": self.client_id, "id": secrets.token_hex(4), "order": order}), qos=1)
            return await asyncio.wait_for(fut, SUBMIT_TIMEOUT)
        finally:
            self.waiters.pop(order["uuid"], None)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class ChaosRun:
    """The processes and clients of one run; `run()` returns the Outcome."""

    def __init__(self, workdir: Path, cfg: ChaosConfig, log: Any = print) -> None:
        self.workdir, self.cfg, self.log = workdir, cfg, log
        self.rng = random.Random(cfg.seed)
        self.procs: list[Process] = []
        self.submitted: set[str] = set()
        self.acked: dict[str, str] = {}
        self.kitchen_seen: list[Counter[str]] = [Counter() for _ in range(cfg.kitchens)]
        self.notes: list[str] = []
        self.last_error: dict[str, str] = {}          # client → its latest retry reason
        self.stop_submitting = asyncio.Event()
        self.stop_kitchens = asyncio.Event()
        self.hub: Hub
        self.central: Central
        self.outlet_id = 0
        self.admin = ""

    # -- set-up ------------------------------------------------------------------------------
    def _start_parts(self) -> None:
        broker = Mosquitto(self.workdir / "mqtt")
        broker.start()
        self.procs.append(broker)
        self.broker = broker
        self.central = start_central(self.workdir / "central",
                                     f"sqlite:///{self.workdir / 'central.db'}")
        self.procs.append(self.central)
        self.admin = self.central.admin_token()
        headers = {"Authorization": f"Bearer {self.admin}"}
        status, body = http_json(f"{self.central.base}/api/tenants/outlets/", "POST",
                                 {"name": "Chaos"}, headers)
        assert status in (200, 201), body
        self.outlet_id = int(body["id"])
        status, body = http_json(f"{self.central.base}/api/outlets/{self.outlet_id}"
                                 "/enrollment-tokens", "POST", None, headers)
        assert status in (200, 201), body
        self.hub = Hub(self.workdir, outlet_id=self.outlet_id, env={
            "HUB_CENTRAL_URL": self.central.base, "HUB_ENROLLMENT_TOKEN": body["token"],
            "HUB_HEARTBEAT_SECONDS": "1", "HUB_MQTT_URL": broker.url, "HUB_LOG_LEVEL": "warning"})
        self.procs.append(self.hub)
        self.hub.start()

    def close(self) -> None:
        for p in reversed(self.procs):
            p.kill()

    def _order(self, who: str, i: int) -> dict[str, Any]:
        order = make_order(f"{who}-{i}", 1 + i % 3, outlet_id=self.outlet_id)
        self.submitted.add(order["uuid"])
        return order

    # -- clients -------------------------------------------------------------------------------
    async def _ws_kiosk(self, n: int) -> None:
        session = aiohttp.ClientSession()
        ws: aiohttp.ClientWebSocketResponse | None = None
        i = 0
        try:
            while not self.stop_submitting.is_set():
                order = self._order(f"W{n}", i)
                while True:
                    try:
                        if ws is None or ws.closed:
                            ws = await session.ws_connect(self.hub.ws_url, params={
                                "client_type": "pos", "client_id": f"kiosk-ws-{n}"}, timeout=WS_TIMEOUT)
                        msg_id = secrets.token_hex(4)
                        await ws.send_str(json.dumps({"type": "new_order", "id": msg_id,
                                                      "payload": order}))
                        reply = await asyncio.wait_for(self._reply(ws, msg_id), SUBMIT_TIMEOUT)
                        if reply["type"] == "ack":
                            self.acked[order["uuid"]] = "ws"
                            break
                        code = reply["payload"].get("code")
                        self.last_error[f"ws-kiosk-{n}"] = repr(reply)
                        if code != "unavailable":
                            self.notes.append(f"ws kiosk refused a valid order: {reply}")
                            break
                    except (OSError, TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
                        self.last_error[f"ws-kiosk-{n}"] = repr(exc)
                        if ws is not None:
                            await ws.close()
                        ws = None
                    await asyncio.sleep(0.05)
                i += 1
                await asyncio.sleep(self.cfg.think_seconds)
        finally:
            if ws is not None:
                await ws.close()
            await session.close()

    @staticmethod
    async def _reply(ws: aiohttp.ClientWebSocketResponse, msg_id: str) -> dict[str, Any]:
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket ended: {msg.type}")
            data = json.loads(msg.data)
            if data.get("ref") == msg_id:
                return dict(data)

    async def _http_kiosk(self, n: int) -> None:
        timeout = aiohttp.ClientTimeout(total=SUBMIT_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            i = 0
            while not self.stop_submitting.is_set():
                order = self._order(f"H{n}", i)
                while True:
                    try:
                        async with session.post(f"{self.hub.base}/api/orders", json=order) as r:
                            body = await r.json(content_type=None)
                            if r.status in (200, 201):
                                self.acked[order["uuid"]] = "http"
                                break
                            if r.status < 500:
                                self.notes.append(f"http kiosk refused: {r.status} {body}")
                                break
                    except (OSError, TimeoutError, aiohttp.ClientError, ValueError):
                        pass
                    await asyncio.sleep(0.05)
                i += 1
                await asyncio.sleep(self.cfg.think_seconds)

    async def _mqtt_device(self, n: int) -> None:
        device = MqttDevice(self.broker.port, f"kitchen-sync/{self.outlet_id}/", f"device-{n}",
                         asyncio.get_running_loop())
        try:
            i = 0
            while not self.stop_submitting.is_set():
                order = self._order(f"M{n}", i)
                while True:
                    try:
                        reply = await device.submit(order)
                        if reply["type"] == "ack":
                            self.acked[order["uuid"]] = "mqtt"
                            break
                        if reply["payload"].get("code") != "unavailable":
                            self.notes.append(f"mqtt device refused: {reply}")
                            break
                    except TimeoutError:
                        pass
                i += 1
                await asyncio.sleep(self.cfg.think_seconds)
        finally:
            device.close()

    async def _kitchen(self, n: int) -> None:
        seen = self.kitchen_seen[n]
        position = 0
        async with aiohttp.ClientSession() as session:
            while not self.stop_kitchens.is_set():
                try:
                    async with session.ws_connect(self.hub.ws_url, timeout=WS_TIMEOUT, params={
                            "client_type": "kitchen", "client_id": f"kitchen-{n}",
                            "since_rev": str(position)}) as ws:
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                break
                            data = json.loads(msg.data)
                            payload = data.get("payload") or {}
                            if data.get("type") == "new_order":
                                seen[payload["uuid"]] += 1
                            if data.get("type") in ("new_order", "order_status_update"):
                                position = max(position, int(payload["rev"]))
                            if self.stop_kitchens.is_set():
                                break
                except (OSError, TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(0.05)

    # -- the driver ------------------------------------------------------------------------------
    async def _killer(self) -> None:
        cfg, rng = self.cfg, self.rng
        for k in range(cfg.kills):
            if rng.random() < cfg.early_kill_share:
                await asyncio.sleep(rng.uniform(0.0, 0.6))        # mid start-up/migration
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.to_thread(self._wait_health, 30.0)
                await asyncio.sleep(rng.uniform(*cfg.up_seconds))
            self.hub.kill()
            await asyncio.sleep(rng.uniform(*cfg.down_seconds))
            self.hub.start(wait=False)
            if (k + 1) % 50 == 0:
                self.log(f"chaos: {k + 1}/{cfg.kills} kills, {len(self.acked)} acked")
        await asyncio.to_thread(self._wait_health, 60.0)

    def _wait_health(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if http_json(f"{self.hub.ops}/health", timeout=1.0)[0] in (200, 503):
                    return
            time.sleep(0.02)
        raise TimeoutError(f"hub not up after {timeout}s; log tail:\n{self.hub.log()[-3000:]}")

    # -- reading what every place holds -------------------------------------------------------
    def _hub_orders(self) -> Counter[str]:
        rows: list[dict[str, Any]] = []
        while True:
            since = rows[-1]["id"] if rows else 0
            status, page = http_json(f"{self.hub.base}/api/orders?since_id={since}&limit=1000",
                                     timeout=30)
            assert status == 200, page
            rows += page
            if len(page) < 1000:
                return Counter(r["uuid"] for r in rows)

    def _central_orders(self) -> Counter[str]:
        rows: list[dict[str, Any]] = []
        headers = {"Authorization": f"Bearer {self.admin}"}
        while True:
            since = rows[-1]["id"] if rows else 0
            status, body = http_json(f"{self.central.base}/api/orders/?outlet_id="
                                     f"{self.outlet_id}&since_id={since}&limit=1000",
                                     headers=headers, timeout=30)
            assert status == 200, body
            rows += body["orders"]
            if len(body["orders"]) < 1000:
                return Counter(r["uuid"] for r in rows)

    def _converged(self) -> bool:
        want = set(self.acked)
        return (want <= set(self._central_orders())
                and all(want <= set(seen) for seen in self.kitchen_seen))

    async def run(self) -> Outcome:
        self.log(f"chaos: seed {self.cfg.seed}, {self.cfg.kills} kills")
        started = time.monotonic()
        await asyncio.to_thread(self._start_parts)
        cfg = self.cfg
        kitchens = [asyncio.create_task(self._kitchen(n)) for n in range(cfg.kitchens)]
        clients = ([asyncio.create_task(self._ws_kiosk(n)) for n in range(cfg.ws_kiosks)]
                   + [asyncio.create_task(self._http_kiosk(n)) for n in range(cfg.http_kiosks)]
                   + [asyncio.create_task(self._mqtt_device(n)) for n in range(cfg.mqtt_devices)])
        try:
            await self._killer()
            self.stop_submitting.set()
            try:
                await asyncio.wait_for(asyncio.gather(*clients), 120)  # in-flight retries end
            except TimeoutError:
                raise AssertionError(f"clients still retrying 120 s after the last restart: "
                                     f"{self.last_error}") from None
            deadline = time.monotonic() + cfg.settle_timeout
            while time.monotonic() < deadline:
                if await asyncio.to_thread(self._converged):
                    break
                await asyncio.sleep(0.5)
            else:
                self.notes.append(f"not converged {cfg.settle_timeout:.0f} s after the last "
                                  "restart (central or a kitchen still missing acked orders)")
            await asyncio.sleep(1.0)            # a late duplicate would show up now
            places: dict[str, Counter[str]] = {
                "hub": await asyncio.to_thread(self._hub_orders),
                "central": await asyncio.to_thread(self._central_orders)}
            for n, seen in enumerate(self.kitchen_seen):
                places[f"kitchen-{n}"] = Counter(seen)
        finally:
            self.stop_submitting.set()
            self.stop_kitchens.set()
            for t in clients + kitchens:
                t.cancel()
            await asyncio.gather(*clients, *kitchens, return_exceptions=True)
        return Outcome(cfg.seed, cfg.kills, time.monotonic() - started, set(self.submitted),
                       dict(self.acked), places, list(self.notes))
