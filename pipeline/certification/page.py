"""Layout of the certification page: the A4 page added as the last page of a certified
electronic copy (see pipeline/certification/statement.py for why a page of its own).

From the top: the heading and what the copy is of; the lời chứng (Thông tư 01/2020/TT-BTP,
as rules.md words it); two empty signature boxes, the agency's on the left and the
certifier's on the right over the certifier's printed name (the Vietnamese signing block
sits on the right); at the bottom the conversion mark of a paper original and the QR code
with the verification code under it.

Drawn with fpdf2 (pipeline/pdf/canvas.py) as a one-page PDF, which
pipeline/certification/statement.py appends to the copy. fpdf2 measures from the top of
the page; the signature boxes are given in PDF user space (from the bottom), as the
signature fields take them.
"""
from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from pipeline.certification.qr import QUIET_ZONE, dark_runs, qr_matrix
from pipeline.core.errors import CertificationError
from pipeline.pdf.canvas import FAMILY, finish, new_canvas

PT_PER_CM = 72 / 2.54
A4_WIDTH, A4_HEIGHT = 595.28, 841.89
LEFT, RIGHT = 3 * PT_PER_CM, A4_WIDTH - 2 * PT_PER_CM  # margins of Nghị định 30/2020 Phụ lục I
TOP, BOTTOM = 2 * PT_PER_CM, A4_HEIGHT - 2 * PT_PER_CM  # from the top of the page
WIDTH = RIGHT - LEFT
COLUMN = WIDTH / 2
MIN_SIZE = 8  # pt: a long name shrinks down to this, never below

CERTIFIER_FIELD = "ChungThuc_CanBo"
AGENCY_FIELD = "ChungThuc_CoQuan"
# 7 × 2 cm boxes in whole points (pyHanko sizes appearances in whole points), centred in
# their columns under three lines of heading, agency name or title, low enough for the
# longest text above them (document name wrapped to two lines).
_SIG_W, _SIG_H, _SIG_TOP = 198, 57, 520
_LEFT_X = round(LEFT + (COLUMN - _SIG_W) / 2)
_RIGHT_X = round(LEFT + COLUMN + (COLUMN - _SIG_W) / 2)
SIGNATURE_RECTS: dict[str, tuple[int, int, int, int]] = {
    AGENCY_FIELD: (_LEFT_X, _SIG_TOP - _SIG_H, _LEFT_X + _SIG_W, _SIG_TOP),
    CERTIFIER_FIELD: (_RIGHT_X, _SIG_TOP - _SIG_H, _RIGHT_X + _SIG_W, _SIG_TOP),
}
_BOXES_Y = A4_HEIGHT - _SIG_TOP  # the boxes' top edge, from the top of the page
_COLUMNS_Y = _BOXES_Y - 62  # column heading, then up to three lines above the boxes
QR_SIZE = 3.5 * PT_PER_CM  # with its quiet zone
QR_Y = BOTTOM - 22 - QR_SIZE  # room under it for the verification code


class LayoutError(CertificationError):
    """A text is too long for its place on the page, even in the smallest size."""

    default_code = "statement_too_long"

    def __init__(self, text: str) -> None:
        super().__init__(f"Nội dung quá dài để in trên trang lời chứng: {text}")


@dataclass(frozen=True)
class PageText:
    """Everything printed on the certification page, already worded."""

    heading: str
    about: list[str]  # what the copy is of, its page count
    statement: list[str]  # the lời chứng's three lines
    agency_heading: str
    agency_name: str
    certifier_heading: str
    certifier_title: str
    certifier_name: str
    conversion: list[str]  # empty when the original was not converted from paper
    verify_note: str
    verify_url: str
    code: str


