"""Revision 0005 makes the tables storage/archive_tables.py mirrors for copies, webhooks
and field evidence (on SQLite and the real PostgreSQL), and a revocation cannot be undone."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import archive_tables
from storage.archive import ArchiveDatabase
from storage.revocations import AlreadyRevoked
from tests.conftest import postgres_schema

OURS = ("copy_revocations", "webhooks", "webhook_deliveries", "field_evidence")
SHAPE = ("add_table", "remove_table", "add_column", "remove_column", "modify_type",
         "modify_nullable")  # constraints and indexes are the migration's alone


def _flat(diffs):
    for d in diffs:
        yield from (d if isinstance(d, list) else [d])


def _check(url: str) -> None:
    with ArchiveDatabase(url) as db:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), archive_tables.metadata)
        mine = [d for d in _flat(diffs) if d[0] in SHAPE and any(n in repr(d) for n in OURS)]
        assert mine == []
        entry = db.register.allocate(original_id="H00.00.00.00-260101-001.1", requester="A B",
                                     document_name="Căn cước", copies=1, certifier="C D",
                                     pages=1)
        copy_id = entry.copy_ids[0]
        db.revocations.revoke(copy_id, "H00.00.00.00", "Cấp  nhầm", "token:x")
        assert db.revocations.get(copy_id).reason == "Cấp nhầm"
        with pytest.raises(AlreadyRevoked):
            db.revocations.revoke(copy_id, "H00.00.00.00", "lần nữa", "token:x")
        for statement in ("DELETE FROM copy_revocations",
                          "UPDATE copy_revocations SET reason = 'khác'"):
            with pytest.raises(DBAPIError), db.engine.begin() as conn:
                conn.execute(text(statement))
        assert db.revocations.get(copy_id).reason == "Cấp nhầm"


def test_tables_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'a.sqlite'}")


def test_tables_on_postgresql():
    with postgres_schema("sohoa_api2_tables") as url:
        _check(url)
