"""Verification look-ups per client address and minute, counted in the archive's
database (storage.ratelimits), so every process of `sohoa serve --workers N`, and every
server of one archive, enforces one limit together."""
from __future__ import annotations

from storage.ratelimits import RateLimitStore


class RateLimiter:
    def __init__(self, per_minute: int, store: RateLimitStore, scope: str = "verify"):
        self.per_minute, self.store, self.scope = per_minute, store, scope

    def allow(self, address: str) -> float:
        """0 if allowed now; else the seconds until it would be."""
        return self.store.take(f"{self.scope}:{address}", self.per_minute)