def _block(pdf: FPDF, x: float, y: float, width: float, text: str, size: float,
           leading: float, max_lines: int, bold: bool = False, align: str = "L") -> float:
    """`text` wrapped into `width` from `y` down; shrinks the size (down to MIN_SIZE) until
    it fits `max_lines` (a long agency name or title), so it never runs into what lies
    below. Returns the y under it."""
    style = "B" if bold else ""
    while True:
        pdf.set_font(FAMILY, style, size)
        lines = pdf.multi_cell(width, leading, text, dry_run=True,
                               output=MethodReturnValue.LINES)
        if len(lines) <= max_lines:
            break
        if size <= MIN_SIZE:
            raise LayoutError(text)
        leading *= (size - 0.5) / size
        size -= 0.5
    pdf.set_xy(x, y)
    pdf.multi_cell(width, leading, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _fits_above(y: float, limit: float, what: str) -> None:
    """The texts above the signature boxes and beside the QR code have fixed room; what
    would overflow it is refused rather than printed over the boxes or off the page."""
    if y > limit:
        raise LayoutError(what)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float) -> None:
    """The QR code as black vector rectangles (no image), quiet zone included."""
    matrix = qr_matrix(url)
    module = QR_SIZE / (len(matrix) + 2 * QUIET_ZONE)
    for row, column, length in dark_runs(matrix):
        pdf.rect(x + (QUIET_ZONE + column) * module, y + (QUIET_ZONE + row) * module,
                 length * module, module, style="F")


def _draw_top(pdf: FPDF, text: PageText) -> None:
    """Heading, what the copy is of, the lời chứng."""
    y = _block(pdf, LEFT, TOP, WIDTH, text.heading, 14, 18, 2, bold=True, align="C") + 10
    for line in text.about:
        y = _block(pdf, LEFT, y, WIDTH, line, 12, 15, 2)
    y += 16
    for line in text.statement:
        y = _block(pdf, LEFT, y, WIDTH, line, 13, 19, 2)
    _fits_above(y, _COLUMNS_Y, " ".join(text.about))


def _draw_signers(pdf: FPDF, text: PageText) -> None:
    """Agency on the left, certifier on the right; the boxes themselves stay blank for the
    signature fields."""
    for x, heading, body in ((LEFT, text.agency_heading, text.agency_name),
                             (LEFT + COLUMN, text.certifier_heading, text.certifier_title)):
        _block(pdf, x, _COLUMNS_Y, COLUMN, heading, 12, 14, 1, bold=True, align="C")
        _block(pdf, x, _COLUMNS_Y + 15, COLUMN, body, 12, 14, 3, align="C")
    _block(pdf, LEFT + COLUMN, _BOXES_Y + _SIG_H + 6, COLUMN, text.certifier_name, 13, 16, 2,
           bold=True, align="C")


def _draw_bottom(pdf: FPDF, text: PageText) -> None:
    """The conversion mark in a frame and how to verify the copy, beside the QR code."""
    qr_x = RIGHT - QR_SIZE
    text_width = qr_x - LEFT - 14
    y = QR_Y
    if text.conversion:
        inner = text_width - 12
        y = _block(pdf, LEFT + 6, y + 4, inner, text.conversion[0], 10, 12.5, 2, bold=True)
        for line in text.conversion[1:]:
            y = _block(pdf, LEFT + 6, y, inner, line, 10, 12.5, 3)
        pdf.set_line_width(0.75)
        pdf.rect(LEFT, QR_Y, text_width, y + 4 - QR_Y)
        y += 4 + 8
    y = _block(pdf, LEFT, y, text_width, text.verify_note, 10, 12.5, 3)
    y = _block(pdf, LEFT, y, text_width, text.verify_url, 9, 11, 2)
    _fits_above(y, BOTTOM, " ".join([*text.conversion, text.verify_note]))
    _draw_qr(pdf, text.verify_url, qr_x, QR_Y)
    _block(pdf, qr_x, QR_Y + QR_SIZE + 4, QR_SIZE, text.code, 11, 13, 1, bold=True, align="C")


def draw_page(text: PageText) -> bytes:
    """The certification page, as a one-page PDF (fonts embedded) to append to the copy."""
    pdf = new_canvas()
    pdf.set_auto_page_break(False)  # one page: what does not fit is a LayoutError
    pdf.c_margin = 0  # texts start exactly at the margins given here
    pdf.add_page()
    _draw_top(pdf, text)
    _draw_signers(pdf, text)
    _draw_bottom(pdf, text)
    return finish(pdf)
