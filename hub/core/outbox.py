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


# Central answers 400 for a batch it cannot parse and 413 for one too large: either may be
# one bad order among a hundred good ones (issue 13: one 18 MB order stopped every order
# after it for ever). Any other status is central's trouble, retried as it was.
BATCH_REFUSALS = frozenset({400, 413})
# When this many single entries in a row are refused with 400 and nothing accepted between
# them, the fault is central's (a bad deploy), not the orders': stop setting orders aside
# and retry instead. A single order refused with 413 is too large whatever central's state.
REFUSAL_STREAK_LIMIT = 5


class Bisection:
    """Finds the entries central refuses inside a refused batch by sending halves, in order.

    The ranges are half-open index ranges over the batch, front first; the caller sends the
    front range, then reports `accepted()` or `refused()`. A refused range of one entry is
    returned to the caller to set aside; everything else is sent, in rev order, so the
    cursor can move after each accepted range.
    """

    def __init__(self, size: int, streak: int = 0) -> None:
        self.ranges: list[tuple[int, int]] = [(0, size)] if size else []
        self.streak = streak

    def front(self) -> tuple[int, int] | None:
        """The range to send next, or None when the batch is done."""
        return self.ranges[0] if self.ranges else None

    def accepted(self) -> int:
        """Central took the front range; returns the index of its last entry."""
        _start, end = self.ranges.pop(0)
        self.streak = 0
        return end - 1

    def refused(self, status: int) -> int | None:
        """Central refused the front range with `status`: split it, or return the one index
        to set aside; None when split, or when central is at fault (see `central_at_fault`)."""
        start, end = self.ranges[0]
        if end - start > 1:
            mid = (start + end) // 2
            self.ranges[0:1] = [(start, mid), (mid, end)]
            return None
        if status != 413:
            self.streak += 1
            if self.central_at_fault:
                return None
        self.ranges.pop(0)
        return start

    @property
    def central_at_fault(self) -> bool:
        """Too many single entries refused in a row: central refuses everything, not one order."""
        return self.streak >= REFUSAL_STREAK_LIMIT
