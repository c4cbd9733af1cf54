"""Idempotent requests: the first answer to an `Idempotency-Key`, kept per agency.

The key is reserved before the work starts (a row with status 0), so a retry arriving
while the first request still runs waits for its answer instead of doing the work twice;
a request that fails releases its key, so the retry does the work.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.archive_tables import idempotency_keys as keys

IN_PROGRESS = 0


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int  # 0 while the first request runs
    body: str


class IdempotencyStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def _where(self, agency_code: str, key: str):
        return (keys.c.agency_code == agency_code) & (keys.c.key == key)

    def get(self, agency_code: str, key: str) -> StoredAnswer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(keys.c.fingerprint, keys.c.status, keys.c.body)
                               .where(self._where(agency_code, key))).first()
        return StoredAnswer(row.fingerprint, row.status, row.body) if row else None

    def reserve(self, agency_code: str, key: str, fingerprint: str) -> StoredAnswer | None:
        """None if this request reserved the key (it does the work); else the answer of
        the request that did (waited for up to `wait_s` while it runs)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(keys).values(agency_code=agency_code, key=key,
                                                 fingerprint=fingerprint, status=IN_PROGRESS,
                                                 body="", created_at=datetime.now(UTC)))
            return None
        except IntegrityError:
            return self.wait(agency_code, key)

    def wait(self, agency_code: str, key: str, wait_s: float = 60.0) -> StoredAnswer | None:
        deadline = time.monotonic() + wait_s
        while True:
            answer = self.get(agency_code, key)
            if answer is None or answer.status != IN_PROGRESS or time.monotonic() > deadline:
                return answer
            time.sleep(0.2)

    def complete(self, agency_code: str, key: str, status: int, body: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(keys).where(self._where(agency_code, key))
                         .values(status=status, body=body))

    def release(self, agency_code: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(keys).where(self._where(agency_code, key)
                                            & (keys.c.status == IN_PROGRESS)))
