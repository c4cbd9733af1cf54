"""Tests of the certification register (storage.cert_register, migration 0002_cert_register,
its printed pages pipeline.certification.register_pdf).

Real databases: the local PostgreSQL (127.0.0.1:5432, db `test`, trust auth), each test in
a schema of its own (dropped afterwards), and SQLite files. Concurrency is real: threads
with their own engines and connections, released together by a barrier.
"""
from __future__ import annotations

import csv
import io
import subprocess
import threading
from datetime import UTC, date, datetime

import pikepdf
import pikepdf.pdfa
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pipeline.certification.register_pdf import register_pdf
from pipeline.core.errors import RegisterError
from pipeline.core.naming import VIETNAM
from storage.cert_register import CSV_HEADER, CertRegister, metadata
from storage.index_db import alembic_config, make_engine
from tests.conftest import postgres_schema

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARCH = datetime(2026, 3, 5, 10, 0, tzinfo=VIETNAM)


def request(i: int = 0, **changes) -> dict:
    base = dict(original_id=f"H15.50.05.13-260305-{i:04d}.1", requester="Nguyễn Văn Ấn",
                document_name="Giấy khai sinh", copies=2,
                certifier="Trần Thị Thu Hương, Phó Chủ tịch UBND phường", pages=3, when=MARCH)
    return {**base, **changes}


@pytest.fixture
def pg_url():
    with postgres_schema("cert_test") as url:
        yield url


@pytest.fixture
def pg(pg_url):
    with CertRegister(pg_url) as register:
        yield register


@pytest.fixture
def lite(tmp_path):
    with CertRegister(f"sqlite:///{tmp_path / 'register.db'}") as register:
        yield register


def allocate_in_parallel(url: str, n: int, year_when: datetime) -> list:
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def work(i: int) -> None:
        try:
            with CertRegister(url) as register:  # own engine, own connection
                barrier.wait(timeout=60)
                results[i] = register.allocate(**request(i, when=year_when, copies=1 + i % 3))
        except Exception as exc:  # collected: pytest does not see exceptions in threads
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_fifty_parallel_requests_on_postgresql_get_1_to_50(pg_url, pg):
    results = allocate_in_parallel(pg_url, 50, MARCH)
    assert sorted(e.number for e in results) == list(range(1, 51))
    stored = pg.entries(2026)
    assert [e.number for e in stored] == list(range(1, 51))
    copy_ids = [c for e in stored for c in e.copy_ids]
    assert len(copy_ids) == len(set(copy_ids)) == sum(e.copies for e in stored)
    assert pg.allocate(**request(99)).number == 51


def test_parallel_requests_on_sqlite_are_serialized(tmp_path):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    results = allocate_in_parallel(url, 12, MARCH)
    assert sorted(e.number for e in results) == list(range(1, 13))


def test_numbering_restarts_each_year_in_vietnam_time(pg):
    assert pg.allocate(**request(when=datetime(2025, 12, 31, 23, 59, 59, tzinfo=VIETNAM))
                       ).number == 1
    assert pg.allocate(**request(when=datetime(2025, 12, 31, 16, 59, 59, tzinfo=UTC))
                       ).number == 2  # 23:59:59 in Vietnam
    first = pg.allocate(**request(when=datetime(2026, 1, 1, 0, 0, 0, tzinfo=VIETNAM)))
    assert (first.year, first.number, first.book, first.certified_on) == (
        2026, 1, "01/2026", date(2026, 1, 1))
    late = pg.allocate(**request(when=datetime(2025, 12, 31, 17, 30, tzinfo=UTC)))
    assert (late.year, late.number, late.certified_on) == (2026, 2, date(2026, 1, 1))
    assert [e.number for e in pg.entries(2025)] == [1, 2]
    assert pg.entries(2025)[0].book_label == "01/2025-SCTĐT/BS"


def test_one_number_shared_by_the_copies_of_one_request(pg):
    entry = pg.allocate(**request(copies=3, pages=250))
    assert entry.copies == 3 and len(set(entry.copy_ids)) == 3
    assert entry.fee == 600_000  # 200,000 a copy at most
    for copy_id in entry.copy_ids:
        assert pg.find_copy(copy_id) == entry
    assert pg.find_copy("0000000000ZZ") is None


def test_retried_request_keeps_its_number_and_leaves_no_gap(pg):
    a = pg.allocate(**request(1, request_id="req-1"))
    again = pg.allocate(**request(1, request_id="req-1"))
    assert again == a
    assert pg.allocate(**request(2)).number == a.number + 1


