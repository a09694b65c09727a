"""A plain paho MQTT client for tests: subscribe, collect, publish — the way a device would."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class MqttProbe:
    """Connects to a real broker and records every message on its subscriptions."""

    def __init__(self, port: int, client_id: str, topics: list[str], clean: bool = True) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311, clean_session=clean)
        self.topics = topics
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = lambda *a: self._connected.clear()
        self.client.reconnect_delay_set(0.1, 1)
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        if not self._connected.wait(10):
            raise TimeoutError("MQTT probe could not connect")

    def _on_connect(self, client: mqtt.Client, *_args: Any) -> None:
        for t in self.topics:
            client.subscribe(t, qos=1)
        self._connected.set()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def wait_connected(self, timeout: float = 15) -> None:
        if not self._connected.wait(timeout):
            raise TimeoutError("MQTT probe not reconnected")

    def publish(self, topic: str, payload: Any, qos: int = 1) -> None:
        data = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        self.client.publish(topic, data, qos=qos).wait_for_publish(5)

    def on(self, topic: str) -> list[Any]:
        with self._lock:
            items = [p for t, p, _r in self.messages if t == topic]
        out = []
        for p in items:
            try:
                out.append(json.loads(p))
            except ValueError:
                out.append(p.decode(errors="replace"))
        return out

    def wait_for(self, topic: str, pred: Any = lambda _p: True, timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.on(topic):
                if pred(p):
                    return p
            time.sleep(0.02)
        raise TimeoutError(f"nothing matching on {topic}; got {self.on(topic)[-3:]}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
