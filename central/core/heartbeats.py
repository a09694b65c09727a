"""Heartbeats written in batches: the queue and the per-batch decisions, with no I/O.

At 2,000 hubs beating every 15 s (133/s) a transaction per heartbeat — token lookup,
previous snapshot, update, menu version — cost four round trips each and left a quarter of
them unserved (p99 8.2 s, issue 15). Here the adapter queues each heartbeat with its token
digest, one writer takes everything queued, and `plan_batch` decides for the whole batch
from one SELECT: who is authenticated, which rows to write (one executemany), which outlets
follow a new websocket_url and which hubs announce a kitchen change. Each heartbeat is
answered only after the batch that holds it has committed (docs/decisions/0710).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from central.core import credentials, fleet
from outlet_protocol.errors import ProtocolError

T = TypeVar("T")


@dataclass(frozen=True)
class Beat:
    """One heartbeat as received: the caller's token digest and its parsed snapshot."""

    token_digest: str
    snapshot: dict[str, Any]
    received: float


@dataclass(frozen=True)
class HubState:
    """What the batch needs to know of a hub before it writes: identity and last snapshot."""

    hub_id: str
    outlet_id: int
    token_digest: str
    last_heartbeat: dict[str, Any] | None
    last_seen: float | None
    offline_announced_at: float | None
    version: str | None
    websocket_url: str | None
    addresses: list[str] | None


@dataclass(frozen=True)
class Outcome:
    """How one heartbeat ends: the hub it came from, or the error to answer with; and the
    kitchens count to announce (None: nothing changed)."""

    hub_id: str | None
    outlet_id: int | None
    error: ProtocolError | None
    kitchens_changed: int | None


@dataclass(frozen=True)
class BatchPlan:
    """The writes for one batch: one row per hub (executemany), the outlets whose URL may
    follow the hub, and one outcome per heartbeat in the order they were queued."""

    rows: list[dict[str, Any]]
    follow_urls: list[tuple[int, str, float]]
    outcomes: list[Outcome]


def plan_batch(beats: Sequence[Beat], known: Mapping[str, HubState]) -> BatchPlan:
    """Decide a batch against the hubs found by digest (`known`); later beats of one hub
    supersede earlier ones (one row per hub), each still gets its own outcome."""
    latest: dict[str, dict[str, Any]] = {}
    follow: dict[int, tuple[int, str, float]] = {}
    state: dict[str, HubState] = {}
    outcomes: list[Outcome] = []
    for beat in beats:
        hub = state.get(beat.token_digest) or known.get(beat.token_digest)
        if hub is None or not credentials.same(hub.token_digest, beat.token_digest):
            outcomes.append(Outcome(None, None, ProtocolError("unauthorized",
                                                              "hub token required"), None))
            continue
        claimed = beat.snapshot.get("hub_id")
        if claimed not in (None, hub.hub_id):
            outcomes.append(Outcome(hub.hub_id, hub.outlet_id, ProtocolError(
                "forbidden", "hub_id does not match the hub token", "hub_id"), None))
            continue
        snap = dict(beat.snapshot, received_at=beat.received,
                    clock_skew_seconds=fleet.clock_skew(beat.snapshot.get("hub_time"),
                                                        beat.received))
        if snap.get("sold_out") is None:     # not reported this time: keep the last set
            snap["sold_out"] = (hub.last_heartbeat or {}).get("sold_out") or []
        before = (hub.last_heartbeat or {}).get("kitchens_connected")
        after: int = snap["kitchens_connected"]
        came_back = fleet.was_announced_offline(hub.last_seen, hub.offline_announced_at)
        url = beat.snapshot.get("websocket_url")
        addresses = beat.snapshot.get("addresses")
        version: str | None = beat.snapshot.get("version") or hub.version
        ws_url: str | None = url or hub.websocket_url
        kept: list[str] | None = hub.addresses if addresses is None else addresses
        row = {"b_hub_id": hub.hub_id, "b_last_seen": beat.received, "b_last_heartbeat": snap,
               "b_version": version, "b_websocket_url": ws_url, "b_addresses": kept}
        latest[hub.hub_id] = row
        if url and url != hub.websocket_url:
            follow[hub.outlet_id] = (hub.outlet_id, url, beat.received)
        outcomes.append(Outcome(hub.hub_id, hub.outlet_id, None,
                                after if before != after or came_back else None))
        # The next beat of this hub in the same batch compares against this one.
        state[beat.token_digest] = HubState(
            hub.hub_id, hub.outlet_id, hub.token_digest, snap, beat.received,
            hub.offline_announced_at, version, ws_url, kept)
    return BatchPlan(list(latest.values()), list(follow.values()), outcomes)


class BeatQueue(Generic[T]):
    """Heartbeats waiting for the writer, each with the adapter's ticket (its reply future).

    Bounded: 2,000 hubs queue ~133 per second, so `max_pending` of 20,000 is minutes of a
    stalled database; past it a heartbeat is refused (503) rather than held in memory.
    """

    def __init__(self, max_pending: int = 20_000, max_batch: int = 1_000) -> None:
        self.max_pending = max_pending
        self.max_batch = max_batch
        self._items: deque[tuple[Beat, T]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, beat: Beat, ticket: T) -> bool:
        """Queue a heartbeat; False when the queue is full."""
        if len(self._items) >= self.max_pending:
            return False
        self._items.append((beat, ticket))
        return True

    def take(self) -> list[tuple[Beat, T]]:
        """The next batch, oldest first, at most `max_batch` (one transaction's worth)."""
        n = min(len(self._items), self.max_batch)
        return [self._items.popleft() for _ in range(n)]

    def take_all(self) -> list[tuple[Beat, T]]:
        """Everything queued (shutdown: each is answered with an error, none left waiting)."""
        items = list(self._items)
        self._items.clear()
        return items
