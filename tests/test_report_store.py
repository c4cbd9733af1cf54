"""Upload verification reports kept in the archive's database (storage/reports.py,
revision 0009), on SQLite and the real PostgreSQL: found by their key only, gone when
expired, expired ones removed."""
from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from storage import reports as reports_module
from storage.archive import ArchiveDatabase
from storage.reports import ReportStore, StoredReport
from tests.conftest import postgres_schema

REPORT = StoredReport("kiem-tra-abc", {"verdict": "VALID", "register": {"Số": "1"}},
                      ["KẾT LUẬN: BẢN SAO HỢP LỆ", "Chữ ký số: hợp lệ"])


def _check(url: str) -> None:
    with ArchiveDatabase(url) as db:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), reports_module.metadata)
        assert [d for d in diffs if isinstance(d, tuple) and d[0] in ("add_table", "add_column",
                                                                       "remove_column")] == []
        key = db.reports.put(REPORT)
        assert ReportStore(db.engine).get(key) == REPORT  # another store, the same rows
        assert db.reports.get(key + "x") is None and db.reports.get("") is None
        with db.engine.connect() as conn:
            stored = conn.execute(select(reports_module.reports.c.key)).scalars().all()
        assert key not in stored  # only its hash
        brief = ReportStore(db.engine, keep=timedelta(seconds=-1))
        gone = brief.put(REPORT)
        assert brief.get(gone) is None
        db.reports.put(REPORT)  # removes the expired ones
        with db.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(reports_module.reports)).scalar()
        assert count == 2 and db.reports.get(key) == REPORT


def test_reports_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'a.sqlite'}")


def test_reports_on_postgresql():
    with postgres_schema("sohoa_reports") as url:
        _check(url)
