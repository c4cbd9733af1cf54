"""The audit trail: an append-only list of who did or read what, chained by hash.

Every event carries the SHA-256 of its predecessor and its own, computed over its fields
as canonical JSON (storage the same on SQLite and PostgreSQL: time as ISO text, changes as
JSON text). The last link is also kept in `audit_head`, so removing the newest events
shows too. Triggers (revision 0004) refuse UPDATE and DELETE; `verify` finds what someone
who got around them changed. Appending is serialized: an advisory lock on PostgreSQL, the
write lock taken at BEGIN on SQLite, so two writers never fork the chain.

Secrets never enter it: keys that name one are replaced before anything is hashed.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select, text, update

from storage.archive_tables import audit_events, audit_head

GENESIS = "0" * 64
_LOCK_KEY = 0x736F686F6141  # pg_advisory_xact_lock: one appender at a time
_SECRET_KEY = re.compile(r"token|secret|passphrase|password|authorization|private", re.I)
_HASHED = ("seq", "at", "agency_code", "actor", "action", "object_type", "object_id",
           "changes", "request_id", "prev_hash")


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    at: str
    agency_code: str | None
    actor: str
    action: str
    object_type: str
    object_id: str
    changes: str  # canonical JSON
    request_id: str | None
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return {**asdict(self), "changes": json.loads(self.changes)}


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    message: str  # Vietnamese, for the auditor


def _scrub(value):
    if isinstance(value, dict):
        return {k: "[redacted]" if _SECRET_KEY.search(str(k)) else _scrub(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def event_hash(fields: dict) -> str:
    return hashlib.sha256(canonical({k: fields[k] for k in _HASHED}).encode()).hexdigest()


class AuditTrail:
    def __init__(self, engine: Engine, appending_engine: Engine | None = None):
        """`appending_engine`: for SQLite, one whose transactions take the write lock at
        BEGIN (storage.index_db.make_engine(url, immediate=True))."""
        self.engine = engine
        self.appending = appending_engine or engine
        # Appends take turns in this process before they reach the database: SQLite's
        # busy handler would otherwise make concurrent requests sleep and retry (seconds of
        # tail latency under load); the database lock still orders other processes.
        self._turn = threading.Lock()

    def append(self, *, actor: str, action: str, object_type: str, object_id: str,
               agency_code: str | None = None, changes: dict | None = None,
               request_id: str | None = None) -> AuditEvent:
        with self._turn, self.appending.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                                .where(audit_head.c.id == 1)).first()
            seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
            row = dict(seq=seq, at=datetime.now(UTC).isoformat(timespec="microseconds"),
                       agency_code=agency_code, actor=actor, action=action,
                       object_type=object_type, object_id=str(object_id),
                       changes=canonical(_scrub(changes or {})), request_id=request_id,
                       prev_hash=prev)
            row["hash"] = event_hash(row)
            conn.execute(insert(audit_events).values(row))
            if head:
                conn.execute(update(audit_head).where(audit_head.c.id == 1)
                             .values(seq=seq, hash=row["hash"]))
            else:
                conn.execute(insert(audit_head).values(id=1, seq=seq, hash=row["hash"]))
        return AuditEvent(**row)

    def events(self, agency_code: str | None = None, *, after: int = 0,
               limit: int | None = None) -> list[AuditEvent]:
        query = select(audit_events).where(audit_events.c.seq > after).order_by(audit_events.c.seq)
        if agency_code is not None:
            query = query.where(audit_events.c.agency_code == agency_code)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [AuditEvent(**row._mapping) for row in conn.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(audit_events)).scalar_one()

    def _all(self, batch: int = 5000) -> Iterator[AuditEvent]:
        after = 0
        while chunk := self.events(after=after, limit=batch):
            yield from chunk
            after = chunk[-1].seq

    def verify(self) -> list[ChainProblem]:
        """Every break in the chain: an event edited, removed or added out of order."""
        problems: list[ChainProblem] = []
        expected_seq, prev = 1, GENESIS
        for event in self._all():
            fields = asdict(event)
            if event.seq != expected_seq:
                problems.append(ChainProblem(event.seq, f"Thiếu sự kiện số {expected_seq}"
                                             f"–{event.seq - 1} (đã bị xóa)."))
            if event.prev_hash != prev:
                problems.append(ChainProblem(event.seq, f"Sự kiện số {event.seq} không nối "
                                             "với sự kiện trước nó (chuỗi băm bị đứt)."))
            if event_hash(fields) != event.hash:
                problems.append(ChainProblem(event.seq, f"Sự kiện số {event.seq} đã bị sửa "
                                             "(mã băm không khớp nội dung)."))
            expected_seq, prev = event.seq + 1, event.hash
        with self.engine.connect() as conn:
            head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
        last_seq = expected_seq - 1
        if head is not None and (head.seq != last_seq or head.hash != prev):
            problems.append(ChainProblem(head.seq, f"Nhật ký dừng ở sự kiện số {last_seq} "
                                         f"nhưng sự kiện cuối đã ghi là số {head.seq} (các "
                                         "sự kiện cuối đã bị xóa hoặc sửa)."))
        if head is None and last_seq:
            problems.append(ChainProblem(None, "Thiếu bản ghi đầu chuỗi nhật ký."))
        return problems
