"""Outbox policy: how far to read ahead and how long to wait after a failure.

The outboxes themselves are cursors over the change feed (see `hub.store`): a sink has
confirmed everything up to its cursor, and what lies after it is pending, in rev order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with a cap and proportional jitter (so a fleet does not stampede HQ)."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.2

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before retry number `attempt` (0-based); `rand` in [0, 1)."""
        base = min(self.maximum, self.initial * self.factor ** max(0, min(attempt, 32)))
        return max(0.0, base * (1 - self.jitter + 2 * self.jitter * rand))


def contiguous_acked(cursor: int, acked: set[int], sent_order: list[int]) -> int:
    """Advance `cursor` over the revs in `sent_order` that are all acked, in order.

    A broker may confirm QoS 1 messages out of order; the durable cursor only moves past
    a rev once everything before it is confirmed too, so a restart never skips one.
    """
    for rev in sent_order:
        if rev <= cursor:
            continue
        if rev not in acked:
            break
        cursor = rev
    return cursor
