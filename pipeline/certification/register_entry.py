"""One entry of the certification register (sổ chứng thực bản sao điện tử từ bản chính,
Thông tư 01/2020/TT-BTP), as a plain record: storage/cert_register.py keeps the entries,
pipeline/certification/register_pdf.py prints them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.certification.statement import book_label


@dataclass(frozen=True)
class RegisterEntry:
    year: int
    number: int  # số chứng thực
    book: str  # quyển số, e.g. "01/2026"
    certified_on: date
    requester: str
    document_name: str
    original_id: str
    copies: int
    copy_ids: tuple[str, ...]  # one per copy, in order
    certifier: str
    pages: int
    fee: int  # đồng, all copies
    notes: str
    agency_code: str = ""  # whose register numbers it ('' : the service's own)

    @property
    def book_label(self) -> str:
        return book_label(self.book)


def vn_date(day: date) -> str:
    """dd/mm/yyyy, as Vietnamese registers write dates."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def money(amount: int) -> str:
    """An amount of đồng with dots between thousands: 10000 -> 10.000."""
    return f"{amount:,}".replace(",", ".")
