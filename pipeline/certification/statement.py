"""Certified electronic copies (chứng thực bản sao điện tử từ bản chính; Nghị định 23/2015
as amended by 07/2025 and 280/2025, Thông tư 01/2020/TT-BTP): the unsigned copy, before
the certifier and the agency sign it.

The copy is the original's pages, copied as they are (scan image, invisible OCR text layer:
same content streams, same image bytes), followed by ONE NEW A4 PAGE carrying the lời chứng,
which makes it the copy's last page as the rules ask. A page of its own rather than a blank
corner of the original's last page: a scanned page has no reliably empty area (margins hold
stamps, handwriting, page numbers), writing over a scan could hide part of the original,
and a fixed page gives the signature boxes fixed places.

On that page two empty signature fields wait for the signers: ChungThuc_CanBo (the
certifier) and ChungThuc_CoQuan (the agency, in place of the seal). The pages are written
as PDF/A-2b and validated by pikepdf; the two fields follow as an incremental update (see
_add_signature_fields), since pikepdf's validator does not check forms.

Dates follow the rule text `Ngày {dd} tháng {mm} năm {yyyy}`: day and month always two
digits ("Ngày 05 tháng 03 năm 2026").
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import pikepdf
import pikepdf.pdfa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from pipeline.certification.page import (
    AGENCY_FIELD,
    CERTIFIER_FIELD,
    SIGNATURE_RECTS,
    PageText,
    draw_page,
)
from pipeline.certification.qr import is_copy_id, verification_code, verify_url
from pipeline.core.errors import CertificationError, FontError
from pipeline.core.naming import VIETNAM

__all__ = ["AGENCY_FIELD", "CERTIFIER_FIELD", "SIGNATURE_RECTS", "CertificationStatement",
           "ConversionInfo", "ReservedField", "book_label", "date_line",
           "fee", "make_certified_copy", "signature_fields", "statement_lines"]

PAGE_FEE, LATER_PAGE_FEE, MAX_FEE_PER_COPY = 2_000, 1_000, 200_000  # đồng
_BOOK = re.compile(r"^\d{2,3}/\d{4}$")



@dataclass(frozen=True)
class ConversionInfo:
    """How the original became electronic (Luật GDĐT 2023 Điều 12, Nghị định 137/2024
    Điều 4): converted from paper, when, by whom."""

    converted_at: datetime  # timezone-aware
    converted_by: str  # agency (and person) that digitized it


@dataclass(frozen=True)
class CertificationStatement:
    number: int  # số chứng thực, from the register
    book: str  # quyển số, e.g. "01/2026"
    date: date  # day of certification (Vietnam)
    certifier_name: str
    certifier_title: str
    agency_name: str
    copy_id: str  # pipeline.certification.qr.new_copy_id(); one per copy
    public_base_url: str  # e.g. "https://chungthuc.example.gov.vn"
    document_name: str = ""  # name of the original, printed on the page
    original_id: str = ""
    conversion: ConversionInfo | None = None  # None: the original was born electronic

    @property
    def verification_code(self) -> str:
        return verification_code(self.copy_id)

    @property
    def verify_url(self) -> str:
        return verify_url(self.public_base_url, self.copy_id)


@dataclass(frozen=True)
class ReservedField:
    """An empty signature field of the copy (same attributes as signing's SignatureBox)."""

    name: str
    page_index: int
    rect: tuple[int, int, int, int]  # x0, y0, x1, y1 in points, page user space


def book_label(book: str) -> str:
    """`01/2026` -> `01/2026-SCTĐT/BS` (sổ chứng thực điện tử, bản sao)."""
    return f"{book}-SCTĐT/BS"


def date_line(day: date) -> str:
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year:04d}"


def statement_lines(st: CertificationStatement) -> list[str]:
    """The lời chứng exactly as rules.md gives it (two spaces before Quyển số)."""
    return ["Chứng thực bản sao đúng với bản chính.",
            f"Số chứng thực: {st.number}  Quyển số: {book_label(st.book)}",
            date_line(st.date)]