def test_failed_request_rolls_the_number_back(pg):
    assert pg.allocate(**request(1)).number == 1
    # A real database refusal after the counter moved: the original id is longer than the
    # column (VARCHAR(128)), which PostgreSQL rejects at INSERT time.
    with pytest.raises(DBAPIError):
        pg.allocate(**request(2, original_id="X" * 200))
    assert pg.allocate(**request(3)).number == 2


def test_register_is_permanent(pg):
    entry = pg.allocate(**request())
    with pg.engine.connect() as conn:
        for statement in ("DELETE FROM cert_register", "UPDATE cert_register SET number = 9",
                          "UPDATE cert_register SET fee = 0", "DELETE FROM cert_copies"):
            with pytest.raises(DBAPIError, match="permanent"), conn.begin():
                conn.execute(text(statement))
    noted = pg.add_note(2026, entry.number, "Cấp thêm bản sao theo yêu cầu bổ sung")
    assert noted.notes == "Cấp thêm bản sao theo yêu cầu bổ sung"
    assert pg.add_note(2026, entry.number, "đã trả kết quả").notes.endswith("; đã trả kết quả")
    assert pg.entries(2026)[0].number == entry.number


def test_register_is_permanent_on_sqlite(lite):
    lite.allocate(**request())
    with lite.engine.connect() as conn, pytest.raises(DBAPIError, match="permanent"), conn.begin():
        conn.execute(text("DELETE FROM cert_register"))


def test_migration_matches_the_tables_the_code_uses(pg_url, pg):
    with pg.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    ours = [d for d in diffs if "cert_" in repr(d)]
    assert ours == []
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migration_downgrades_and_upgrades_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    CertRegister(url).close()
    engine = make_engine(url, immediate=True)
    with engine.connect() as conn, conn.begin():
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0001_index")
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert not {t for t in tables if t.startswith("cert_")}
    engine.dispose()
    with CertRegister(url) as register:
        assert register.allocate(**request()).number == 1


def test_month_filter_and_csv_export(lite):
    lite.allocate(**request(1, when=datetime(2026, 2, 28, 23, 0, tzinfo=VIETNAM), pages=1,
                            copies=1))
    lite.allocate(**request(2, pages=3, copies=2, notes="Bản chính   bị rách góc"))
    assert [e.number for e in lite.entries(2026, 3)] == [2]
    rows = list(csv.reader(io.StringIO(lite.export_csv(2026))))
    assert rows[0] == CSV_HEADER
    assert rows[1][:4] == ["1", "01/2026-SCTĐT/BS", "28/02/2026", "Nguyễn Văn Ấn"]
    assert rows[1][10] == "2000" and rows[2][10] == "10000"
    assert rows[2][11] == "Bản chính bị rách góc"
    assert len(rows[2][8].split()) == 2
    assert len(list(csv.reader(io.StringIO(lite.export_csv(2026, 3))))) == 2


def test_pdf_export_is_printable_pdfa_with_vietnamese(lite, tmp_path):
    for i in range(40):  # enough for several pages
        lite.allocate(**request(i, requester=f"Phạm Thị Ngọc Ánh {i}"))
    path = tmp_path / "register.pdf"
    path.write_bytes(register_pdf(lite.entries(2026, 3), "ỦY BAN NHÂN DÂN PHƯỜNG THẮNG LỢI",
                                  2026, 3))
    assert pikepdf.pdfa.validate_written(path, "2b").verdict == "pass"
    text_out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "SỔ CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH" in text_out
    assert "Quyển số: 01/2026-SCTĐT/BS — Tháng 03 năm 2026" in text_out
    assert "Phạm Thị Ngọc Ánh 39" in text_out and "10.000" in text_out
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 3
        assert f"Trang {len(pdf.pages)}/{len(pdf.pages)}" in text_out
        for font in pdf.pages[0].Resources.Font.values():
            assert "/FontFile2" in font.DescendantFonts[0].FontDescriptor


