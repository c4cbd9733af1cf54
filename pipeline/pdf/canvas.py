"""The pages sohoa draws itself (the certification page of a certified copy, the printed
certification register), drawn with fpdf2.

A4 in points, in fpdf2's PDF/A-2b mode: it refuses what PDF/A forbids (the 14 standard
fonts, encryption), writes the PDF/A identification and an sRGB output intent, and embeds
Liberation Serif as subsets with their widths and ToUnicode maps, so that the Vietnamese
text can be extracted again (pdftotext, search, screen readers). No shaping is needed:
every Vietnamese letter has a precomposed glyph once the text is in NFC.
"""
from __future__ import annotations

from typing import TypeVar

from fpdf import FPDF

from pipeline.pdf.fonts import BOLD, REGULAR, FontError, font_path

FAMILY = "LiberationSerif"
_Canvas = TypeVar("_Canvas", bound=FPDF)


def new_canvas(cls: type[_Canvas] = FPDF, orientation: str = "portrait") -> _Canvas:
    """An empty A4 document measured in points, with FAMILY in regular and bold ("B")."""
    pdf = cls(orientation=orientation, unit="pt", format="A4", enforce_compliance="PDF/A-2B")
    pdf.add_font(FAMILY, "", font_path(REGULAR))
    pdf.add_font(FAMILY, "B", font_path(BOLD))
    return pdf


def finish(pdf: FPDF) -> bytes:
    """The drawn document's bytes. fpdf2 only logs a character the font lacks and prints
    an empty box in its place: on a legal document that is refused instead."""
    try:
        missing = sorted({chr(c) for font in pdf.fonts.values()
                          for c in getattr(font, "missing_glyphs", ())})
        if missing:
            shown = "".join(missing)
            raise FontError(f"Phông chữ {FAMILY} không có ký tự {shown!r} cần in.",
                            "glyph_missing", detail=f"The font {FAMILY} has no glyph for {shown!r}.")
        return bytes(pdf.output())
    finally:
        _close_fonts(pdf)


def _close_fonts(pdf: FPDF) -> None:
    # fpdf2 opens each font file lazily and leaves it open. Closed here, not by the garbage
    # collector: its "unclosed file" warning, raised whenever collection happens to run, is
    # recorded by pikepdf's PDF/A check as a violation of the page being checked (once in
    # a full test run, three certified copies failed so).
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()
