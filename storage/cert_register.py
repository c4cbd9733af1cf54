"""The electronic certification register (sổ chứng thực bản sao điện tử từ bản chính),
kept permanently (Nghị định 23/2015 as amended; Thông tư 01/2020/TT-BTP).

Rules (rules.md): one số chứng thực per original per request, shared by all copies made
at once; numbering restarts at 1 every year (Vietnam time); never duplicated or skipped,
however many clerks certify at once. The number comes from a per-year counter row,
incremented by an upsert that locks the row until the entry is committed: concurrent
requests queue on it, and a failed request rolls the counter back with its entry (no gap).
On SQLite every transaction takes the write lock at BEGIN (BEGIN IMMEDIATE). A unique
(agency, year, number) constraint backs this up. The schema is alembic revision
0002_cert_register, numbered per certifying agency since 0007_register_per_agency: each
agency (the first part of the original's mã hồ sơ, or the one named) has its own counter
per year, so two agencies of one archive never share a sequence.

Data only: the entries (pipeline/certification/register_entry.py) and their CSV export;
the printed pages are drawn by pipeline/certification/register_pdf.py.
"""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from pipeline.certification.qr import new_copy_id
from pipeline.certification.register_entry import RegisterEntry, vn_date
from pipeline.certification.statement import fee
from pipeline.core.errors import CertificationError, RegisterError
from pipeline.core.naming import VIETNAM
from storage.index_db import DatabaseStore
from storage.tokens import AGENCY_CODE

__all__ = ["CertRegister", "RegisterEntry"]

# Mirrors revisions 0002_cert_register and 0007_register_per_agency (the schema itself is
# made by the migrations).
metadata = MetaData()
counters = Table(
    "cert_counters", metadata,
    Column("agency_code", String(32), primary_key=True, autoincrement=False),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)