def test_empty_period_still_prints(lite, tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(register_pdf(lite.entries(2031), "", 2031))
    assert pikepdf.pdfa.validate_written(path, "2b").verdict == "pass"
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Không có việc chứng thực nào" in out


@pytest.mark.parametrize("changes", [
    {"copies": 0}, {"pages": 0}, {"requester": "  "}, {"document_name": ""},
    {"when": datetime(2026, 3, 5, 10, 0)},
])
def test_bad_requests_are_refused_without_using_a_number(lite, changes):
    with pytest.raises(RegisterError):
        lite.allocate(**request(**changes))
    assert lite.allocate(**request()).number == 1


AGENCIES = ("H15.50.05.13", "H27.01.02.03")


def test_each_agency_numbers_its_own_register_under_concurrent_requests(pg_url, pg):
    """rules.md: số chứng thực is the sequence of the certifying agency's register, from 1
    every year. 40 requests at once, half for each of two agencies of one archive (the
    agency is the first part of the original's mã hồ sơ): each agency gets 1..20, no gap,
    no duplicate, whatever the other does."""
    n = 40
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def work(i: int) -> None:
        try:
            with CertRegister(pg_url) as register:  # own engine, own connection
                barrier.wait(timeout=60)
                original = f"{AGENCIES[i % 2]}-260305-{i:04d}.1"
                results[i] = register.allocate(**request(i, original_id=original,
                                                         copies=1 + i % 2))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for agency in AGENCIES:
        mine = [e for e in results if e.agency_code == agency]
        assert len(mine) == n // 2
        assert all(e.original_id.startswith(agency + "-") for e in mine)
        assert sorted(e.number for e in mine) == list(range(1, n // 2 + 1))
        assert [e.number for e in pg.entries(2026, within=agency)] == list(range(1, n // 2 + 1))
    assert [e.agency_code for e in pg.entries(2026)] == [AGENCIES[0]] * 20 + [AGENCIES[1]] * 20
    assert pg.allocate(**request(98, original_id=f"{AGENCIES[1]}-260305-0098.1")).number == 21
    assert pg.allocate(**request(99, agency_code=AGENCIES[0])).number == 21  # named outright
    with pytest.raises(RegisterError, match="nhiều cơ quan"):
        pg.add_note(2026, 1, "ghi chú")  # two agencies have a number 1
    noted = pg.add_note(2026, 1, "ghi chú", AGENCIES[1])
    assert noted.agency_code == AGENCIES[1] and noted.notes == "ghi chú"
    assert [e.notes for e in pg.entries(2026, within=AGENCIES[0]) if e.number == 1] == [""]
    a_file = pg.allocate(**request(100, original_id="ban-chinh.pdf"))  # names no agency
    assert (a_file.agency_code, a_file.number) == ("", 1)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0007_keeps_the_register_and_counts_on_per_agency(backend, tmp_path):
    """A register numbered with one counter for the whole archive (revision 0006): its
    entries keep their numbers, gain their agency, stay permanent, and each agency goes
    on from its own highest number."""
    from contextlib import nullcontext

    context = (nullcontext(f"sqlite:///{tmp_path / 'old.db'}") if backend == "sqlite"
               else postgres_schema("cert_mig"))
    with context as url:
        engine = make_engine(url, immediate=True)
        with engine.connect() as conn, conn.begin():
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0006_review_claims")
            for number, agency in ((1, AGENCIES[0]), (2, AGENCIES[1]), (3, AGENCIES[0])):
                conn.execute(text(
                    "INSERT INTO cert_register (year, number, book, certified_on, requester, "
                    "document_name, original_id, copies, pages, certifier, fee, notes, "
                    "recorded_at) VALUES (2026, :n, '01/2026', '2026-03-05', 'A', 'B', :o, 1, "
                    "1, 'C', 2000, '', '2026-03-05 03:00:00+00')"),
                    {"n": number, "o": f"{agency}-260305-000{number}.1"})
            conn.execute(text("INSERT INTO cert_counters (year, last_number) VALUES (2026, 3)"))
        engine.dispose()
        with CertRegister(url) as register:  # migrates to the head
            old = register.entries(2026)
            assert [(e.agency_code, e.number) for e in old] == [
                (AGENCIES[0], 1), (AGENCIES[0], 3), (AGENCIES[1], 2)]
            assert register.allocate(**request(
                7, original_id=f"{AGENCIES[0]}-260305-0007.1")).number == 4
            assert register.allocate(**request(
                8, original_id=f"{AGENCIES[1]}-260305-0008.1")).number == 3
            assert register.allocate(**request(
                9, original_id="H01.00.00.00-260305-0009.1")).number == 1
            with register.engine.connect() as conn:
                for statement in ("DELETE FROM cert_register",
                                  "UPDATE cert_register SET agency_code = 'X'",
                                  "UPDATE cert_register SET number = 9"):
                    with pytest.raises(DBAPIError, match="permanent"), conn.begin():
                        conn.execute(text(statement))