def fee(pages: int, copies: int = 1) -> int:
    """Lệ phí in đồng: 2,000 per page for pages 1-2, 1,000 per page from the third page,
    at most 200,000 per copy; each copy is charged the same, so the total is that times
    `copies`. `pages` are the original's pages (the added certification page is free)."""
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 1:
        raise CertificationError("Số trang phải là số nguyên dương.")
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise CertificationError("Số bản sao phải là số nguyên dương.")
    per_copy = PAGE_FEE * min(pages, 2) + LATER_PAGE_FEE * max(pages - 2, 0)
    return min(per_copy, MAX_FEE_PER_COPY) * copies


def signature_fields(copy_page_count: int) -> list[ReservedField]:
    """The copy's empty signature fields, certifier first (the order to sign in)."""
    last = copy_page_count - 1
    return [ReservedField(name, last, SIGNATURE_RECTS[name])
            for name in (CERTIFIER_FIELD, AGENCY_FIELD)]


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _check(st: CertificationStatement) -> None:
    if isinstance(st.number, bool) or not isinstance(st.number, int) or st.number < 1:
        raise CertificationError(f"Số chứng thực {st.number!r} không hợp lệ.")
    if not isinstance(st.book, str) or not _BOOK.match(st.book):
        raise CertificationError(f"Quyển số {st.book!r} không hợp lệ (dạng 01/2026).")
    if not isinstance(st.date, date) or isinstance(st.date, datetime):
        raise CertificationError("Ngày chứng thực phải là một ngày (date).")
    for label, value in (("họ tên người chứng thực", st.certifier_name),
                         ("chức danh người chứng thực", st.certifier_title),
                         ("tên cơ quan chứng thực", st.agency_name)):
        if not _clean(value):
            raise CertificationError(f"Thiếu {label}.")
    if not is_copy_id(st.copy_id):
        raise CertificationError(f"Mã bản sao {st.copy_id!r} không hợp lệ.")
    try:
        _ = st.verify_url  # raises ValueError on a bad base URL
    except ValueError as exc:
        raise CertificationError(f"Địa chỉ kiểm tra không hợp lệ: {exc}") from exc
    conv = st.conversion
    if conv is not None and (conv.converted_at.tzinfo is None or not _clean(conv.converted_by)):
        raise CertificationError("Thông tin chuyển đổi cần thời điểm có múi giờ và người chuyển đổi.")


def page_text(st: CertificationStatement, copy_pages: int) -> PageText:
    about = []
    if _clean(st.document_name):
        about.append(f"Bản chính: {_clean(st.document_name)}")
    if _clean(st.original_id):
        about.append(f"Mã bản chính: {_clean(st.original_id)}")
    about.append(f"Bản sao gồm {copy_pages} trang, kể cả trang lời chứng này.")
    conversion = []
    if st.conversion:
        when = st.conversion.converted_at.astimezone(VIETNAM).replace(microsecond=0)
        conversion = ["ĐÃ CHUYỂN ĐỔI TỪ VĂN BẢN GIẤY",
                      "Bản chính được chuyển đổi từ văn bản giấy sang văn bản điện tử.",
                      f"Thời điểm chuyển đổi: {when.isoformat()}",
                      f"Cơ quan, người chuyển đổi: {_clean(st.conversion.converted_by)}"]
    return PageText(
        heading="BẢN SAO ĐIỆN TỬ ĐƯỢC CHỨNG THỰC TỪ BẢN CHÍNH",
        about=about,
        statement=statement_lines(st),
        agency_heading="CƠ QUAN CHỨNG THỰC",
        agency_name=_clean(st.agency_name),
        certifier_heading="NGƯỜI THỰC HIỆN CHỨNG THỰC",
        certifier_title=_clean(st.certifier_title),
        certifier_name=_clean(st.certifier_name),
        conversion=conversion,
        verify_note="Kiểm tra bản sao: quét mã QR hoặc truy cập địa chỉ dưới đây "
                    f"(mã kiểm tra: {st.verification_code}).",
        verify_url=st.verify_url,
        code=st.verification_code,
    )


