"""Verification reports of uploaded files (the public verification page): kept for a
while in the archive's database under an unguessable key (only its SHA-256 is stored), so
the result page's downloads work after a restart and from any of several server
processes. The uploaded file itself is never kept. Mirrors revision 0009_users_reports."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
)

metadata = MetaData()
reports = Table(
    "verification_reports", metadata,
    Column("key", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("stem", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
)
KEEP = timedelta(minutes=30)


@dataclass(frozen=True)
class StoredReport:
    stem: str  # the download's file name without its extension
    data: dict  # the JSON report
    lines: list[str]  # the PDF report's text


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class ReportStore:
    def __init__(self, engine: Engine, keep: timedelta = KEEP):
        self.engine, self.keep = engine, keep

    def put(self, report: StoredReport) -> str:
        """Keep `report`; its key (for the download address). Expired ones go."""
        key = secrets.token_urlsafe(18)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(reports).where(reports.c.expires_at < now))
            conn.execute(insert(reports).values(key=_digest(key), created_at=now,
                                                expires_at=now + self.keep, stem=report.stem,
                                                data=report.data, lines=report.lines))
        return key

    def get(self, key: str) -> StoredReport | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reports).where(reports.c.key == _digest(key))).first()
        if row is None or _aware(row.expires_at) <= datetime.now(UTC):
            return None
        return StoredReport(row.stem, row.data, list(row.lines))
