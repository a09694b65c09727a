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
