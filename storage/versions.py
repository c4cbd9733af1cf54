"""Versions of a document: version 1 as digitized, one more per clerk correction.

A version is never changed: a correction adds the next one, with its own PDF/A and signed
copy (the old files stay in the object store, content-addressed). Two corrections racing
from the same version cannot both land: (document_id, version) is the primary key.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from storage.archive_tables import versions
from storage.index_db import reading


class VersionConflict(Exception):
    """Another correction made the version this one started from stale."""


@dataclass(frozen=True)
class Version:
    document_id: str
    version: int
    document_type: str | None
    status: str
    fields: dict
    field_sources: dict  # key -> "ocr" | "clerk"
    errors: list  # [{"field", "message"}], Vietnamese
    sha256_original: str | None
    sha256_pdfa: str | None
    sha256_signed: str | None
    reason: str | None
    actor: str
    created_at: datetime
    #: key -> {"confidence", "page", "box"} where OCR read the field (None when unknown)
    field_evidence: dict = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.document_id}.v{self.version}"'


def _version(row) -> Version:
    values = dict(row._mapping)
    if values["created_at"].tzinfo is None:  # SQLite: stored as UTC
        values["created_at"] = values["created_at"].replace(tzinfo=UTC)
    values["field_evidence"] = values.get("field_evidence") or {}
    return Version(**values)


class VersionStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def current(self, document_id: str) -> Version | None:
        with reading(self.engine) as conn:
            row = conn.execute(select(versions).where(versions.c.document_id == document_id)
                               .order_by(versions.c.version.desc()).limit(1)).first()
        return _version(row) if row else None

    def history(self, document_id: str) -> list[Version]:
        with self.engine.connect() as conn:
            return [_version(r) for r in conn.execute(
                select(versions).where(versions.c.document_id == document_id)
                .order_by(versions.c.version))]

    def get(self, document_id: str, version: int) -> Version | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(versions).where(
                (versions.c.document_id == document_id) & (versions.c.version == version))).first()
        return _version(row) if row else None

    def add(self, **values) -> Version:
        """Store a version (its number given); VersionConflict if that number is taken."""
        values.setdefault("created_at", datetime.now(UTC))
        record = Version(**values)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(versions).values(asdict(record)))
        except IntegrityError:
            raise VersionConflict(record.document_id) from None
        return record

    def add_many(self, rows: list[dict]) -> None:
        """Store many first versions at once (an import, a benchmark's archive)."""
        now = datetime.now(UTC)
        records = [asdict(Version(**{"created_at": now, **values})) for values in rows]
        with self.engine.begin() as conn:
            conn.execute(insert(versions), records)
