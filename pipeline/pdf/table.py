"""A printable table as PDF/A-2b (A4 landscape), in Liberation Serif with Vietnamese glyphs
embedded: used for the certification register's pages (sổ chứng thực) to print and bind.

Cells wrap at spaces; the header row repeats on every page; each page is numbered
`Trang i/n` at the foot.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pikepdf
import pikepdf.pdfa

from pipeline.core.naming import VIETNAM
from pipeline.pdf.vnfont import BOLD, REGULAR, TextFont

PT_PER_CM = 72 / 2.54
PAGE = (841.89, 595.28)  # A4 landscape
MARGIN = 1.5 * PT_PER_CM
SIZE, LEADING, PAD = 10, 12, 3.5


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # share of the printable width (all shares are scaled to fill it)
    align: str = "left"  # or "center", "right"


class _Page:
    def __init__(self, regular: TextFont, bold: TextFont):
        self.regular, self.bold, self.ops = regular, bold, []

    def text(self, x: float, y: float, s: str, bold: bool = False, size: float = SIZE,
             align: str = "left", width: float = 0.0) -> None:
        font = self.bold if bold else self.regular
        if align != "left":
            slack = width - font.width(s, size)
            x += slack / 2 if align == "center" else slack
        self.ops.append(f"BT /{'F2' if bold else 'F1'} {size:g} Tf {x:.2f} {y:.2f} Td "
                        f"{font.show(s)} Tj ET")


def _cell_lines(font: TextFont, text: str, width: float) -> list[str]:
    return font.wrap(text, SIZE, width - 2 * PAD) if text else [""]


def _row_height(lines: list[list[str]]) -> float:
    return max(len(cell) for cell in lines) * LEADING + 2 * PAD


def table_pdf(*, title_lines: list[str], columns: list[Column], rows: list[list[str]],
              document_title: str, empty_text: str = "") -> bytes:
    regular, bold = TextFont(REGULAR), TextFont(BOLD)
    usable = PAGE[0] - 2 * MARGIN
    total = sum(c.width for c in columns)
    widths = [c.width * usable / total for c in columns]
    lefts = [MARGIN + sum(widths[:i]) for i in range(len(columns))]
    header = [_cell_lines(bold, c.title, w) for c, w in zip(columns, widths)]
    body = [[_cell_lines(regular, v, w) for v, w in zip(row, widths)] for row in rows]

    # Lay rows out on pages first: the footer needs the page count.
    first_top = PAGE[1] - MARGIN - LEADING * 1.6 * len(title_lines) - 6
    bottom = MARGIN + 18
    pages: list[list[int]] = [[]]
    y = first_top - _row_height(header)
    for i, cell_lines in enumerate(body):
        h = _row_height(cell_lines)
        if y - h < bottom and pages[-1]:
            pages.append([])
            y = PAGE[1] - MARGIN - _row_height(header)
        pages[-1].append(i)
        y -= h

    drawn: list[_Page] = []
    for number, row_indexes in enumerate(pages, start=1):
        page = _Page(regular, bold)
        top = PAGE[1] - MARGIN
        if number == 1:
            for k, line in enumerate(title_lines):
                top -= LEADING * 1.6
                page.text(MARGIN, top, line, bold=k == 0, size=14 if k == 0 else 12,
                          align="center", width=usable)
            top = first_top
        for cells, bold_row, aligns in (
                [(header, True, ["center"] * len(columns))]
                + [(body[i], False, [c.align for c in columns]) for i in row_indexes]):
            h = _row_height(cells)
            for cell, x, w, align in zip(cells, lefts, widths, aligns):
                page.ops.append(f"0 G 0.5 w {x:.2f} {top - h:.2f} {w:.2f} {h:.2f} re S")
                for k, line in enumerate(cell):
                    page.text(x + PAD, top - PAD - SIZE - k * LEADING, line, bold=bold_row,
                              align=align, width=w - 2 * PAD)
            top -= h
        if not row_indexes and empty_text:
            page.text(MARGIN, top - 2 * LEADING, empty_text)
        page.text(MARGIN, MARGIN, f"Trang {number}/{len(pages)}", align="center",
                  width=usable)
        drawn.append(page)

    pdf = pikepdf.new()
    fonts = pikepdf.Dictionary(F1=regular.embed(pdf), F2=bold.embed(pdf))
    for page in drawn:
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, *PAGE],
            Resources=pikepdf.Dictionary(Font=fonts),
            Contents=pikepdf.Stream(pdf, "\n".join(page.ops).encode("ascii")),
        )))
    now = datetime.now(VIETNAM).replace(microsecond=0).isoformat()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = document_title
        meta["dc:language"] = ["vi-VN"]
        meta["pdf:Producer"] = meta["xmp:CreatorTool"] = "sohoa"
        meta["xmp:CreateDate"] = meta["xmp:ModifyDate"] = now
    out = io.BytesIO()
    pikepdf.pdfa.save(pdf, out, "2b", output_intent="sRGB", deterministic_id=True)
    return out.getvalue()
