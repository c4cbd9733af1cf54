"""A token bucket per client address, in this process (one service process; behind
several, a shared store would take its place)."""
from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None):
        self.rate = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()

    def allow(self, address: str) -> float:
        """0 if allowed now; else the seconds until it would be."""
        now = time.monotonic()
        with self._lock:
            tokens, when = self._buckets.get(address, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - when) * self.rate)
            if tokens >= 1:
                self._buckets[address] = (tokens - 1, now)
                return 0.0
            self._buckets[address] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle addresses
                self._buckets.clear()
            return (1 - tokens) / self.rate if self.rate else 60.0
