"""Flood control as arithmetic: a token bucket that is told the time instead of reading it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens per second up to `burst`; `allow(now)` spends one if there is one."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: float = 0.0
    refused: int = 0

    def allow(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False


class KeyedBuckets:
    """One TokenBucket per key (an address, a token's digest), at most `max_keys` of them.

    The least recently used key is forgotten first, so a client cycling through made-up
    tokens costs memory bounded by `max_keys` and only resets buckets of idle keys.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.buckets: dict[str, TokenBucket] = {}

    def allow(self, key: str, now: float) -> bool:
        bucket = self.buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst)
            if len(self.buckets) >= self.max_keys:
                del self.buckets[next(iter(self.buckets))]
        self.buckets[key] = bucket            # re-inserted: dict order is recency order
        return bucket.allow(now)
