"""Revoked certified copies. The register itself accepts no change but its notes (revision
0002's triggers), so a revocation is a row of its own, permanent too (revision 0005), and
a note in the register entry (written by the caller) so the printed register shows it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from storage.archive_tables import revocations


class AlreadyRevoked(Exception):
    pass


@dataclass(frozen=True)
class Revocation:
    copy_id: str
    agency_code: str
    reason: str
    actor: str
    revoked_at: datetime


def _record(row) -> Revocation:
    values = dict(row._mapping)
    if values["revoked_at"].tzinfo is None:  # SQLite: stored as UTC
        values["revoked_at"] = values["revoked_at"].replace(tzinfo=UTC)
    return Revocation(**values)


class RevocationStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def revoke(self, copy_id: str, agency_code: str, reason: str, actor: str) -> Revocation:
        """Record the revocation (AlreadyRevoked if it was)."""
        record = Revocation(copy_id, agency_code, " ".join(reason.split()), actor,
                            datetime.now(UTC))
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(revocations).values(record.__dict__))
        except IntegrityError:
            raise AlreadyRevoked(copy_id) from None
        return record

    def get(self, copy_id: str) -> Revocation | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(revocations).where(
                revocations.c.copy_id == copy_id)).first()
        return _record(row) if row else None