entries_table = Table(
    "cert_register", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("book", String(16), nullable=False),
    Column("certified_on", Date, nullable=False),
    Column("requester", Text, nullable=False),
    Column("document_name", Text, nullable=False),
    Column("original_id", String(128), nullable=False),
    Column("copies", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("certifier", Text, nullable=False),
    Column("fee", Integer, nullable=False),
    Column("notes", Text, nullable=False),
    Column("request_id", String(128)),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("agency_code", String(32), nullable=False, server_default=""),
    UniqueConstraint("agency_code", "year", "number", name="uq_cert_register_agency_year_number"),
    UniqueConstraint("request_id", name="uq_cert_register_request_id"),
    Index("ix_cert_register_certified_on", "certified_on"),
    Index("ix_cert_register_original_id", "original_id"),
)
copies_table = Table(
    "cert_copies", metadata,
    Column("copy_id", String(16), primary_key=True),
    Column("entry_id", Integer, ForeignKey("cert_register.id"), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("entry_id", "position", name="uq_cert_copies_entry_position"),
)

CSV_HEADER = ["Số chứng thực", "Quyển số", "Ngày chứng thực", "Người yêu cầu chứng thực",
              "Tên bản chính giấy tờ, văn bản", "Mã bản chính", "Số trang", "Số bản sao",
              "Mã bản sao", "Người thực hiện chứng thực", "Lệ phí (đồng)", "Ghi chú"]



def register_agency(original_id: str) -> str:
    """The agency whose register numbers an original by default: the first part of its mã
    hồ sơ (`<agency>-<yymmdd>-<n>…`); '' (the service's own register) for an original that
    names none (a PDF/A file certified by `sohoa certify FILE`)."""
    code = original_id.split("-", 1)[0]
    return code if "-" in original_id and AGENCY_CODE.match(code) else ""


def _text(value: str, label: str) -> str:
    cleaned = " ".join((value or "").split()) if isinstance(value, str) else ""
    if not cleaned:
        raise RegisterError(f"Thiếu {label}.")
    return cleaned


class CertRegister(DatabaseStore):
    def __init__(self, url: str):
        super().__init__(url, immediate=True)  # numbering takes the write lock at BEGIN
        if self.insert is None:
            raise RegisterError(f"Cơ sở dữ liệu {self.engine.dialect.name} không được hỗ trợ.")

    def allocate(self, *, original_id: str, requester: str, document_name: str, copies: int,
                 certifier: str, pages: int, notes: str = "", when: datetime | None = None,
                 book: str | None = None, request_id: str | None = None,
                 agency_code: str | None = None) -> RegisterEntry:
        """Record one certification request and give it the next number of the certifying
        agency's register for the year (`agency_code`, default register_agency(original_id)),
        with a copy id for each copy. `when` (timezone-aware, default now) decides the day and
        year in Vietnam time; `book` defaults to "01/<year>". With `request_id`, asking
        again (a retry) returns the entry already made instead of a new number."""
        when = datetime.now(VIETNAM) if when is None else when
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise RegisterError("Thời điểm chứng thực phải có múi giờ.")
        day = when.astimezone(VIETNAM).date()
        try:
            total_fee = fee(pages, copies)  # also checks pages and copies
        except CertificationError as exc:
            raise RegisterError(exc.message) from exc
        agency = register_agency(original_id or "") if agency_code is None else agency_code
        if agency and not AGENCY_CODE.match(agency):
            raise RegisterError(f"Mã cơ quan chứng thực {agency!r} không hợp lệ.")
        row = dict(
            agency_code=agency, year=day.year, book=book or f"01/{day.year}", certified_on=day,
            requester=_text(requester, "họ tên người yêu cầu chứng thực"),
            document_name=_text(document_name, "tên bản chính"),
            original_id=_text(original_id, "mã bản chính"), copies=copies, pages=pages,
            certifier=_text(certifier, "người thực hiện chứng thực"), fee=total_fee,
            notes=" ".join((notes or "").split()), request_id=request_id,
            recorded_at=datetime.now(UTC))
        for _ in range(3):  # a new copy id colliding with an old one (2^-60 a pair) retries
            try:
                return self._allocate(row, [new_copy_id() for _ in range(copies)])
            except IntegrityError:
                if request_id is not None:
                    existing = self._by_request(request_id)
                    if existing is not None:
                        return existing
        raise RegisterError("Không cấp được số chứng thực, xin thử lại.")

    def _allocate(self, row: dict, copy_ids: list[str]) -> RegisterEntry:
        with self.engine.begin() as conn:
            if row["request_id"] is not None:
                existing = conn.execute(select(entries_table.c.id).where(
                    entries_table.c.request_id == row["request_id"])).scalar()
                if existing is not None:
                    return self._load(conn, entries_table.c.id == existing)[0]
            upsert = self.insert(counters).values(agency_code=row["agency_code"],
                                                  year=row["year"], last_number=1)
            number = conn.execute(upsert.on_conflict_do_update(
                index_elements=[counters.c.agency_code, counters.c.year],
                set_={"last_number": counters.c.last_number + 1},
            ).returning(counters.c.last_number)).scalar_one()
            entry_id = conn.execute(insert(entries_table).values(
                number=number, **row)).inserted_primary_key[0]
            conn.execute(insert(copies_table), [
                {"copy_id": c, "entry_id": entry_id, "position": i}
                for i, c in enumerate(copy_ids, start=1)])
            return self._load(conn, entries_table.c.id == entry_id)[0]

    def _by_request(self, request_id: str) -> RegisterEntry | None:
        with self.engine.begin() as conn:
            found = self._load(conn, entries_table.c.request_id == request_id)
        return found[0] if found else None

    def add_note(self, year: int, number: int, note: str,
                 agency_code: str | None = None) -> RegisterEntry:
        """Append to an entry's ghi chú (the entry `number` of `agency_code`'s register for
        `year`; None: the only entry of that number, refused if several agencies have one):
        the only change the register accepts."""
        note = _text(note, "nội dung ghi chú")
        with self.engine.begin() as conn:
            key = (entries_table.c.year == year) & (entries_table.c.number == number)
            if agency_code is not None:
                key &= entries_table.c.agency_code == agency_code
            found = self._load(conn, key)
            if not found:
                raise RegisterError(f"Không có số chứng thực {number} năm {year}.")
            if len(found) > 1:
                raise RegisterError(f"Số chứng thực {number} năm {year} có ở sổ của nhiều cơ "
                                    "quan; cần chỉ rõ cơ quan.")
            notes = f"{found[0].notes}; {note}" if found[0].notes else note
            conn.execute(update(entries_table).where(key).values(notes=notes))
            return self._load(conn, key)[0]

    def entries(self, year: int, month: int | None = None, *,
                within: str | None = None) -> list[RegisterEntry]:
        """The year's entries (or one month's), by agency then number; `within`: only that
        agency's register."""
        where = entries_table.c.year == year
        if within is not None:
            where &= entries_table.c.agency_code == within
        if month is not None:
            if not 1 <= month <= 12:
                raise RegisterError(f"Tháng {month} không hợp lệ.")
            end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            where &= ((entries_table.c.certified_on >= date(year, month, 1))
                      & (entries_table.c.certified_on < end))
        with self.engine.begin() as conn:
            return self._load(conn, where)

    def find_copy(self, copy_id: str) -> RegisterEntry | None:
        """The entry a copy id (from a QR code or a typed code) belongs to."""
        with self.engine.begin() as conn:
            entry_id = select(copies_table.c.entry_id).where(copies_table.c.copy_id == copy_id)
            found = self._load(conn, entries_table.c.id.in_(entry_id.scalar_subquery()))
        return found[0] if found else None

    def _load(self, conn, where) -> list[RegisterEntry]:
        rows = conn.execute(select(entries_table).where(where).order_by(
            entries_table.c.year, entries_table.c.agency_code, entries_table.c.number)).all()
        ids: dict[int, list[str]] = {r.id: [] for r in rows}
        if ids:
            for c in conn.execute(select(copies_table).where(copies_table.c.entry_id.in_(ids))
                                  .order_by(copies_table.c.position)):
                ids[c.entry_id].append(c.copy_id)
        return [RegisterEntry(
            year=r.year, number=r.number, book=r.book, certified_on=r.certified_on,
            requester=r.requester, document_name=r.document_name, original_id=r.original_id,
            copies=r.copies, copy_ids=tuple(ids[r.id]), certifier=r.certifier, pages=r.pages,
            fee=r.fee, notes=r.notes, agency_code=r.agency_code) for r in rows]

    def export_csv(self, year: int, month: int | None = None, *,
                   within: str | None = None) -> str:
        """The entries as CSV (comma separated, Vietnamese header, dates dd/mm/yyyy)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for e in self.entries(year, month, within=within):
            writer.writerow([e.number, e.book_label, vn_date(e.certified_on), e.requester,
                             e.document_name, e.original_id, e.pages, e.copies,
                             " ".join(e.copy_ids), e.certifier, e.fee, e.notes])
        return out.getvalue()
