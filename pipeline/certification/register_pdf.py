"""The certification register's pages for printing and binding (sổ chứng thực bản sao
điện tử từ bản chính): a PDF/A-2b table, A4 landscape, in the columns of the paper register
of Thông tư 01/2020/TT-BTP, drawn with fpdf2 (pipeline/pdf/canvas.py).

Cells wrap at spaces; the header row repeats on every page; each page is numbered
`Trang i/n` at the foot.
"""
from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence

import pikepdf
import pikepdf.pdfa
from fpdf import FPDF
from fpdf.enums import VAlign, XPos, YPos

from pipeline.certification.register_entry import RegisterEntry, money, vn_date
from pipeline.certification.statement import book_label
from pipeline.pdf.canvas import FAMILY, finish, new_canvas

PT_PER_CM = 72 / 2.54
MARGIN = 1.5 * PT_PER_CM
SIZE, LEADING, PAD = 10, 12, 3.5
# Title, share of the printable width, alignment of the entries' cells.
COLUMNS = (("Số chứng thực", 2.0, "C"),
           ("Ngày tháng năm chứng thực", 2.4, "C"),
           ("Họ tên người yêu cầu chứng thực", 3.6, "L"),
           ("Tên bản chính giấy tờ, văn bản", 5.0, "L"),
           ("Số bản sao", 1.6, "C"),
           ("Họ tên, chức danh người ký chứng thực", 4.0, "L"),
           ("Lệ phí (đồng)", 2.0, "R"),
           ("Ghi chú", 4.4, "L"))
EMPTY = "Không có việc chứng thực nào trong kỳ này."


class _RegisterPages(FPDF):
    def footer(self) -> None:
        self.set_y(-MARGIN - LEADING)
        self.set_font(FAMILY, "", SIZE)
        # {nb}: fpdf2 puts the page count in once every page is drawn
        self.cell(0, LEADING, f"Trang {self.page_no()}/{{nb}}", align="C")


def _cells(e: RegisterEntry) -> list[str]:
    """An entry in the paper register's columns; the copy ids go into the notes."""
    notes = "; ".join(filter(None, [e.notes, "Mã bản sao: " + ", ".join(e.copy_ids)]))
    cells = [str(e.number), vn_date(e.certified_on), e.requester,
             f"{e.document_name} ({e.original_id}, {e.pages} trang)", str(e.copies),
             e.certifier, money(e.fee), notes]
    # one precomposed glyph per letter: the font is drawn without shaping
    return [unicodedata.normalize("NFC", c) for c in cells]


def _title(entries: Sequence[RegisterEntry], agency: str, period: str, year: int) -> list[str]:
    books = sorted({e.book_label for e in entries}) or [book_label(f"01/{year}")]
    agency = " ".join(unicodedata.normalize("NFC", agency).split())
    return ["SỔ CHỨNG THỰC BẢN SAO ĐIỆN TỬ TỪ BẢN CHÍNH", *([agency] if agency else []),
            f"Quyển số: {', '.join(books)} — {period}"]


def _draw(pdf: FPDF, entries: Sequence[RegisterEntry], title: list[str]) -> None:
    for k, line in enumerate(title):
        pdf.set_font(FAMILY, "B" if k == 0 else "", 14 if k == 0 else 12)
        pdf.multi_cell(0, LEADING * 1.6, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font(FAMILY, "", SIZE)
    with pdf.table(col_widths=[share for _, share, _ in COLUMNS],
                   text_align=[align for _, _, align in COLUMNS], v_align=VAlign.T,
                   line_height=LEADING, padding=PAD) as table:
        heading = table.row()
        for name, _, _ in COLUMNS:
            heading.cell(name, align="C")
        for entry in entries:
            table.row(_cells(entry))
    if not entries:
        pdf.ln(LEADING)
        pdf.cell(0, LEADING, EMPTY)


def register_pdf(entries: Sequence[RegisterEntry], agency: str, year: int,
                 month: int | None = None) -> bytes:
    """The register's pages for `year` (or one `month` of it), as PDF/A-2b bytes: the
    `entries` (storage.cert_register.CertRegister.entries) under the agency's name."""
    period = f"Tháng {month:02d} năm {year}" if month else f"Năm {year}"
    pdf = new_canvas(_RegisterPages, orientation="landscape")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN + 18)  # room for the page number
    pdf.set_title(f"Sổ chứng thực bản sao điện tử — {period}")
    pdf.set_lang("vi-VN")
    pdf.set_creator("sohoa")
    pdf.set_producer("sohoa")
    pdf.add_page()
    _draw(pdf, entries, _title(entries, agency, period, year))
    with pikepdf.open(io.BytesIO(finish(pdf))) as doc:
        # fpdf2 always sets the viewer's opening zoom, which pikepdf's allowlist validator
        # does not vouch for; the register needs none.
        del doc.Root.OpenAction
        out = io.BytesIO()
        # fpdf2 made it PDF/A-2b (no repair needed); pikepdf checks what it writes, as for
        # every PDF/A sohoa writes.
        pikepdf.pdfa.save(doc, out, "2b", repair=False, deterministic_id=True)
    return out.getvalue()
