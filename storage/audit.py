"""The audit trail: an append-only list of who did or read what, chained by hash.

Every event carries the SHA-256 of its predecessor and its own, computed over its fields
as canonical JSON (storage the same on SQLite and PostgreSQL: time as ISO text, changes as
JSON text). The last link is also kept in `audit_head`, so removing the newest events
shows too. Triggers (revision 0004) refuse UPDATE and DELETE; `verify` finds what someone
who got around them changed. Appending is serialized: an advisory lock on PostgreSQL, the
write lock taken at BEGIN on SQLite, so two writers never fork the chain; within a process,
concurrent appends are committed together (group commit, AuditTrail.append).

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


class _Pending:
    __slots__ = ("fields", "event", "error", "done")

    def __init__(self, fields: dict):
        self.fields, self.event, self.error, self.done = fields, None, None, False


class AuditTrail:
    def __init__(self, engine: Engine, appending_engine: Engine | None = None):
        """`appending_engine`: for SQLite, one whose transactions take the write lock at
        BEGIN (storage.index_db.make_engine(url, immediate=True))."""
        self.engine = engine
        self.appending = appending_engine or engine
        # Group commit: appends of this process's threads wait in a queue; one of them at a
        # time writes every event queued so far in one transaction (one lock, one read of
        # the head, one commit), then wakes the others. Each append still returns only
        # once its event is committed, but N concurrent requests cost one transaction, not
        # N taken in turn behind the chain's lock (which also serializes other processes).
        self._queue: list[_Pending] = []
        self._writing = False
        self._turn = threading.Condition()

    def append(self, *, actor: str, action: str, object_type: str, object_id: str,
               agency_code: str | None = None, changes: dict | None = None,
               request_id: str | None = None) -> AuditEvent:
        mine = _Pending(dict(agency_code=agency_code, actor=actor, action=action,
                             object_type=object_type, object_id=str(object_id),
                             changes=canonical(_scrub(changes or {})),
                             request_id=request_id))
        with self._turn:
            self._queue.append(mine)
            while not mine.done and self._writing:
                self._turn.wait()
            if mine.done:
                return self._result(mine)
            self._writing = True
            batch, self._queue = self._queue, []
        error: BaseException | None = None
        try:
            self._write(batch)
        except BaseException as exc:  # every event of the batch failed with it
            error = exc
        with self._turn:
            for pending in batch:
                pending.done, pending.error = True, error
            self._writing = False
            self._turn.notify_all()
        return self._result(mine)

    @staticmethod
    def _result(pending: _Pending) -> AuditEvent:
        if pending.error is not None:
            raise pending.error
        return pending.event  # type: ignore[return-value]

    def _write(self, batch: list[_Pending]) -> None:
        with self.appending.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                                .where(audit_head.c.id == 1)).first()
            seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
            rows = []
            for pending in batch:
                seq += 1
                row = dict(seq=seq, at=datetime.now(UTC).isoformat(timespec="microseconds"),
                           **pending.fields, prev_hash=prev)
                row["hash"] = prev = event_hash(row)
                rows.append(row)
            conn.execute(insert(audit_events), rows)
            if head:
                conn.execute(update(audit_head).where(audit_head.c.id == 1)
                             .values(seq=seq, hash=prev))
            else:
                conn.execute(insert(audit_head).values(id=1, seq=seq, hash=prev))
        for pending, row in zip(batch, rows, strict=True):
            pending.event = AuditEvent(**row)

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
