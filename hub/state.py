"""The hub's view of its own health: what `hub_status`, `/api/status` and `/health` report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HubState:
    """Degradation facts set by the adapters; listeners hear every change (→ `hub_status`)."""

    central: str = "disabled"        # ok | unreachable | disabled | unenrolled
    mqtt: str = "disabled"           # connected | disconnected | disabled
    pending_sync: int = 0
    oldest_unsynced_age: float = 0.0
    mqtt_pending: int = 0
    menu_version: int = 0
    menu_synced_at: str | None = None
    enrolled: bool = False
    central_error: str = ""
    # Named faults an adapter is working through (e.g. "outbox": "central refused a batch
    # with 413; splitting it"), shown on /health until the adapter clears them.
    problems: dict[str, str] = field(default_factory=dict)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        """The `hub_status` object of docs/protocol.md §2."""
        return {"lan": "ok", "central": "ok" if self.central == "ok" else
                ("disabled" if self.central == "disabled" else "unreachable"),
                "mqtt": self.mqtt, "pending_sync": self.pending_sync,
                "menu_version": self.menu_version, "menu_synced_at": self.menu_synced_at}

    def update(self, **changes: Any) -> None:
        """Set fields; notify listeners only if the visible status changed."""
        before = self.snapshot()
        for key, value in changes.items():
            setattr(self, key, value)
        after = self.snapshot()
        if after != before:
            for listener in self.listeners:
                listener(after)

    def set_problem(self, key: str, reason: str) -> None:
        """Name a fault on /health (an empty reason clears it)."""
        if reason:
            self.problems[key] = reason[:300]
        else:
            self.problems.pop(key, None)

    def degraded_reasons(self) -> list[str]:
        reasons = [f"{key}: {reason}" for key, reason in sorted(self.problems.items())]
        if self.mqtt == "disconnected":
            reasons.append("mqtt broker unreachable")
        if self.central == "unreachable":
            reasons.append(f"central unreachable{': ' + self.central_error if self.central_error else ''}")
        if self.central == "unenrolled":
            reasons.append("not enrolled with central (set HUB_ENROLLMENT_TOKEN)")
        return reasons