def _drop_signatures(pdf: pikepdf.Pdf) -> None:
    """A signed original's signatures cannot survive a rewrite, and its fields would clash
    with ours: drop its signature widgets, form, DocMDP permissions and validation data
    (what the stamp showed of the conversion is printed by the conversion mark)."""
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = [a for a in annots
                if not (a.get("/FT") == "/Sig" or a.get("/Parent", {}).get("/FT") == "/Sig")]
        if len(kept) != len(annots):
            page.obj.Annots = pikepdf.Array(kept)
    for key in ("/AcroForm", "/Perms", "/DSS"):
        if key in pdf.Root:
            del pdf.Root[key]
    extensions = pdf.Root.get("/Extensions")
    if extensions is not None and "/ESIC" in extensions:  # the signer's PAdES extension
        del extensions["/ESIC"]
        if not extensions.keys():
            del pdf.Root["/Extensions"]


def _draw(statement: CertificationStatement, copy_pages: int) -> bytes:
    try:
        return draw_page(page_text(statement, copy_pages))
    except FontError as exc:  # the copy cannot be printed: a refusal of this request
        raise CertificationError(exc.message, exc.code, detail=exc.detail) from exc


def _describe(pdf: pikepdf.Pdf, statement: CertificationStatement) -> None:
    now = datetime.now(VIETNAM).replace(microsecond=0).isoformat()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        title = _clean(statement.document_name) or "bản chính"
        meta["dc:title"] = f"Bản sao chứng thực điện tử: {title}"
        meta["dc:language"] = ["vi-VN"]
        meta["dc:description"] = " ".join(statement_lines(statement))
        meta["xmp:ModifyDate"] = now
        meta["xmp:MetadataDate"] = now


def make_certified_copy(original_pdf: bytes, statement: CertificationStatement) -> bytes:
    """The unsigned certified copy of `original_pdf` (a PDF/A), as PDF/A-2b bytes."""
    _check(statement)
    try:
        pdf = pikepdf.open(io.BytesIO(bytes(original_pdf)))
    except Exception as exc:
        raise CertificationError(f"Không đọc được bản chính PDF ({exc}).") from exc
    with pdf:
        if pdf.is_encrypted:
            raise CertificationError("Bản chính PDF bị mã hóa, không thể chứng thực.")
        _drop_signatures(pdf)
        page = _draw(statement, len(pdf.pages) + 1)
        # Kept open until the copy is written: qpdf copies the page's streams only then.
        with pikepdf.open(io.BytesIO(page)) as drawn:
            pdf.pages.append(drawn.pages[0])
            _describe(pdf, statement)
            out = io.BytesIO()
            try:
                pikepdf.pdfa.save(pdf, out, "2b", output_intent="sRGB", deterministic_id=True)
            except pikepdf.pdfa.PdfaError as exc:
                raise CertificationError(
                    f"PDF/A-2b validation failed: {exc.report.summary()}") from exc
        page_count = len(pdf.pages)
    return _add_signature_fields(out.getvalue(), page_count)


def _add_signature_fields(pdfa: bytes, page_count: int) -> bytes:
    """The empty signature fields, as an incremental update written by pyHanko (the
    library that will fill them): the PDF/A-2b revision validated above stays byte for byte
    at the start of the file, as pikepdf's validator cannot check forms. pyHanko keeps the
    XMP and the document information in step, gives each widget an empty appearance and
    the Print flag, and sets no /NeedAppearances, as PDF/A-2 asks."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdfa))
    for reserved in signature_fields(page_count):
        append_signature_field(writer, SigFieldSpec(
            sig_field_name=reserved.name, on_page=reserved.page_index, box=reserved.rect))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
