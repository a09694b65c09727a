"""The last answers to `GET /api/orders`, kept until the next commit.

Why: fifty kitchens polling every second ask the same few questions (`since_rev=<the
last rev they saw>`, their tenants), and between two commits the answer cannot change:
every write to the orders goes through the store's one writer, and each of its batches
bumps `OrderStore.commits` on the loop before any ack or fan-out. Before this cache a
poll cost a query, a row fetch and JSON building per request (profile in bench/results/,
decision 1901); now it costs a dict lookup until something is committed.

Pure bookkeeping: the adapter (`http_api.list_orders`) decides what the key is and passes
the store's commit count; nothing here touches I/O.
"""

from __future__ import annotations

from collections.abc import Hashable

MAX_ENTRIES = 256        # distinct questions kept per commit; more and the cache starts over


class PollCache:
    """(key → (body, X-Last-Rev)) valid for one commit generation."""

    __slots__ = ("_entries", "_generation", "hits", "misses")

    def __init__(self) -> None:
        self._generation = -1
        self._entries: dict[Hashable, tuple[str, int]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, generation: int, key: Hashable) -> tuple[str, int] | None:
        """The answer stored for `key` at this generation, or None."""
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
        hit = self._entries.get(key)
        if hit is None:
            self.misses += 1
        else:
            self.hits += 1
        return hit

    def put(self, generation: int, key: Hashable, body: str, last_rev: int) -> None:
        """Keep an answer read at `generation`; dropped if a commit happened meanwhile."""
        if generation != self._generation:
            return                      # read across a commit: the next poll reads again
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (body, last_rev)
