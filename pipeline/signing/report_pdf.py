"""The verification report as a PDF (the public verification page's download): the
verdict and register lines the page shows, then the report's Vietnamese text
(:func:`pipeline.signing.report.report_text`), in Liberation Serif with every Vietnamese
letter, drawn with fpdf2 (pipeline/pdf/canvas.py)."""
from __future__ import annotations

import unicodedata

from fpdf.enums import XPos, YPos

from pipeline.pdf.canvas import FAMILY, finish, new_canvas
from pipeline.signing.report import report_text
from pipeline.signing.validation import VerificationReport

MARGIN, SIZE, LEADING = 50, 10.5, 14


def report_pdf(title: str, lines: list[str], report: VerificationReport | None) -> bytes:
    """A4 pages: `title`, the `lines` (verdict, register entry), then the report."""
    pdf = new_canvas()
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_title(title)
    pdf.set_lang("vi-VN")
    pdf.set_creator("sohoa")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, LEADING * 1.4, _nfc(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    body = [*lines, *([""] + report_text(report).splitlines() if report else [])]
    for line in body:
        pdf.set_font(FAMILY, "B" if line.isupper() else "", SIZE)
        pdf.multi_cell(0, LEADING, _nfc(line) or " ", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return finish(pdf)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
