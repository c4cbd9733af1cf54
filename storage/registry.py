"""The dossier registry: stable mã hồ sơ per dossier and order per document.

A dossier keeps the number it got the first time it was seen, and a document its order,
so re-running a batch (after a crash, or with files added) names nothing differently.
SQLAlchemy Core over SQLite by default, or PostgreSQL. The tables are made by the alembic
revision 0003_dossier_registry (run on opening, like the index's); the Table objects here
mirror it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from pipeline.core.naming import ma_ho_so
from storage.index_db import DatabaseStore
from storage.transient import retry_transient

T = TypeVar("T")

metadata = MetaData()
dossiers = Table(
    "dossiers", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String, nullable=False, unique=True),
    Column("ma_ho_so", String, nullable=False, unique=True),
    Column("agency_code", String, nullable=False),
    Column("day", String, nullable=False),
    Column("sequence", Integer, nullable=False),
    UniqueConstraint("agency_code", "day", "sequence"),
)
documents = Table(
    "dossier_documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, nullable=False),
    Column("source", String, nullable=False, unique=True),
    Column("position", Integer, nullable=False),
    UniqueConstraint("dossier_id", "position"),
)


CONFLICT_RETRIES = 20


class DossierRegistry(DatabaseStore):
    """Opening migrates the database to alembic head (storage.index_db.upgrade).

    Two clients may register the same dossier, or new dossiers of the same day, at once:
    the loser of such a race hits a unique constraint and simply asks again (it then finds
    the winner's row, or the next free number). A database outage is waited out."""

    def __init__(self, url: str, *, retry_budget_s: float = 120.0, immediate: bool = False):
        super().__init__(url, immediate=immediate)
        self.retry_budget_s = retry_budget_s

    def dossier(self, source: str, agency_code: str, day: date) -> tuple[int, str]:
        """(id, mã hồ sơ) of the dossier at `source`, allocating the next number if new."""
        return self._settled(lambda: self._dossier(source, agency_code, day))

    def document_order(self, dossier_id: int, source: str) -> int:
        return self._settled(lambda: self._document_order(dossier_id, source))

    def _settled(self, transaction: Callable[[], T]) -> T:
        for _ in range(CONFLICT_RETRIES):
            try:
                return retry_transient(transaction, budget_s=self.retry_budget_s,
                                       what="dossier registry")
            except IntegrityError:
                continue  # another client was first: its row is there now
        return retry_transient(transaction, budget_s=self.retry_budget_s, what="dossier registry")

    def _dossier(self, source: str, agency_code: str, day: date) -> tuple[int, str]:
        with self.engine.begin() as conn:
            row = conn.execute(select(dossiers.c.id, dossiers.c.ma_ho_so)
                               .where(dossiers.c.source == source)).first()
            if row:
                return row.id, row.ma_ho_so
            day_key = day.isoformat()
            last = conn.execute(select(func.max(dossiers.c.sequence)).where(
                (dossiers.c.agency_code == agency_code) & (dossiers.c.day == day_key))).scalar()
            sequence = (last or 0) + 1
            ma = ma_ho_so(agency_code, day, sequence)
            new_id = conn.execute(insert(dossiers).values(
                source=source, ma_ho_so=ma, agency_code=agency_code, day=day_key,
                sequence=sequence)).inserted_primary_key[0]
            return new_id, ma

    def _document_order(self, dossier_id: int, source: str) -> int:
        with self.engine.begin() as conn:
            row = conn.execute(select(documents.c.position)
                               .where(documents.c.source == source)).first()
            if row:
                return row.position
            last = conn.execute(select(func.max(documents.c.position))
                                .where(documents.c.dossier_id == dossier_id)).scalar()
            position = (last or 0) + 1
            conn.execute(insert(documents).values(dossier_id=dossier_id, source=source,
                                                  position=position))
            return position
