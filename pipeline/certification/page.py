"""Layout of the certification page: the A4 page added as the last page of a certified
electronic copy (see pipeline/certification/statement.py for why a page of its own).

From the top: the heading and what the copy is of; the lời chứng (Thông tư 01/2020/TT-BTP,
as rules.md words it); two empty signature boxes, the agency's on the left and the
certifier's on the right over the certifier's printed name (the Vietnamese signing block
sits on the right); at the bottom the conversion mark of a paper original and the QR code
with the verification code under it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pikepdf

from pipeline.certification.qr import qr_drawing, qr_matrix
from pipeline.pdf.vnfont import BOLD, REGULAR, TextFont

PT_PER_CM = 72 / 2.54
A4 = (595.28, 841.89)
LEFT, RIGHT = 3 * PT_PER_CM, A4[0] - 2 * PT_PER_CM  # margins of Nghị định 30/2020 Phụ lục I
TOP = A4[1] - 2 * PT_PER_CM
COLUMN = (RIGHT - LEFT) / 2

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
QR_SIZE = 3.5 * PT_PER_CM  # with its quiet zone
QR_BOTTOM = 2 * PT_PER_CM + 22  # room under it for the verification code


class LayoutError(ValueError):
    """A text is too long for its place on the page, even in the smallest size."""


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


class _Canvas:
    def __init__(self) -> None:
        self.regular, self.bold = TextFont(REGULAR), TextFont(BOLD)
        self.ops: list[str] = []

    def text(self, x: float, y: float, s: str, size: float, bold: bool = False,
             align: str = "left") -> None:
        font = self.bold if bold else self.regular
        if align == "center":
            x -= font.width(s, size) / 2
        self.ops.append(f"BT /{'F2' if bold else 'F1'} {size:g} Tf {x:.2f} {y:.2f} Td "
                        f"{font.show(s)} Tj ET")

    def block(self, x: float, y: float, width: float, s: str, size: float, leading: float,
              max_lines: int, bold: bool = False, align: str = "left") -> float:
        """Wrapped text from baseline `y` down; shrinks the size (down to 8 pt) until it
        fits `max_lines` (a long agency name or title), so it never runs into what lies
        below. Returns the next free baseline."""
        font = self.bold if bold else self.regular
        while len(lines := font.wrap(s, size, width)) > max_lines:
            if size <= 8:
                raise LayoutError(s)
            leading *= (size - 0.5) / size
            size -= 0.5
        cx = x + width / 2 if align == "center" else x
        for line in lines:
            self.text(cx, y, line, size, bold, align)
            y -= leading
        return y


def draw_page(pdf: pikepdf.Pdf, text: PageText) -> pikepdf.Page:
    """Make the certification page (not yet in `pdf`'s page list)."""
    c = _Canvas()
    width = RIGHT - LEFT
    y = c.block(LEFT, TOP - 14, width, text.heading, 14, 18, 2, bold=True, align="center")
    y -= 10
    for line in text.about:
        y = c.block(LEFT, y, width, line, 12, 15, 2)
    y -= 16
    for line in text.statement:
        y = c.block(LEFT, y, width, line, 13, 19, 2)

    head_y = _SIG_TOP + 52
    for x, heading, body in ((LEFT, text.agency_heading, text.agency_name),
                             (LEFT + COLUMN, text.certifier_heading, text.certifier_title)):
        c.block(x, head_y, COLUMN, heading, 12, 14, 1, bold=True, align="center")
        c.block(x, head_y - 15, COLUMN, body, 12, 14, 3, align="center")
    c.block(LEFT + COLUMN, _SIG_TOP - _SIG_H - 18, COLUMN, text.certifier_name, 13, 16, 2,
            bold=True, align="center")

    qr_x = RIGHT - QR_SIZE
    text_width = qr_x - LEFT - 14
    y = QR_BOTTOM + QR_SIZE - 10
    if text.conversion:
        box_top = y + 10
        y = c.block(LEFT + 6, y - 4, text_width - 12, text.conversion[0], 10, 12.5, 2,
                    bold=True)
        for line in text.conversion[1:]:
            y = c.block(LEFT + 6, y, text_width - 12, line, 10, 12.5, 3)
        c.ops.append(f"0 G 0.75 w {LEFT:.2f} {y + 4:.2f} {text_width:.2f} "
                     f"{box_top - y - 4:.2f} re S")
        y -= 12
    y = c.block(LEFT, y, text_width, text.verify_note, 10, 12.5, 3)
    c.block(LEFT, y, text_width, text.verify_url, 9, 11, 2)
    c.ops.append(qr_drawing(qr_matrix(text.verify_url), qr_x, QR_BOTTOM, QR_SIZE))
    c.text(qr_x + QR_SIZE / 2, QR_BOTTOM - 14, text.code, 11, bold=True, align="center")

    fonts = pikepdf.Dictionary(F1=c.regular.embed(pdf), F2=c.bold.embed(pdf))
    return pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, *A4],
        Resources=pikepdf.Dictionary(Font=fonts),
        Contents=pikepdf.Stream(pdf, "\n".join(c.ops).encode("ascii")),
    ))
