"""Helpers the fault tests share: polling with a deadline, /health reasons, an order till."""

from __future__ import annotations

import re
import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from tests.support.fake_central import FakeCentral
from tests.support.processes import Hub, http_json
from tests.support.wsclient import make_order

# The hub retries central on a backoff that tops out at 30 s ± 20 % (hub/central_link.py):
# a loop that failed five times while a fault was on (easy on a loaded CI machine) may
# legitimately wait 36 s before the try that heals it, so recovery gets more than that.
RECOVERY_SECONDS = 60.0


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll until `check` is truthy (faults recover on the hub's own backoff)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout}s (last: {value!r})")


def health(hub: Hub) -> dict[str, Any]:
    return dict(http_json(f"{hub.ops}/health")[1])


def healthy_again(hub: Hub, what: str, timeout: float = RECOVERY_SECONDS) -> None:
    """Wait for /health ok; on failure, say which reasons were still there."""
    left: list[str] = []

    def ok() -> bool:
        body = health(hub)
        left[:] = list(body["reasons"]) or [body["status"]]
        return body["status"] == "ok"

    try:
        eventually(ok, what, timeout)
    except AssertionError:
        raise AssertionError(f"{what}: /health not ok within {timeout}s, still: {left}") from None


def reason_with(hub: Hub, *words: str) -> str | None:
    """The /health reason containing every word, while the hub says degraded."""
    body = health(hub)
    if body["status"] == "ok":
        return None
    for reason in body["reasons"]:
        if all(w in reason for w in words):
            return str(reason)
    return None


def restarts(hub: Hub) -> int:
    """Supervised task restarts so far: a loop that died instead of handling the fault."""
    _, text = http_json(f"{hub.ops}/metrics")
    return sum(int(float(v)) for v in re.findall(r'^outlet_hub_task_restarts_total\{[^}]*\} (\S+)',
                                                 str(text), re.M))


def restarted_tasks(hub: Hub) -> list[str]:
    """Which supervised tasks restarted and why (/health's task list), for a failure message."""
    return [f"{t['name']}: {t['restarts']} ({t['last_error']})" for t in health(hub).get("tasks", [])
            if t.get("restarts")]


class Till:
    """Orders sent to the hub, and what the hub acknowledged."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.acked: list[str] = []

    def sell(self, **extra: Any) -> str:
        order = make_order(f"T-{len(self.acked) + 1}", uuid=str(uuidlib.uuid4()), **extra)
        status, body = http_json(f"{self.hub.base}/api/orders", "POST", order)
        assert status == 201, f"the hub must keep taking orders while central misbehaves: {body}"
        self.acked.append(order["uuid"])
        return order["uuid"]


def assert_exactly_once_at_central(central: FakeCentral, acked: list[str],
                                   set_aside: frozenset[str] = frozenset()) -> None:
    expected = set(acked) - set_aside
    # A retry scheduled just before the fault cleared may sleep out the link's capped
    # backoff (30 s + 20 % jitter) first: late is allowed, lost or twice is not.
    eventually(lambda: set(central.orders) >= expected, "every acked order at central",
               timeout=60.0)
    assert set(central.orders) == expected, "central has orders the hub never acked"
    assert all(central.created[u] == 1 for u in expected), "an order was created twice"
