"""Requests per key and minute, counted in the database (revision 0008_rate_limits), so
that every server process of an archive counts the same requests: a sliding window,
estimated from this minute's count and the last minute's weighted by how much of it is
still within the last 60 s. One upsert per request (atomic on both backends); a refused
request is not counted."""
from __future__ import annotations

import time

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()
rate_limits = Table(
    "rate_limits", metadata,
    Column("key", String(200), primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
)
WINDOW_S = 60


class RateLimitStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
            engine.dialect.name]

    def waiting(self, key: str, per_minute: int, now: float | None = None) -> float:
        """Without counting anything: 0 if one more request of `key` would be allowed now,
        else about the seconds until it would be."""
        now = time.time() if now is None else now
        window, into = divmod(now, WINDOW_S)
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(rate_limits.c.window, rate_limits.c.count).where(
                (rate_limits.c.key == key[:200]) & rate_limits.c.window.in_(
                    [int(window), int(window) - 1]))).all())
        before, count = counts.get(int(window) - 1, 0), counts.get(int(window), 0)
        # as `take` would count it: with this one request, within the limit (a fraction of
        # the last minute's share left over must not let a request through uncounted)
        if before * (1 - into / WINDOW_S) + count + 1 <= per_minute:
            return 0.0
        return float(WINDOW_S - into) or 1.0

    def take(self, key: str, per_minute: int, now: float | None = None) -> float:
        """Count one request of `key`: 0 if it is allowed, else the seconds to wait."""
        now = time.time() if now is None else now
        window, into = divmod(now, WINDOW_S)
        window = int(window)
        key = key[:200]
        upsert = self.insert(rate_limits).values(key=key, window=window, count=1)
        with self.engine.begin() as conn:
            count = conn.execute(upsert.on_conflict_do_update(
                index_elements=[rate_limits.c.key, rate_limits.c.window],
                set_={"count": rate_limits.c.count + 1}).returning(rate_limits.c.count)
            ).scalar_one()
            before = conn.execute(select(rate_limits.c.count).where(
                (rate_limits.c.key == key) & (rate_limits.c.window == window - 1))).scalar() or 0
            if count == 1:  # the key's first request this minute: forget older minutes
                conn.execute(delete(rate_limits).where(rate_limits.c.window < window - 1))
            estimate = before * (1 - into / WINDOW_S) + count
            if estimate <= per_minute:
                return 0.0
            conn.execute(rate_limits.update().where(
                (rate_limits.c.key == key) & (rate_limits.c.window == window))
                .values(count=rate_limits.c.count - 1))  # a refusal is not counted
        if not per_minute:
            return float(WINDOW_S)
        # when the last minute's share has faded enough for one more request
        if before:
            fade = (estimate - per_minute) / before * WINDOW_S
            return max(1.0, min(float(WINDOW_S), fade))
        return float(WINDOW_S - into) or 1.0
